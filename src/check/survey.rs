//! `survey` blocks → [`SurveyPlan`]s, and `SURVEY.NAME` resolved against them (LANGUAGE.md,
//! "Surveys (v1)").

use super::load::{normalize, Program};
use crate::analysis::survey::{SurveyDesign, SurveyDimension, SurveyItem};
use crate::diagnostics::{did_you_mean, Diagnostic};
use crate::methods::survey::Scale;
use crate::plan::{ColumnRef, SurveyPlan, SurveyRef};
use crate::source::Span;
use crate::syntax::ast::{self, DimensionLine, SurveyColumn, SurveyLine};
use std::collections::HashMap;

/// Checks the `survey` blocks. `taken` holds the other names of the program's namespace (nodes
/// and lets) with their spans; `has_periods` whether the index has `over`. Blocks with errors
/// are still returned (the errors stop the program anyway), so that a `SURVEY.NAME` is checked
/// against what was written.
pub fn check(
    program: &Program,
    surveys: &[&ast::Survey],
    taken: &HashMap<String, Span>,
    has_periods: bool,
    diags: &mut Vec<Diagnostic>,
) -> Vec<SurveyPlan> {
    let mut seen: HashMap<&str, Span> = HashMap::new();
    let mut out = Vec::new();
    for s in surveys {
        let name = s.id.name.as_str();
        if let Some(first) = seen.insert(name, s.id.span) {
            diags.push(
                Diagnostic::error(
                    "duplicate-survey",
                    format!("there are two surveys called `{name}`"),
                )
                .with_span(s.id.span)
                .with_related(first, "the first one")
                .with_hint("give the second survey another id"),
            );
            continue;
        }
        if let Some(&other) = taken.get(name) {
            diags.push(
                Diagnostic::error(
                    "survey-name-taken",
                    format!("`{name}` already names a node or a `let`; survey ids share the program's names"),
                )
                .with_span(s.id.span)
                .with_related(other, "also defined here")
                .with_hint("give the survey another id"),
            );
        }
        out.push(survey(program, s, has_periods, diags));
    }
    out
}

/// One block: settings once each, dimensions with items, scales that are increasing ranges.
fn survey(
    program: &Program,
    s: &ast::Survey,
    has_periods: bool,
    diags: &mut Vec<Diagnostic>,
) -> SurveyPlan {
    let mut design = SurveyDesign {
        id: s.id.name.clone(),
        label: s.label.as_ref().map(|l| l.value.clone()),
        data: None,
        by: String::new(),
        over: None,
        weight: None,
        strata: None,
        cluster: None,
        scale: None,
        dont_know: Vec::new(),
        min_respondents: None,
        dimensions: Vec::new(),
    };
    let mut path = None;
    let mut columns: Vec<ColumnRef> = Vec::new();
    let mut note_column = |c: &ast::ColumnName| {
        if !columns.iter().any(|r| r.name == c.name) {
            columns.push(ColumnRef {
                name: c.name.clone(),
                span: c.span,
                survey: None,
            });
        }
    };
    // The first line of each setting, for `written twice`.
    let mut first: HashMap<&'static str, Span> = HashMap::new();
    let mut once = |what: &'static str, span: Span, diags: &mut Vec<Diagnostic>| -> bool {
        match first.get(what) {
            Some(&f) => {
                diags.push(
                    Diagnostic::error(
                        "repeated",
                        format!("`{what}` is written twice in this survey"),
                    )
                    .with_span(keyword_span(program, span))
                    .with_related(f, "first written here")
                    .with_hint("keep one"),
                );
                false
            }
            None => {
                first.insert(what, span);
                true
            }
        }
    };
    // Where each item was first declared, by its column.
    let mut items: HashMap<String, (Span, String)> = HashMap::new();
    for line in &s.lines {
        match line {
            SurveyLine::Data(p, span) => {
                if once("data", *span, diags) {
                    design.data = Some(p.value.clone());
                    let dir = program.dir_of(p.span.file);
                    path = Some(normalize(&dir.join(&p.value)).display().to_string());
                }
            }
            SurveyLine::Column(kind, c, span) => {
                if !once(kind.keyword(), *span, diags) {
                    continue;
                }
                note_column(c);
                let v = Some(c.name.clone());
                match kind {
                    SurveyColumn::By => design.by = c.name.clone(),
                    SurveyColumn::Over => design.over = v,
                    SurveyColumn::Weight => design.weight = v,
                    SurveyColumn::Strata => design.strata = v,
                    SurveyColumn::Cluster => design.cluster = v,
                }
            }
            SurveyLine::Scale(r, span) => {
                if once("scale", *span, diags) {
                    design.scale = scale(r, diags);
                }
            }
            SurveyLine::DontKnow { codes, span, .. } => {
                if once("dont_know", *span, diags) {
                    design.dont_know = codes.iter().map(|c| c.value).collect();
                }
            }
            SurveyLine::MinRespondents(n, span) => {
                if !once("min_respondents", *span, diags) {
                    continue;
                }
                let v = n.value;
                if v.fract() != 0.0 || v < 1.0 || n.percent {
                    diags.push(
                        Diagnostic::error(
                            "bad-min-respondents",
                            format!(
                                "`min_respondents {}` needs a whole number of 1 or more",
                                n.text
                            ),
                        )
                        .with_span(n.span),
                    );
                } else {
                    design.min_respondents = Some(v as usize);
                }
            }
            SurveyLine::Dimension(d) => {
                let dim = dimension(program, s, d, &mut items, &mut note_column, diags);
                if let Some(other) = design.dimensions.iter().find(|o| o.id == dim.id) {
                    diags.push(
                        Diagnostic::error(
                            "duplicate-dimension",
                            format!(
                                "survey `{}` has two dimensions called `{}`",
                                s.id.name, other.id
                            ),
                        )
                        .with_span(d.id.span)
                        .with_hint("give the second dimension another id"),
                    );
                }
                design.dimensions.push(dim);
            }
        }
    }
    for d in &design.dimensions {
        if let Some((span, _)) = items.get(&d.id) {
            diags.push(
                Diagnostic::error(
                    "survey-name-clash",
                    format!(
                        "item `{}` has the name of a dimension: `{}.{}` could not tell them apart",
                        d.id, s.id.name, d.id
                    ),
                )
                .with_span(*span)
                .with_hint("rename the dimension"),
            );
        }
    }
    // Every item needs a scale: its own, its dimension's or the block's (written anywhere in it).
    let block_scale = s.lines.iter().any(|l| matches!(l, SurveyLine::Scale(..)));
    for d in s.lines.iter().filter_map(|l| match l {
        SurveyLine::Dimension(d) => Some(d),
        _ => None,
    }) {
        let dim_scale = d
            .lines
            .iter()
            .any(|l| matches!(l, DimensionLine::Scale(..)));
        for l in &d.lines {
            if let DimensionLine::Item(i) = l {
                if !(block_scale || dim_scale || i.scale.is_some()) {
                    diags.push(
                        Diagnostic::error(
                            "no-scale",
                            format!("item `{}` has no answer scale", i.column.name),
                        )
                        .with_span(i.column.span)
                        .with_hint(
                            "give the survey, the dimension or the item a scale, e.g. `scale 1..5`",
                        ),
                    );
                }
            }
        }
    }
    let head = keyword_span(program, s.span);
    let id = &s.id.name;
    let required = [
        (
            design.by.is_empty(),
            "survey-by",
            format!("survey `{id}` does not say which column holds the unit"),
            "add `by COLUMN`, the respondent column matched to the index's unit ids",
        ),
        (
            design.data.is_none(),
            "survey-data",
            format!("survey `{id}` names no respondent file"),
            "add `data \"PATH\"`: one row per respondent, CSV or a workbook",
        ),
        (
            has_periods && design.over.is_none(),
            "survey-over",
            format!(
                "the index has periods, but survey `{id}` does not say which column holds them"
            ),
            "add `over COLUMN`, the respondents' period column",
        ),
        (
            design.dimensions.is_empty(),
            "survey-empty",
            format!("survey `{id}` has no dimension"),
            "add `dimension ID { item COLUMN ... }`",
        ),
    ];
    for (missing, code, message, hint) in required {
        if missing {
            diags.push(
                Diagnostic::error(code, message)
                    .with_span(head)
                    .with_hint(hint),
            );
        }
    }
    SurveyPlan {
        design,
        path,
        columns,
        span: s.span,
    }
}

fn dimension(
    program: &Program,
    s: &ast::Survey,
    d: &ast::SurveyDimension,
    items: &mut HashMap<String, (Span, String)>,
    note_column: &mut impl FnMut(&ast::ColumnName),
    diags: &mut Vec<Diagnostic>,
) -> SurveyDimension {
    let mut dim = SurveyDimension {
        id: d.id.name.clone(),
        label: d.label.as_ref().map(|l| l.value.clone()),
        scale: None,
        items: Vec::new(),
    };
    let mut scale_span: Option<Span> = None;
    for line in &d.lines {
        match line {
            DimensionLine::Scale(r, span) => {
                if let Some(f) = scale_span {
                    diags.push(
                        Diagnostic::error("repeated", "`scale` is written twice in this dimension")
                            .with_span(keyword_span(program, *span))
                            .with_related(f, "first written here")
                            .with_hint("keep one"),
                    );
                    continue;
                }
                scale_span = Some(*span);
                dim.scale = scale(r, diags);
            }
            DimensionLine::Item(i) => {
                let name = &i.column.name;
                if let Some((first, in_dim)) = items.get(name) {
                    let where_ = if *in_dim == d.id.name {
                        "this dimension already has it".to_string()
                    } else {
                        format!("it is already in dimension `{in_dim}`")
                    };
                    diags.push(
                        Diagnostic::error(
                            "item-twice",
                            format!(
                                "item `{name}` is declared twice in survey `{}`: {where_}",
                                s.id.name
                            ),
                        )
                        .with_span(i.column.span)
                        .with_related(*first, "first declared here")
                        .with_hint("an item belongs to one dimension; remove one of the two lines"),
                    );
                    continue;
                }
                items.insert(name.clone(), (i.column.span, d.id.name.clone()));
                note_column(&i.column);
                let weight = match &i.weight {
                    None => 1.0,
                    Some(w) => {
                        let v = w.value;
                        if v <= 0.0 {
                            diags.push(
                                Diagnostic::error(
                                    "bad-item-weight",
                                    format!("the item weight `{}` must be above 0", w.text),
                                )
                                .with_span(w.span)
                                .with_hint("item weights are relative within their dimension; the default is 1"),
                            );
                        }
                        v
                    }
                };
                dim.items.push(SurveyItem {
                    id: name.clone(),
                    label: i.label.as_ref().map(|l| l.value.clone()),
                    scale: i.scale.as_ref().and_then(|r| scale(r, diags)),
                    reverse: i.reverse.is_some(),
                    weight,
                });
            }
        }
    }
    if dim.items.is_empty() {
        diags.push(
            Diagnostic::error(
                "empty-dimension",
                format!("dimension `{}` has no items", d.id.name),
            )
            .with_span(d.id.span)
            .with_hint("add `item COLUMN` lines, or remove the dimension"),
        );
    }
    dim
}

/// A range as a scale; an error at the range when lo ≥ hi.
fn scale(r: &ast::Range, diags: &mut Vec<Diagnostic>) -> Option<Scale> {
    let s = Scale {
        lo: r.lo.value,
        hi: r.hi.value,
    };
    if s.is_valid() {
        return Some(s);
    }
    diags.push(
        Diagnostic::error(
            "bad-scale",
            format!("the scale {}..{} does not increase: its first end must be below its second", r.lo.text, r.hi.text),
        )
        .with_span(r.span)
        .with_hint("write the lowest answer first, e.g. `scale 1..5`; use `reverse` for items coded the other way"),
    );
    None
}

/// The first word of a line, for diagnostics about the line as a whole.
fn keyword_span(program: &Program, span: Span) -> Span {
    let text = program.sources.slice(span);
    let len = text.find(char::is_whitespace).unwrap_or(text.len()).max(1);
    Span::new(span.file, span.start as usize, span.start as usize + len)
}

/// `SURVEY.NAME` against the surveys: the reference, or an error with a did-you-mean hint.
pub fn resolve(
    surveys: &[SurveyPlan],
    survey: &ast::Ident,
    name: &ast::ColumnName,
) -> Result<SurveyRef, Diagnostic> {
    let Some(s) = surveys.iter().find(|s| s.design.id == survey.name) else {
        let mut d = Diagnostic::error(
            "unknown-survey",
            format!("there is no survey called `{}`", survey.name),
        )
        .with_span(survey.span);
        d = match did_you_mean(&survey.name, surveys.iter().map(|s| s.design.id.as_str())) {
            Some(c) => d.with_hint(format!("did you mean `{c}`?")),
            None if surveys.is_empty() => d.with_hint(
                "`A.B` reads estimate B of survey A; declare the survey with `survey A { ... }`",
            ),
            None => d.with_hint(format!(
                "the surveys are: {}",
                surveys
                    .iter()
                    .map(|s| s.design.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        };
        return Err(d);
    };
    let names = s.design.estimate_names();
    if names.iter().any(|(n, _)| *n == name.name) {
        return Ok(SurveyRef {
            survey: s.design.id.clone(),
            estimate: name.name.clone(),
        });
    }
    let mut d = Diagnostic::error(
        "unknown-estimate",
        format!(
            "survey `{}` has no dimension or item called `{}`",
            s.design.id, name.name
        ),
    )
    .with_span(name.span);
    d = match did_you_mean(&name.name, names.iter().map(|(n, _)| n.as_str())) {
        Some(c) => d.with_hint(format!("did you mean `{}.{c}`?", s.design.id)),
        None => {
            let dims: Vec<&str> = s.design.dimensions.iter().map(|d| d.id.as_str()).collect();
            d.with_hint(format!("its dimensions are: {}", dims.join(", ")))
        }
    };
    Err(d)
}

/// Registers `SURVEY.NAME` in a plan's columns (once), returning its index.
pub fn column(
    columns: &mut Vec<ColumnRef>,
    surveys: &[SurveyPlan],
    survey: &ast::Ident,
    name: &ast::ColumnName,
) -> Result<u32, Diagnostic> {
    let r = resolve(surveys, survey, name)?;
    if let Some(i) = columns.iter().position(|c| c.survey.as_ref() == Some(&r)) {
        return Ok(i as u32);
    }
    columns.push(ColumnRef {
        name: format!("{}.{}", r.survey, r.estimate),
        span: survey.span.to(name.span),
        survey: Some(r),
    });
    Ok((columns.len() - 1) as u32)
}
