//! The pipeline, one function per arrow, chained once: **load** a rules file (and every file
//! it `use`s) and check it; **compile** a scheme into a Plan (the program is checked once, for
//! every scheme); **bind** the data the plans read; **evaluate** a plan over it.
//!
//! The commands, the tests, the report and the language server share this type, so none of
//! them chains the stages by hand.

use crate::analysis::survey::{self as survey, SurveyEstimates};
use crate::check::{self, Checked, Program};
use crate::data::Frame;
use crate::diagnostics::{Diagnostic, Severity};
use crate::eval::{DataOptions, EvalOptions, PeriodChoice, Results, Warning};
use crate::plan::{Code, Plan, SurveyPlan, UncertaintyPlan};
use crate::{Error, Result, Sources};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// A rules program, checked, with its plans and (once bound) its data.
#[derive(Debug)]
pub struct Session {
    program: Program,
    checked: Checked,
    /// Everything found while loading and checking, in source order.
    diagnostics: Vec<Diagnostic>,
    data: OnceLock<Data>,
}

/// The data bound to a session: the frame, the file it came from, and what loading it found.
#[derive(Debug)]
pub struct Data {
    pub frame: Frame,
    pub path: PathBuf,
    pub warnings: Vec<Diagnostic>,
    /// The estimates of the surveys the plans read (`SURVEY.NAME`), in program order; their
    /// columns are in the frame.
    pub surveys: Vec<SurveyEstimates>,
    /// What matching them to the index's units found: small samples, lonely PSUs, index units
    /// without survey data, survey units without an index row.
    pub survey_warnings: Vec<Warning>,
    /// The surveys that an uncertainty block varies (`vary survey ID`), bound to the frame's
    /// rows, for the bootstrap replications.
    pub replicable: Vec<survey::Bound>,
}

impl Session {
    /// Reads and checks a rules file. Fails only when a file cannot be read; problems in the
    /// rules are in [`Session::diagnostics`] (see [`Session::valid`]).
    pub fn open(path: &Path) -> Result<Session> {
        let (program, mut diagnostics) = check::load(path)?;
        let checked = check::check(&program);
        diagnostics.extend(checked.diagnostics.iter().cloned());
        Ok(Session {
            program,
            checked,
            diagnostics,
            data: OnceLock::new(),
        })
    }

    /// Reads and checks a rules file; fails when the rules have errors.
    pub fn load(path: &Path) -> Result<Session> {
        let session = Session::open(path)?;
        session.valid()?;
        Ok(session)
    }

    /// `Ok` when the rules have no errors, else every diagnostic (warnings included).
    pub fn valid(&self) -> Result<()> {
        if self.diagnostics.iter().any(Diagnostic::is_error) {
            return Err(Error::Diagnostics(self.diagnostics.clone()));
        }
        Ok(())
    }

    /// Every diagnostic of loading and checking, errors and warnings.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    /// The warnings that concern `schemes` (a warning about another scheme's plan is left
    /// out).
    pub fn warnings_for(&self, schemes: &[&str]) -> Vec<Diagnostic> {
        let other = |d: &Diagnostic| {
            d.notes.iter().any(|n| {
                n.starts_with("in scheme `")
                    && !schemes.iter().any(|s| *n == format!("in scheme `{s}`"))
            })
        };
        self.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Warning && !other(d))
            .cloned()
            .collect()
    }

    pub fn program(&self) -> &Program {
        &self.program
    }

    pub fn sources(&self) -> &Sources {
        &self.program.sources
    }

    /// The rules file the session was opened on.
    pub fn path(&self) -> &Path {
        &self.program.sources.get(self.program.root).path
    }

    /// The schemes the rules declare, in order (without `default`).
    pub fn schemes(&self) -> &[String] {
        &self.checked.schemes
    }

    /// `default` and every declared scheme.
    pub fn all_schemes(&self) -> Vec<String> {
        std::iter::once("default".to_string())
            .chain(self.checked.schemes.iter().cloned())
            .collect()
    }

    /// The compiled plan of a scheme (`default` is the base index).
    pub fn plan(&self, scheme: &str) -> Result<&Plan> {
        self.valid()?;
        match self.checked.plan(scheme) {
            Some(p) => Ok(p),
            None => {
                let names = self.all_schemes();
                let hint = match crate::diagnostics::did_you_mean(
                    scheme,
                    names.iter().map(String::as_str),
                ) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!("the schemes are: {}", names.join(", ")),
                };
                Err(Error::Usage(format!(
                    "there is no scheme `{scheme}` in these rules; {hint}"
                )))
            }
        }
    }

    /// The plans of several schemes, in the order given.
    pub fn plans(&self, schemes: &[String]) -> Result<Vec<&Plan>> {
        schemes.iter().map(|s| self.plan(s)).collect()
    }

    /// The base index's `uncertainty` block and the plans of the schemes its `choose scheme`
    /// lines name; `what` says which command needs it, for the error when there is none.
    pub fn uncertainty(&self, what: &str) -> Result<(&Plan, &UncertaintyPlan, Vec<&Plan>)> {
        let base = self.plan("default")?;
        let Some(unc) = &base.uncertainty else {
            return Err(Error::Usage(format!(
                "{}: the rules have no `uncertainty` block; {what}",
                self.path().display()
            )));
        };
        let mut schemes: Vec<&Plan> = Vec::new();
        for name in crate::sensitivity::chosen_schemes(unc) {
            if name != "default" && !schemes.iter().any(|p| p.scheme == name) {
                schemes.push(self.plan(name)?);
            }
        }
        Ok((base, unc, schemes))
    }

    /// The program's configurations for the uncertainty kernel (`choose` lines as scheme
    /// overrides).
    pub fn variants(&self) -> Result<check::Variants<'_>> {
        check::Variants::new(&self.program)
    }

    /// Compiles a `--where` condition into `plan` (which then reads the columns it names).
    pub fn condition(&mut self, plan: &mut Plan, text: &str) -> Result<Code> {
        let file = self.program.sources.add("--where", text.to_string());
        check::compile_condition(plan, file, text).map_err(Error::Diagnostics)
    }

    /// A content hash of every rules file of the program, for reproducibility headers.
    pub fn rules_hash(&self) -> String {
        let mut bytes = Vec::new();
        for (_, f) in self.program.sources.iter() {
            bytes.extend_from_slice(f.text.as_bytes());
            bytes.push(0);
        }
        crate::data::content_hash(&bytes)
    }

    /// Every rules file with its content hash, in load order.
    pub fn rules_files(&self) -> Vec<(String, String)> {
        self.program
            .sources
            .iter()
            .filter(|(_, f)| f.path.as_os_str() != "--where")
            .map(|(_, f)| {
                (
                    f.path.display().to_string(),
                    crate::data::content_hash(f.text.as_bytes()),
                )
            })
            .collect()
    }

    /// The data file the plans read: `--data`, else the rules' `data "PATH"`.
    pub fn data_path(&self, plans: &[&Plan], opts: &DataOptions) -> Result<PathBuf> {
        crate::eval::data_path(plans[0], opts)
    }

    /// Loads the columns that any of `plans` reads, once; the session keeps the data.
    pub fn bind(&self, plans: &[&Plan], opts: &DataOptions) -> Result<&Data> {
        if self.data.get().is_some() {
            return Err(Error::Usage("the session's data is already bound".into()));
        }
        let path = self.data_path(plans, opts)?;
        crate::timing::phase(format!("reading {}", path.display()));
        let (mut frame, mut warnings) = crate::eval::load_data_for(plans, &path, opts)?;
        let mut surveys = Vec::new();
        let mut survey_warnings = Vec::new();
        let mut replicable = Vec::new();
        // The plans of one program share their surveys; those of `diff` may differ: each id
        // once, as the first plan declares it.
        let mut declared: Vec<&SurveyPlan> = Vec::new();
        for sp in plans.iter().flat_map(|p| &p.surveys) {
            if !declared.iter().any(|d| d.design.id == sp.design.id) {
                declared.push(sp);
            }
        }
        for sp in declared {
            let refs: Vec<&crate::plan::ColumnRef> = plans
                .iter()
                .flat_map(|p| &p.columns)
                .filter(|c| c.survey.as_ref().is_some_and(|r| r.survey == sp.design.id))
                .collect();
            if refs.is_empty() {
                continue;
            }
            // `--delimiter`, `--encoding` and `--sheet` describe the index's data file.
            let respondents = DataOptions {
                delimiter: None,
                encoding: None,
                sheet: None,
                ..opts.clone()
            };
            let (prepared, w) = self.prepare_survey(sp, &respondents)?;
            let est = prepared.estimates();
            warnings.extend(w);
            let attached = attach(&mut frame, sp, &est, &refs)?;
            survey_warnings.extend(attached.warnings);
            let varied = plans
                .iter()
                .filter_map(|p| p.uncertainty.as_ref())
                .any(|u| {
                    u.factors.iter().any(|f| {
                        matches!(&f.kind, crate::plan::FactorKind::VarySurvey { survey }
                        if *survey == sp.design.id)
                    })
                });
            if varied {
                replicable.push(survey::Bound::new(
                    prepared,
                    attached.columns,
                    attached.rows,
                )?);
            }
            surveys.push(est);
        }
        Ok(self.data.get_or_init(|| Data {
            frame,
            path,
            warnings,
            surveys,
            survey_warnings,
            replicable,
        }))
    }

    /// Reads a survey's respondent file (`data "PATH"` of its block) with `opts` (delimiter,
    /// encoding, sheet, missing-value tokens, leniency, threads; its path is the block's) and
    /// estimates it: the estimates and the file's warnings. Respondent columns the file lacks are reported where
    /// the block names them; data errors name file, row and column.
    pub fn estimate_survey(
        &self,
        sp: &SurveyPlan,
        opts: &DataOptions,
    ) -> Result<(SurveyEstimates, Vec<Diagnostic>)> {
        let (prepared, warnings) = self.prepare_survey(sp, opts)?;
        let estimates = prepared.estimates();
        crate::timing::lap(&format!("survey `{}`: estimates", sp.design.id));
        Ok((estimates, warnings))
    }

    /// Reads and validates a survey's respondent file as [`Session::estimate_survey`] does,
    /// keeping what estimation and the bootstrap replications need.
    pub fn prepare_survey(
        &self,
        sp: &SurveyPlan,
        opts: &DataOptions,
    ) -> Result<(survey::Prepared, Vec<Diagnostic>)> {
        let path = sp.path.as_ref().ok_or_else(|| {
            Error::Usage(format!(
                "survey `{}` names no respondent file (`data \"PATH\"`)",
                sp.design.id
            ))
        })?;
        let base = opts.load_options(sp.design.by.clone());
        let spans: Vec<(String, crate::source::Span)> = sp
            .columns
            .iter()
            .map(|c| (c.name.clone(), c.span))
            .collect();
        let label = "this column is not in the respondent file";
        let located = |e: Error| match e {
            Error::Diagnostics(ds) => Error::Diagnostics(crate::eval::at_rules(ds, &spans, label)),
            e => e,
        };
        crate::timing::phase(format!(
            "reading the respondents of survey `{}`",
            sp.design.id
        ));
        let (table, warnings) =
            survey::load(&sp.design, Path::new(path), &base).map_err(located)?;
        crate::timing::lap(&format!("survey `{}`: respondents read", sp.design.id));
        crate::timing::phase(format!("estimating survey `{}`", sp.design.id));
        let prepared = survey::prepare(&sp.design, &table).map_err(located)?;
        crate::timing::lap(&format!("survey `{}`: prepared", sp.design.id));
        Ok((prepared, warnings))
    }

    /// The bound data.
    pub fn data(&self) -> Result<&Data> {
        self.data
            .get()
            .ok_or_else(|| Error::Usage("no data is bound to the session".into()))
    }

    pub fn frame(&self) -> Result<&Frame> {
        Ok(&self.data()?.frame)
    }

    /// Evaluates a plan over the bound data.
    pub fn evaluate(&self, plan: &Plan, opts: &EvalOptions) -> Result<Results<'_>> {
        crate::timing::phase("evaluating");
        let frame = self.frame()?;
        let results = crate::timing::with_steps(|| crate::eval::evaluate(plan, frame, opts));
        crate::timing::lap("adjust and rank");
        results
    }

    /// Evaluates a plan in one period (the latest by default) without a filter.
    pub fn evaluate_in(&self, plan: &Plan, period: &PeriodChoice) -> Result<Results<'_>> {
        self.evaluate(
            plan,
            &EvalOptions {
                period: period.clone(),
                filter: None,
                ..Default::default()
            },
        )
    }

    /// The period before `period` in the data, when it is a panel.
    pub fn previous_period(&self, period: Option<&str>) -> Result<Option<String>> {
        let periods = crate::eval::sorted_periods(self.frame()?);
        Ok(period
            .and_then(|p| periods.iter().position(|q| q == p))
            .filter(|i| *i > 0)
            .map(|i| periods[i - 1].clone()))
    }
}

/// Adds a survey's estimates read by `refs` to the frame, row by row (unit and period), and
/// warns about the units the index and the survey do not share, and the survey's own
/// warnings (small samples, lonely PSUs).
fn attach(
    frame: &mut Frame,
    sp: &SurveyPlan,
    est: &SurveyEstimates,
    refs: &[&crate::plan::ColumnRef],
) -> Result<Attached> {
    let id = &sp.design.id;
    if frame.periods().is_none() && sp.design.over.is_some() {
        let at = refs[0].span;
        return Err(Error::Diagnostics(vec![Diagnostic::error(
            "survey-periods",
            format!("survey `{id}` has periods (`over`), but the index has none to match them"),
        )
        .with_span(at)
        .with_hint(
            "add `over COLUMN` to the index, or remove `over` from the survey",
        )]));
    }
    let mut index: HashMap<(&str, Option<&str>), usize> = HashMap::new();
    for (k, u) in est.units.iter().enumerate() {
        index.insert((u.unit.as_str(), u.period.as_deref()), k);
    }
    let n = frame.len();
    let keys: Vec<(String, Option<String>)> = (0..n)
        .map(|i| {
            let period = match (frame.periods(), &sp.design.over) {
                (Some(p), Some(_)) => Some(p.get(i).to_string()),
                _ => None,
            };
            (frame.units().get(i).to_string(), period)
        })
        .collect();
    let rows: Vec<Option<usize>> = keys
        .iter()
        .map(|(u, p)| index.get(&(u.as_str(), p.as_deref())).copied())
        .collect();
    let mut seen: HashSet<&str> = HashSet::new();
    let mut columns = Vec::new();
    for c in refs {
        if !seen.insert(c.name.as_str()) {
            continue;
        }
        let name = &c.survey.as_ref().expect("a survey column").estimate;
        columns.push((c.name.clone(), name.clone()));
        if frame.column(&c.name).is_some() {
            return Err(Error::Diagnostics(vec![Diagnostic::error(
                "survey-column-clash",
                format!(
                    "`{}` names both a column of the data and a survey estimate",
                    c.name
                ),
            )
            .with_span(c.span)
            .with_hint("rename the data column, or the survey")]));
        }
        let values = rows
            .iter()
            .map(|r| {
                r.and_then(|k| est.units[k].get(name))
                    .and_then(|e| e.mean)
                    .unwrap_or(f64::NAN)
            })
            .collect();
        frame.add_numeric(c.name.clone(), values);
    }
    let mut warnings = Vec::new();
    let warn =
        |code: &'static str, message: String, period: Option<String>, units: Vec<String>| Warning {
            code,
            message,
            node: None,
            unit: None,
            period,
            count: units.len(),
            units,
        };
    // Index units without survey data, per period.
    let mut absent: Vec<(Option<String>, Vec<String>)> = Vec::new();
    for ((u, p), r) in keys.iter().zip(&rows) {
        if r.is_some() {
            continue;
        }
        match absent.iter_mut().find(|(q, _)| q == p) {
            Some((_, us)) => us.push(u.clone()),
            None => absent.push((p.clone(), vec![u.clone()])),
        }
    }
    for (p, units) in absent {
        warnings.push(warn(
            "survey-missing",
            format!(
                "no respondents in survey `{id}`: the `{id}.*` values of these index units are \
                 missing"
            ),
            p,
            units,
        ));
    }
    // Survey units without an index row, per period.
    let known: HashSet<(&str, Option<&str>)> = keys
        .iter()
        .map(|(u, p)| (u.as_str(), p.as_deref()))
        .collect();
    let mut extra: Vec<(Option<String>, Vec<String>)> = Vec::new();
    for u in &est.units {
        if known.contains(&(u.unit.as_str(), u.period.as_deref())) {
            continue;
        }
        match extra.iter_mut().find(|(q, _)| *q == u.period) {
            Some((_, us)) => us.push(u.unit.clone()),
            None => extra.push((u.period.clone(), vec![u.unit.clone()])),
        }
    }
    for (p, units) in extra {
        warnings.push(warn(
            "survey-unmatched",
            format!(
                "respondents of survey `{id}` from units without a row in the index data: their \
                 estimates are not used"
            ),
            p,
            units,
        ));
    }
    for w in &est.warnings {
        if let survey::SurveyWarning::SmallSample { unit, period, .. }
        | survey::SurveyWarning::LonelyPsu { unit, period, .. } = w
        {
            let mut x = warn(
                w.code(),
                format!("survey `{id}`: {w}"),
                period.clone(),
                Vec::new(),
            );
            x.unit = Some(unit.clone());
            x.count = 1;
            warnings.push(x);
        }
    }
    Ok(Attached {
        warnings,
        columns,
        rows,
    })
}

/// What [`attach`] did: its warnings, the frame columns it added (column, estimate name), and
/// the survey's unit × period of each frame row.
struct Attached {
    warnings: Vec<Warning>,
    columns: Vec<(String, String)>,
    rows: Vec<Option<usize>>,
}
