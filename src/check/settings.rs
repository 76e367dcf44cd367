//! Settings: each written setting validated into a typed value, with did-you-mean for method
//! names and plain-words errors for parameters.

use crate::diagnostics::{did_you_mean, Diagnostic};
use crate::plan::{
    Aggregate, Band, BandOp, Direction, MissingPolicy, Normalise, RatioTo, Reference, Transform,
    Weights, Winsorise,
};
use crate::source::Span;
use crate::syntax::ast::{self, Method, MethodBlock, Param, Qualifier, SettingKey, SettingValue};

/// A setting's slot on a node: `goalposts` and `normalise` share one (goalposts is a
/// normalisation).
pub fn slot(key: SettingKey) -> SettingKey {
    match key {
        SettingKey::Goalposts => SettingKey::Normalise,
        k => k,
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    Scale(f64, f64),
    Norm(Normalise),
    Dir(Direction),
    Transform(Transform),
    Winsorise(Winsorise),
    Missing(Vec<MissingPolicy>),
    Coverage(f64),
    Aggregate(Aggregate),
    Weights(WeightsSpec),
    Reference(Reference),
    Text(String),
    Tags(Vec<(String, Span)>),
    Weight(f64),
}

/// A value and where it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Set {
    pub val: Val,
    pub span: Span,
}

/// `weights` as written; AHP judgements stay by name until the children are known.
#[derive(Debug, Clone, PartialEq)]
pub enum WeightsSpec {
    Simple(Weights),
    Ahp {
        textbook: bool,
        judgements: Vec<Judgement>,
        span: Span,
    },
    Combine {
        product: bool,
        parts: Vec<(WeightsSpec, f64)>,
        span: Span,
    },
}

impl WeightsSpec {
    pub fn name(&self) -> &'static str {
        match self {
            WeightsSpec::Simple(w) => match w {
                Weights::Given => "given",
                Weights::Equal => "equal",
                Weights::Entropy => "entropy",
                Weights::Critic => "critic",
                Weights::Sd => "sd",
                Weights::Cv => "cv",
                Weights::Pca { .. } => "pca",
                Weights::Ahp(_) => "ahp",
                Weights::Combine { .. } => "combine",
            },
            WeightsSpec::Ahp { .. } => "ahp",
            WeightsSpec::Combine { .. } => "combine",
        }
    }

    pub fn is_data_derived(&self) -> bool {
        match self {
            WeightsSpec::Simple(w) => w.is_derived(),
            WeightsSpec::Ahp { .. } => false,
            WeightsSpec::Combine { parts, .. } => parts.iter().any(|(p, _)| p.is_data_derived()),
        }
    }

    pub fn has_ahp(&self) -> bool {
        match self {
            WeightsSpec::Ahp { .. } => true,
            WeightsSpec::Combine { parts, .. } => parts.iter().any(|(p, _)| p.has_ahp()),
            WeightsSpec::Simple(_) => false,
        }
    }
}

/// `a > b : 3`, normalised so that `left` is preferred `value` times (value ≥ 1), or equal.
#[derive(Debug, Clone, PartialEq)]
pub struct Judgement {
    pub left: String,
    pub left_span: Span,
    pub right: String,
    pub right_span: Span,
    /// a_{left,right}
    pub value: f64,
    /// The judgement as written, for messages.
    pub text: String,
    pub span: Span,
}

type R<T> = Result<T, Diagnostic>;

pub const NORMALISE: &[&str] = &[
    "minmax",
    "goalposts",
    "zscore",
    "rank",
    "percentile",
    "target",
    "ratio",
    "vector",
    "bands",
    "none",
];
pub const AGGREGATE: &[&str] = &[
    "arithmetic",
    "geometric",
    "harmonic",
    "power",
    "min",
    "median",
    "topsis",
    "mazziotta_pareto",
    "copeland",
    "grey",
];
pub const WEIGHTS: &[&str] = &[
    "given", "equal", "entropy", "critic", "sd", "cv", "pca", "ahp", "combine",
];
pub const DIRECTION: &[&str] = &["positive", "negative", "optimum"];
pub const TRANSFORM: &[&str] = &["log", "log1p", "sqrt", "none"];
pub const MISSING: &[&str] = &["skip", "mean", "median", "worst", "zero", "carry"];
pub const WINSORISE: &[&str] = &["auto", "none"];
pub const REFERENCE: &[&str] = &["period", "panel"];

/// Validates one written setting into a value.
pub fn value(s: &ast::Setting) -> R<Val> {
    let key = s.key;
    let kw = key.keyword();
    match (&s.value, key) {
        (SettingValue::Range(r), SettingKey::Scale) => {
            let (lo, hi) = range(r, "scale")?;
            Ok(Val::Scale(lo, hi))
        }
        (SettingValue::Range(r), SettingKey::Goalposts) => {
            let (lo, hi) = range(r, "goalposts")?;
            Ok(Val::Norm(Normalise::Goalposts(lo, hi)))
        }
        (SettingValue::Range(r), SettingKey::Winsorise) => {
            let (lo, hi) = range(r, "winsorise")?;
            fraction(&r.lo, "a winsorising percentile")?;
            fraction(&r.hi, "a winsorising percentile")?;
            Ok(Val::Winsorise(Winsorise::Percentiles(lo, hi)))
        }
        (SettingValue::Method(m), SettingKey::Normalise) => Ok(Val::Norm(normalise(m)?)),
        (SettingValue::Method(m), SettingKey::Aggregate) => Ok(Val::Aggregate(aggregate(m)?)),
        (SettingValue::Method(m), SettingKey::Weights) => Ok(Val::Weights(weights(m)?)),
        (SettingValue::Method(m), SettingKey::Direction) => Ok(Val::Dir(direction(m)?)),
        (SettingValue::Method(m), SettingKey::Transform) => {
            let name = pick(m, TRANSFORM, "transform")?;
            bare(m, "a transform")?;
            Ok(Val::Transform(match name {
                "log" => Transform::Log,
                "log1p" => Transform::Log1p,
                "sqrt" => Transform::Sqrt,
                _ => Transform::None,
            }))
        }
        (SettingValue::Method(m), SettingKey::Winsorise) => {
            let name = pick(m, WINSORISE, "winsorise rule").map_err(|d| {
                d.with_hint("write `winsorise auto`, a percentile range such as `winsorise 1%..99%`, or `winsorise none`")
            })?;
            bare(m, "`winsorise`")?;
            Ok(Val::Winsorise(if name == "auto" {
                Winsorise::Auto
            } else {
                Winsorise::None
            }))
        }
        (SettingValue::Method(m), SettingKey::Reference) => {
            let name = pick(m, REFERENCE, "reference")?;
            bare(m, "`reference`")?;
            Ok(Val::Reference(if name == "panel" {
                Reference::Panel
            } else {
                Reference::Period
            }))
        }
        (SettingValue::Methods(ms), SettingKey::Missing) => {
            let mut out = Vec::new();
            for m in ms {
                out.push(missing(m)?);
            }
            if let Some(pos) = out.iter().position(|p| *p == MissingPolicy::Skip) {
                if pos + 1 < out.len() {
                    return Err(Diagnostic::error(
                        "setting-value",
                        "`skip` leaves the value missing, so the policies after it are never tried",
                    )
                    .with_span(ms[pos + 1].span)
                    .with_hint("put `skip` last, or remove it"));
                }
            }
            Ok(Val::Missing(out))
        }
        (SettingValue::Number(n), SettingKey::Coverage) => {
            fraction(n, "`coverage`")?;
            Ok(Val::Coverage(n.value))
        }
        (SettingValue::Number(n), SettingKey::Weight) => {
            weight_value(n)?;
            Ok(Val::Weight(n.value))
        }
        (SettingValue::Str(t), SettingKey::Unit | SettingKey::Source | SettingKey::Description) => {
            Ok(Val::Text(t.value.clone()))
        }
        (SettingValue::Words(ws), SettingKey::Tag) => {
            let mut tags: Vec<(String, Span)> = Vec::new();
            for w in ws {
                if tags.iter().any(|(t, _)| *t == w.name) {
                    return Err(Diagnostic::error(
                        "tag",
                        format!("tag `{}` is written twice", w.name),
                    )
                    .with_span(w.span));
                }
                tags.push((w.name.clone(), w.span));
            }
            Ok(Val::Tags(tags))
        }
        _ => Err(
            Diagnostic::error("setting-value", format!("this is not a value for `{kw}`"))
                .with_span(s.span),
        ),
    }
}

/// A weight must be a positive, finite number.
pub fn weight_value(n: &ast::Number) -> R<()> {
    if n.value <= 0.0 || !n.value.is_finite() {
        return Err(Diagnostic::error(
            "weight",
            format!("a weight must be positive, not `{}`", n.text),
        )
        .with_span(n.span)
        .with_hint("to leave a node out, `exclude` it in a scheme or remove it; weights are relative, so any positive numbers work"));
    }
    Ok(())
}

pub fn range(r: &ast::Range, what: &str) -> R<(f64, f64)> {
    if r.lo.value >= r.hi.value {
        let hint = if r.lo.value > r.hi.value {
            format!(
                "write the smaller bound first: `{}..{}`",
                r.hi.text, r.lo.text
            )
        } else {
            "the two bounds must differ".to_string()
        };
        return Err(Diagnostic::error(
            "range",
            format!(
                "the range of `{what}` must go from low to high, but `{}` is not below `{}`",
                r.lo.text, r.hi.text
            ),
        )
        .with_span(r.span)
        .with_hint(hint));
    }
    Ok((r.lo.value, r.hi.value))
}

/// A fraction-valued number: `%` or a number in 0..1.
pub fn fraction(n: &ast::Number, what: &str) -> R<f64> {
    if (0.0..=1.0).contains(&n.value) {
        return Ok(n.value);
    }
    let mut d = Diagnostic::error(
        "fraction",
        format!(
            "{what} is a share between 0 and 1, but `{}` is outside it",
            n.text
        ),
    )
    .with_span(n.span);
    if !n.percent && n.value > 1.0 && n.value <= 100.0 {
        d = d.with_hint(format!("write `{}%` for a percentage", n.text));
    } else {
        d = d.with_hint("write a percentage such as `60%` or a fraction such as `0.6`");
    }
    Err(d)
}

/// Checks a method name against the allowed ones.
fn pick<'a>(m: &Method, allowed: &[&'a str], what: &str) -> R<&'a str> {
    if let Some(a) = allowed.iter().find(|a| **a == m.name.name) {
        return Ok(a);
    }
    let mut d = Diagnostic::error(
        "unknown-method",
        format!("unknown {what} `{}`", m.name.name),
    )
    .with_span(m.name.span);
    // Names other tools use for the same thing.
    const ALIASES: &[(&str, &str)] = &[
        ("average", "arithmetic"),
        ("mean", "arithmetic"),
        ("weighted_mean", "arithmetic"),
        ("linear", "arithmetic"),
        ("geomean", "geometric"),
        ("min_max", "minmax"),
        ("normalize", "minmax"),
        ("standardise", "zscore"),
        ("standardize", "zscore"),
        ("z_score", "zscore"),
        ("distance_to_target", "target"),
        ("ln", "log"),
    ];
    let alias = ALIASES
        .iter()
        .find(|(a, ours)| *a == m.name.name && allowed.contains(ours))
        .map(|(_, ours)| *ours);
    d = match alias.or_else(|| did_you_mean(&m.name.name, allowed.iter().copied())) {
        Some(s) => d.with_hint(format!("did you mean `{s}`?")),
        None => d.with_hint(format!("the choices are: {}", allowed.join(", "))),
    };
    Err(d)
}

/// A method that takes nothing after its name.
fn bare(m: &Method, what: &str) -> R<()> {
    if let Some(q) = &m.qualifier {
        return Err(extra(m, what, qualifier_span(q)));
    }
    if let Some(p) = m.params.first() {
        return Err(extra(m, what, p.span()));
    }
    if let Some(b) = &m.block {
        return Err(extra(m, what, block_span(b)));
    }
    Ok(())
}

fn extra(m: &Method, what: &str, at: Span) -> Diagnostic {
    Diagnostic::error(
        "method-params",
        format!("{what} `{}` takes no parameters", m.name.name),
    )
    .with_span(at)
}

fn qualifier_span(q: &Qualifier) -> Span {
    match q {
        Qualifier::By(c) => c.span,
        Qualifier::Unit(s) => s.span,
        Qualifier::Ri(i) | Qualifier::Word(i) => i.span,
    }
}

fn block_span(b: &MethodBlock) -> Span {
    match b {
        MethodBlock::Bands(_, s) | MethodBlock::Ahp(_, s) | MethodBlock::List(_, s) => *s,
    }
}

/// The numeric parameters of a method, checking their count.
fn numbers(m: &Method, lo: usize, hi: usize, usage: &str) -> R<Vec<f64>> {
    if let Some(q) = &m.qualifier {
        return Err(Diagnostic::error(
            "method-params",
            format!("`{}` does not take this word", m.name.name),
        )
        .with_span(qualifier_span(q))
        .with_hint(format!("usage: {usage}")));
    }
    if let Some(b) = &m.block {
        return Err(Diagnostic::error(
            "method-params",
            format!("`{}` does not take a block", m.name.name),
        )
        .with_span(block_span(b))
        .with_hint(format!("usage: {usage}")));
    }
    let n = m.params.len();
    if n < lo || n > hi {
        let count = if lo == hi {
            format!("{lo}")
        } else if lo == 0 {
            format!("none or {hi}")
        } else {
            format!("{lo} to {hi}")
        };
        return Err(Diagnostic::error(
            "method-params",
            format!(
                "`{}` takes {count} parameter{}, but {n} {} given",
                m.name.name,
                if hi == 1 { "" } else { "s" },
                if n == 1 { "is" } else { "are" }
            ),
        )
        .with_span(m.span)
        .with_hint(format!("usage: {usage}")));
    }
    let mut out = Vec::new();
    for p in &m.params {
        match p {
            Param::Number(x) => out.push(x.value),
            Param::Range(r) => {
                return Err(Diagnostic::error(
                    "method-params",
                    format!("`{}` takes numbers, not a range", m.name.name),
                )
                .with_span(r.span)
                .with_hint(format!("usage: {usage}")))
            }
        }
    }
    Ok(out)
}

pub fn normalise(m: &Method) -> R<Normalise> {
    let name = pick(m, NORMALISE, "normalisation method")?;
    Ok(match name {
        "minmax" => {
            bare(m, "the normalisation")?;
            Normalise::MinMax
        }
        "rank" => {
            bare(m, "the normalisation")?;
            Normalise::Rank
        }
        "percentile" => {
            bare(m, "the normalisation")?;
            Normalise::Percentile
        }
        "vector" => {
            bare(m, "the normalisation")?;
            Normalise::Vector
        }
        "none" => {
            bare(m, "the normalisation")?;
            Normalise::None
        }
        "goalposts" => match (m.params.as_slice(), &m.qualifier, &m.block) {
            ([Param::Range(r)], None, None) => {
                let (lo, hi) = range(r, "goalposts")?;
                Normalise::Goalposts(lo, hi)
            }
            _ => {
                return Err(
                    Diagnostic::error("method-params", "`goalposts` takes a range")
                        .with_span(m.span)
                        .with_hint("usage: goalposts 80..100"),
                )
            }
        },
        "zscore" => {
            let p = numbers(m, 0, 2, "zscore, or zscore M, S such as zscore 100, 10")?;
            if p.len() == 1 {
                return Err(Diagnostic::error(
                    "method-params",
                    "`zscore` takes a mean and a standard deviation, or nothing",
                )
                .with_span(m.span)
                .with_hint(
                    "write `zscore 100, 10` (mean 100, sd 10) or plain `zscore` (0 and 1)",
                ));
            }
            let (mean, sd) = if p.is_empty() {
                (0.0, 1.0)
            } else {
                (p[0], p[1])
            };
            if sd <= 0.0 {
                return Err(Diagnostic::error(
                    "method-params",
                    "the standard deviation of `zscore` must be positive",
                )
                .with_span(m.params[1].span()));
            }
            Normalise::ZScore { mean, sd }
        }
        "target" => {
            let p = numbers(m, 1, 1, "target T, such as target 95%")?;
            if p[0] == 0.0 {
                return Err(Diagnostic::error(
                    "method-params",
                    "a target of 0 cannot be attained proportionally",
                )
                .with_span(m.params[0].span()));
            }
            Normalise::Target(p[0])
        }
        "ratio" => {
            if !m.params.is_empty() || m.block.is_some() {
                return Err(Diagnostic::error(
                    "method-params",
                    "`ratio` takes `mean`, `max`, `min` or `unit \"NAME\"`",
                )
                .with_span(m.span));
            }
            match &m.qualifier {
                Some(Qualifier::Word(w)) if w.name == "mean" => Normalise::Ratio(RatioTo::Mean),
                Some(Qualifier::Word(w)) if w.name == "max" => Normalise::Ratio(RatioTo::Max),
                Some(Qualifier::Word(w)) if w.name == "min" => Normalise::Ratio(RatioTo::Min),
                Some(Qualifier::Unit(s)) => Normalise::Ratio(RatioTo::Unit(s.value.clone())),
                _ => {
                    return Err(Diagnostic::error(
                        "method-params",
                        "`ratio` needs a reference value",
                    )
                    .with_span(m.span)
                    .with_hint(
                        "write `ratio mean`, `ratio max`, `ratio min` or `ratio unit \"NAME\"`",
                    ))
                }
            }
        }
        "bands" => match (&m.block, m.params.is_empty(), &m.qualifier) {
            (Some(MethodBlock::Bands(rows, _)), true, None) => {
                let mut bands = Vec::new();
                for (i, r) in rows.iter().enumerate() {
                    if r.op == BandOp::Else && i + 1 < rows.len() {
                        return Err(Diagnostic::error(
                            "bands",
                            "`else` must be the last row of the bands",
                        )
                        .with_span(r.span)
                        .with_hint(
                            "rows are tried top-down, so rows after `else` are never reached",
                        ));
                    }
                    bands.push(Band {
                        op: r.op,
                        threshold: r.threshold.as_ref().map_or(0.0, |t| t.value),
                        score: r.score.value,
                    });
                }
                Normalise::Bands(bands)
            }
            _ => {
                return Err(
                    Diagnostic::error("method-params", "`bands` needs its rows in braces")
                        .with_span(m.span)
                        .with_hint("usage: normalise bands { >= 90: 100, >= 60: 60, else: 0 }"),
                )
            }
        },
        _ => unreachable!("normalise {name}"),
    })
}

pub fn aggregate(m: &Method) -> R<Aggregate> {
    let name = pick(m, AGGREGATE, "aggregation method")?;
    Ok(match name {
        "arithmetic" => {
            bare(m, "the aggregation")?;
            Aggregate::Arithmetic
        }
        "geometric" => {
            bare(m, "the aggregation")?;
            Aggregate::Geometric
        }
        "harmonic" => {
            bare(m, "the aggregation")?;
            Aggregate::Harmonic
        }
        "min" => {
            bare(m, "the aggregation")?;
            Aggregate::Min
        }
        "median" => {
            bare(m, "the aggregation")?;
            Aggregate::Median
        }
        "topsis" => {
            bare(m, "the aggregation")?;
            Aggregate::Topsis
        }
        "mazziotta_pareto" => {
            bare(m, "the aggregation")?;
            Aggregate::MazziottaPareto
        }
        "power" => {
            let p = numbers(m, 1, 1, "power P, such as power 2 (power 0 is geometric)")?;
            Aggregate::Power(p[0])
        }
        "copeland" => match (&m.qualifier, m.params.is_empty(), &m.block) {
            (None, true, None) => Aggregate::Copeland { sum: false },
            (Some(Qualifier::Word(w)), true, None) if w.name == "sum" => {
                Aggregate::Copeland { sum: true }
            }
            _ => {
                return Err(Diagnostic::error(
                    "method-params",
                    "`copeland` takes nothing, or `sum` for COINr's row-sum variant",
                )
                .with_span(m.span))
            }
        },
        "grey" => {
            let p = numbers(m, 0, 1, "grey, or grey ρ with 0 < ρ ≤ 1 (default 0.5)")?;
            let rho = p.first().copied().unwrap_or(0.5);
            if !(rho > 0.0 && rho <= 1.0) {
                return Err(Diagnostic::error(
                    "method-params",
                    "the distinguishing coefficient ρ of `grey` must be in (0, 1]",
                )
                .with_span(m.params[0].span())
                .with_hint("0.5 is the usual choice"));
            }
            Aggregate::Grey(rho)
        }
        _ => unreachable!("aggregate {name}"),
    })
}

pub fn direction(m: &Method) -> R<Direction> {
    let name = pick(m, DIRECTION, "direction")?;
    Ok(match name {
        "positive" => {
            bare(m, "the direction")?;
            Direction::Positive
        }
        "negative" => {
            bare(m, "the direction")?;
            Direction::Negative
        }
        _ => {
            let p = numbers(m, 1, 1, "direction optimum X")?;
            Direction::Optimum(p[0])
        }
    })
}

pub fn missing(m: &Method) -> R<MissingPolicy> {
    let name = pick(m, MISSING, "missing-data policy")?;
    let by = match &m.qualifier {
        Some(Qualifier::By(c)) => Some(c.name.clone()),
        _ => None,
    };
    if by.is_some() && !matches!(name, "mean" | "median") {
        return Err(Diagnostic::error(
            "method-params",
            format!("`{name}` cannot be taken `by` a category"),
        )
        .with_span(m.span)
        .with_hint("only `mean by COLUMN` and `median by COLUMN` impute within categories"));
    }
    if by.is_none() {
        bare(m, "the missing-data policy")?;
    } else if !m.params.is_empty() || m.block.is_some() {
        return Err(Diagnostic::error(
            "method-params",
            format!("`{name} by COLUMN` takes nothing more"),
        )
        .with_span(m.span));
    }
    Ok(match (name, by) {
        ("skip", _) => MissingPolicy::Skip,
        ("mean", None) => MissingPolicy::Mean,
        ("mean", Some(c)) => MissingPolicy::MeanBy(c),
        ("median", None) => MissingPolicy::Median,
        ("median", Some(c)) => MissingPolicy::MedianBy(c),
        ("worst", _) => MissingPolicy::Worst,
        ("zero", _) => MissingPolicy::Zero,
        _ => MissingPolicy::Carry,
    })
}

pub fn weights(m: &Method) -> R<WeightsSpec> {
    let name = pick(m, WEIGHTS, "weighting method")?;
    Ok(match name {
        "given" => {
            bare(m, "the weighting")?;
            WeightsSpec::Simple(Weights::Given)
        }
        "equal" => {
            bare(m, "the weighting")?;
            WeightsSpec::Simple(Weights::Equal)
        }
        "entropy" => {
            bare(m, "the weighting")?;
            WeightsSpec::Simple(Weights::Entropy)
        }
        "critic" => {
            bare(m, "the weighting")?;
            WeightsSpec::Simple(Weights::Critic)
        }
        "sd" => {
            bare(m, "the weighting")?;
            WeightsSpec::Simple(Weights::Sd)
        }
        "cv" => {
            bare(m, "the weighting")?;
            WeightsSpec::Simple(Weights::Cv)
        }
        "pca" => match (&m.qualifier, m.params.is_empty(), &m.block) {
            (None, true, None) => WeightsSpec::Simple(Weights::Pca { rotated: true }),
            (Some(Qualifier::Word(w)), true, None) if w.name == "unrotated" => {
                WeightsSpec::Simple(Weights::Pca { rotated: false })
            }
            _ => {
                return Err(Diagnostic::error(
                    "method-params",
                    "`pca` takes nothing, or `unrotated`",
                )
                .with_span(m.span))
            }
        },
        "ahp" => {
            let textbook = match &m.qualifier {
                None => false,
                Some(Qualifier::Ri(t)) if t.name == "saaty" => false,
                Some(Qualifier::Ri(t)) if t.name == "textbook" => true,
                Some(Qualifier::Ri(t)) => {
                    return Err(Diagnostic::error(
                        "unknown-method",
                        format!("unknown random-index table `{}`", t.name),
                    )
                    .with_span(t.span)
                    .with_hint("write `ri saaty` (the default) or `ri textbook`"))
                }
                Some(q) => {
                    return Err(Diagnostic::error(
                        "method-params",
                        "`ahp` takes `ri saaty|textbook` and its judgements in braces",
                    )
                    .with_span(qualifier_span(q)))
                }
            };
            let Some(MethodBlock::Ahp(js, span)) = &m.block else {
                return Err(Diagnostic::error(
                    "method-params",
                    "`ahp` needs its pairwise judgements in braces",
                )
                .with_span(m.span)
                .with_hint("usage: weights ahp { a > b : 3  a > c : 5  b > c : 2 }"));
            };
            if let Some(p) = m.params.first() {
                return Err(extra(m, "the weighting", p.span()));
            }
            let mut judgements = Vec::new();
            for j in js {
                judgements.push(judgement(j)?);
            }
            WeightsSpec::Ahp {
                textbook,
                judgements,
                span: *span,
            }
        }
        _ => {
            // combine linear [..] | combine product [..]
            let product = match &m.qualifier {
                Some(Qualifier::Word(w)) if w.name == "linear" => false,
                Some(Qualifier::Word(w)) if w.name == "product" => true,
                _ => {
                    return Err(Diagnostic::error(
                        "method-params",
                        "`combine` needs `linear` or `product` and a list of methods",
                    )
                    .with_span(m.span)
                    .with_hint(
                        "usage: weights combine linear [ahp { a > b : 3 } 40%, entropy 60%]",
                    ))
                }
            };
            let Some(MethodBlock::List(items, span)) = &m.block else {
                return Err(Diagnostic::error(
                    "method-params",
                    "`combine` needs a list of methods in brackets",
                )
                .with_span(m.span)
                .with_hint("usage: weights combine linear [ahp { a > b : 3 } 40%, entropy 60%]"));
            };
            if items.len() < 2 {
                return Err(Diagnostic::error(
                    "method-params",
                    "`combine` needs at least two methods",
                )
                .with_span(*span));
            }
            let mut parts = Vec::new();
            let mut total = 0.0;
            for it in items {
                let w = weights(&it.method)?;
                if matches!(w, WeightsSpec::Combine { .. }) {
                    return Err(
                        Diagnostic::error("method-params", "`combine` cannot be nested")
                            .with_span(it.span),
                    );
                }
                let share =
                    match (&it.share, product) {
                        (Some(s), false) => fraction(s, "a method's share")?,
                        (None, false) => {
                            return Err(Diagnostic::error(
                                "method-params",
                                "each method of `combine linear` needs its share",
                            )
                            .with_span(it.span)
                            .with_hint(format!("write e.g. `{} 50%`", it.method.name.name)))
                        }
                        (Some(s), true) => return Err(Diagnostic::error(
                            "method-params",
                            "`combine product` multiplies the weights, so methods take no share",
                        )
                        .with_span(s.span)
                        .with_hint("remove the share, or use `combine linear`")),
                        (None, true) => 1.0,
                    };
                total += share;
                parts.push((w, share));
            }
            if !product && (total - 1.0).abs() > 1e-9 {
                return Err(Diagnostic::error(
                    "combine-shares",
                    format!(
                        "the shares of `combine linear` add up to {}%, not 100%",
                        crate::plan::num(total * 100.0)
                    ),
                )
                .with_span(*span));
            }
            WeightsSpec::Combine {
                product,
                parts,
                span: m.span,
            }
        }
    })
}

fn judgement(j: &ast::Judgement) -> R<Judgement> {
    let text = format!(
        "{} {} {}{}",
        j.left.name,
        j.op.symbol(),
        j.right.name,
        j.value
            .as_ref()
            .map(|v| format!(" : {}", v.text))
            .unwrap_or_default()
    );
    let k = match (&j.value, j.op) {
        (None, ast::JudgeOp::Equal) => 1.0,
        (Some(v), ast::JudgeOp::Equal) => {
            if v.value != 1.0 {
                return Err(Diagnostic::error(
                    "ahp-judgement",
                    "`=` means equally important; it takes no strength other than 1",
                )
                .with_span(v.span)
                .with_hint(format!(
                    "write `{} > {} : {}` if one is more important",
                    j.left.name, j.right.name, v.text
                )));
            }
            1.0
        }
        (None, _) => {
            return Err(
                Diagnostic::error("ahp-judgement", "this judgement has no strength")
                    .with_span(j.span)
                    .with_hint(format!(
                        "write e.g. `{} {} {} : 3` (1 = equal, 9 = extremely more important)",
                        j.left.name,
                        j.op.symbol(),
                        j.right.name
                    )),
            )
        }
        (Some(v), _) => {
            if !(1.0..=9.0).contains(&v.value) || v.percent {
                return Err(Diagnostic::error(
                    "ahp-judgement",
                    format!("AHP judgements are on Saaty's scale from 1 to 9, not `{}`", v.text),
                )
                .with_span(v.span)
                .with_hint(if v.value > 0.0 && v.value < 1.0 {
                    format!("turn it round: write `{} {} {} : {}` instead of a fraction", j.right.name, j.op.symbol(), j.left.name, crate::plan::num(1.0 / v.value))
                } else {
                    "1 = equally important, 3 = moderately, 5 = strongly, 7 = very strongly, 9 = extremely".to_string()
                }));
            }
            v.value
        }
    };
    if j.left.name == j.right.name {
        return Err(Diagnostic::error(
            "ahp-judgement",
            "a judgement compares two different children",
        )
        .with_span(j.span));
    }
    let value = if j.op == ast::JudgeOp::Less {
        1.0 / k
    } else {
        k
    };
    Ok(Judgement {
        left: j.left.name.clone(),
        left_span: j.left.span,
        right: j.right.name.clone(),
        right_span: j.right.span,
        value,
        text,
        span: j.span,
    })
}

/// Where each setting may stand.
pub fn allowed_on(key: SettingKey, kind: crate::plan::NodeKind) -> Result<(), &'static str> {
    use crate::plan::NodeKind::*;
    match (key, kind) {
        (SettingKey::Reference, Index) => Ok(()),
        (SettingKey::Reference, _) => Err("`reference` is set once for the whole index; write it at the index level"),
        (SettingKey::Coverage | SettingKey::Aggregate | SettingKey::Weights, Indicator) => {
            Err("it applies to a group's children, and an indicator has none; set it on the group")
        }
        (SettingKey::Weight, _) => Err("a weight is written in the header: `group ID weight 15 { ... }` or `indicator ID weight 3`"),
        _ => Ok(()),
    }
}
