//! Citizen survey microdata → unit × period estimates with their sampling error, reliability of
//! the dimensions, and the bootstrap replications for `vary survey` (LANGUAGE.md, "Surveys
//! (v1)").
//!
//! The flow: a [`SurveyDesign`] (what the `survey` block says) names the columns of a
//! respondent file; [`load`] reads them into a [`Respondents`] table; [`prepare`] validates the
//! answers and weights (data errors name file, row and column) and builds each unit × period's
//! sampling design; [`estimate`] gives the [`SurveyEstimates`]; [`Prepared::reestimate`] and
//! [`Prepared::replicate`] recompute the means under bootstrap weights. The arithmetic is in
//! [`crate::methods::survey`].

use crate::analysis::alpha::cronbach;
use crate::analysis::complete_cases;
use crate::data::respondents::{self, Respondents};
use crate::data::LoadOptions;
use crate::diagnostics::Diagnostic;
use crate::error::Error;
use crate::methods::stats::pearson;
use crate::methods::survey::{self as sm, Design, Scale, SurveyError};
use rand::Rng;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::Path;

/// The z quantile of the 95% intervals (±1.96·SE).
pub const Z95: f64 = 1.96;
/// Items correlating less than this with the rest of their dimension are flagged.
pub const WEAK_ITEM_REST: f64 = 0.2;
/// Dimensions with Cronbach's alpha under this are flagged.
pub const LOW_ALPHA: f64 = 0.7;
/// Respondents per task when their dimension scores are computed on several threads.
const ROWS_PER_TASK: usize = 1 << 16;
/// How many examples of one data error in one column become diagnostics.
const EXAMPLES: usize = 5;

/// A `survey` block: where the respondents are, which columns hold the unit, period, weight,
/// strata and clusters, and the dimensions and their items. Produced by the checker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SurveyDesign {
    pub id: String,
    #[serde(default)]
    pub label: Option<String>,
    /// The respondent file as written in the rules (`data "..."`).
    #[serde(default)]
    pub data: Option<String>,
    /// The unit column, matched to the index's unit ids.
    pub by: String,
    /// The period column.
    #[serde(default)]
    pub over: Option<String>,
    /// The sampling weight column; every respondent weighs 1 without it.
    #[serde(default)]
    pub weight: Option<String>,
    /// The strata column (strata are nested in unit × period); one stratum without it.
    #[serde(default)]
    pub strata: Option<String>,
    /// The primary sampling unit column (nested in strata); each respondent is a PSU without it.
    #[serde(default)]
    pub cluster: Option<String>,
    /// The block's answer range, for items and dimensions without their own.
    #[serde(default)]
    pub scale: Option<Scale>,
    /// Answer codes meaning "no answer" (`dont_know 9`, `dont_know [8, 9]`).
    #[serde(default)]
    pub dont_know: Vec<f64>,
    /// Fewer rows in a unit × period: no estimates for it, and a warning.
    #[serde(default)]
    pub min_respondents: Option<usize>,
    pub dimensions: Vec<SurveyDimension>,
}

/// A `dimension` of a survey: items averaged into a respondent score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SurveyDimension {
    pub id: String,
    #[serde(default)]
    pub label: Option<String>,
    /// The dimension's answer range, for items without their own.
    #[serde(default)]
    pub scale: Option<Scale>,
    pub items: Vec<SurveyItem>,
}

/// An `item`: a respondent column read as answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SurveyItem {
    /// The respondent column, and the item's name in `SURVEY.NAME`.
    pub id: String,
    #[serde(default)]
    pub label: Option<String>,
    #[serde(default)]
    pub scale: Option<Scale>,
    /// Reverse-coded: x → lo + hi − x before scoring.
    #[serde(default)]
    pub reverse: bool,
    /// The item's weight within its dimension (default 1).
    #[serde(default = "one")]
    pub weight: f64,
}

fn one() -> f64 {
    1.0
}

impl SurveyDesign {
    /// The answer range of an item: its own, else its dimension's, else the block's.
    pub fn scale_of(&self, dimension: &SurveyDimension, item: &SurveyItem) -> Option<Scale> {
        item.scale.or(dimension.scale).or(self.scale)
    }

    /// The options that read the design's columns, on top of `base` (its delimiter, encoding,
    /// sheet, missing-value tokens, leniency and threads).
    pub fn load_options(&self, base: &LoadOptions) -> LoadOptions {
        let mut opts = base.clone();
        opts.unit_column = self.by.clone();
        opts.period_column = self.over.clone();
        opts.label_column = None;
        opts.text_columns = self.strata.iter().chain(&self.cluster).cloned().collect();
        opts.numeric_columns = self.weight.iter().cloned().collect();
        for d in &self.dimensions {
            opts.numeric_columns
                .extend(d.items.iter().map(|i| i.id.clone()));
        }
        opts
    }

    /// The names of the estimates, in order: every dimension, then every item by dimension.
    pub fn estimate_names(&self) -> Vec<(String, EstimateKind)> {
        let dims = self
            .dimensions
            .iter()
            .map(|d| (d.id.clone(), EstimateKind::Dimension));
        let items = self
            .dimensions
            .iter()
            .flat_map(|d| d.items.iter().map(|i| (i.id.clone(), EstimateKind::Item)));
        dims.chain(items).collect()
    }
}

/// Reads the respondent file at `path` with the design's columns (see
/// [`SurveyDesign::load_options`]).
pub fn load(
    design: &SurveyDesign,
    path: &Path,
    base: &LoadOptions,
) -> Result<(Respondents, Vec<Diagnostic>), Error> {
    respondents::load(path, &design.load_options(base))
}

/// Whether an estimate is of a dimension or of an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EstimateKind {
    Dimension,
    Item,
}

/// One dimension's or item's estimate for a unit × period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Estimate {
    /// Σ w·y / Σ w over the respondents with a value; `None` below `min_respondents` or with
    /// no value at all.
    pub mean: Option<f64>,
    /// The Taylor-linearised standard error, `None` when `mean` is.
    pub se: Option<f64>,
    /// mean − 1.96·SE.
    pub lower: Option<f64>,
    /// mean + 1.96·SE.
    pub upper: Option<f64>,
    /// The share of the unit × period's respondents without a value (unweighted).
    pub no_answer: f64,
}

/// The estimates of one unit × period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnitEstimates {
    pub unit: String,
    pub period: Option<String>,
    /// The rows (respondents) of the unit × period.
    pub n: usize,
    /// Σ w over them.
    pub sum_weights: f64,
    /// Each dimension's and item's estimate, by name, in the order of
    /// [`SurveyDesign::estimate_names`].
    #[serde(serialize_with = "as_map")]
    pub estimates: Vec<(String, Estimate)>,
}

impl UnitEstimates {
    /// The estimate of a dimension or item by name.
    pub fn get(&self, name: &str) -> Option<&Estimate> {
        self.estimates.iter().find(|e| e.0 == name).map(|e| &e.1)
    }
}

fn as_map<S: serde::Serializer>(v: &[(String, Estimate)], s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut map = s.serialize_map(Some(v.len()))?;
    for (k, e) in v {
        map.serialize_entry(k, e)?;
    }
    map.end()
}

/// The reliability of one dimension in one period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DimensionReliability {
    /// The dimension.
    pub id: String,
    pub period: Option<String>,
    /// Respondents of the period who answered every item (all units).
    pub complete: usize,
    /// Cronbach's alpha of the item scores over them; `None` with fewer than 2 items or 2
    /// respondents, or totals that do not vary.
    pub alpha: Option<f64>,
    pub items: Vec<ItemRest>,
}

/// An item's corrected item-total correlation: Pearson's r with the sum of the dimension's
/// other items, over the same respondents as alpha.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ItemRest {
    pub id: String,
    pub item_rest: Option<f64>,
}

/// What the estimates warn about.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SurveyWarning {
    /// A unit × period with fewer rows than `min_respondents`: its estimates are missing.
    SmallSample {
        unit: String,
        period: Option<String>,
        n: usize,
        min: usize,
    },
    /// A stratum with a single PSU: it adds nothing to the variance.
    LonelyPsu {
        unit: String,
        period: Option<String>,
        /// The stratum's value; `None` without a strata column (the unit × period is one).
        stratum: Option<String>,
    },
    /// An item correlating under 0.2 with the rest of its dimension.
    WeakItem {
        dimension: String,
        period: Option<String>,
        item: String,
        item_rest: f64,
    },
    /// A dimension whose alpha is under 0.7.
    LowAlpha {
        dimension: String,
        period: Option<String>,
        alpha: f64,
    },
}

impl SurveyWarning {
    /// The period it concerns.
    pub fn period(&self) -> &Option<String> {
        match self {
            SurveyWarning::SmallSample { period, .. }
            | SurveyWarning::LonelyPsu { period, .. }
            | SurveyWarning::WeakItem { period, .. }
            | SurveyWarning::LowAlpha { period, .. } => period,
        }
    }

    /// A short code for the warning, in the style of the diagnostics' codes.
    pub fn code(&self) -> &'static str {
        match self {
            SurveyWarning::SmallSample { .. } => "survey-small-sample",
            SurveyWarning::LonelyPsu { .. } => "survey-lonely-psu",
            SurveyWarning::WeakItem { .. } => "survey-weak-item",
            SurveyWarning::LowAlpha { .. } => "survey-low-alpha",
        }
    }
}

fn in_period(period: &Option<String>) -> String {
    period
        .as_ref()
        .map(|p| format!(" in {p}"))
        .unwrap_or_default()
}

/// The warning in plain words (LANGUAGE.md's flags).
impl std::fmt::Display for SurveyWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SurveyWarning::SmallSample {
                unit,
                period,
                n,
                min,
            } => write!(
                f,
                "{unit}{} has {n} respondents, fewer than min_respondents {min}: no estimates",
                in_period(period)
            ),
            SurveyWarning::LonelyPsu {
                unit,
                period,
                stratum,
            } => {
                let s = match stratum {
                    Some(s) => format!("stratum {s} of {unit}"),
                    None => unit.clone(),
                };
                write!(
                    f,
                    "{s}{} has a single primary sampling unit: it adds nothing to the standard \
                     errors",
                    in_period(period)
                )
            }
            SurveyWarning::WeakItem {
                dimension,
                period,
                item,
                item_rest,
            } => write!(
                f,
                "item {item} correlates {item_rest:.2} with the rest of dimension \
                 {dimension}{} (under {WEAK_ITEM_REST}): it may not measure the same thing",
                in_period(period)
            ),
            SurveyWarning::LowAlpha {
                dimension,
                period,
                alpha,
            } => write!(
                f,
                "dimension {dimension} has Cronbach's alpha {alpha:.2}{} (under {LOW_ALPHA}): \
                 its items are not consistent",
                in_period(period)
            ),
        }
    }
}

/// A survey's estimates: per unit × period, per dimension and period, and the warnings.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SurveyEstimates {
    pub id: String,
    pub units: Vec<UnitEstimates>,
    pub dimensions: Vec<DimensionReliability>,
    pub warnings: Vec<SurveyWarning>,
}

/// The surveys a command reports: `id`, or every one. Errors (with a did-you-mean hint) when
/// `id` names no survey or there is none.
pub fn choose<'p>(
    surveys: &'p [crate::plan::SurveyPlan],
    id: Option<&str>,
) -> Result<Vec<&'p crate::plan::SurveyPlan>, String> {
    let ids: Vec<&str> = surveys.iter().map(|s| s.design.id.as_str()).collect();
    match id {
        _ if surveys.is_empty() => Err("these rules have no `survey` block".to_string()),
        None => Ok(surveys.iter().collect()),
        Some(id) => match surveys.iter().find(|s| s.design.id == id) {
            Some(s) => Ok(vec![s]),
            None => {
                let hint = match crate::diagnostics::did_you_mean(id, ids.iter().copied()) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!("the surveys are: {}", ids.join(", ")),
                };
                Err(format!("there is no survey `{id}` in these rules; {hint}"))
            }
        },
    }
}

impl SurveyEstimates {
    /// The estimates, reliability and warnings of one period. Errors when the survey has no
    /// such period.
    pub fn in_period(self, period: &str) -> Result<SurveyEstimates, String> {
        let keep = |p: &Option<String>| p.as_deref() == Some(period);
        if !self.units.iter().any(|u| keep(&u.period)) {
            let mut periods: Vec<&str> = Vec::new();
            for u in &self.units {
                if let Some(p) = u.period.as_deref() {
                    if !periods.contains(&p) {
                        periods.push(p);
                    }
                }
            }
            return Err(if periods.is_empty() {
                format!("--period {period}: survey `{}` has no periods", self.id)
            } else {
                format!(
                    "--period {period}: survey `{}` has the periods {}",
                    self.id,
                    periods.join(", ")
                )
            });
        }
        Ok(SurveyEstimates {
            id: self.id,
            units: self.units.into_iter().filter(|u| keep(&u.period)).collect(),
            dimensions: self
                .dimensions
                .into_iter()
                .filter(|d| keep(&d.period))
                .collect(),
            warnings: self
                .warnings
                .into_iter()
                .filter(|w| keep(w.period()))
                .collect(),
        })
    }

    /// The estimates of a unit in a period (`None` for a survey without periods).
    pub fn unit(&self, unit: &str, period: Option<&str>) -> Option<&UnitEstimates> {
        self.units
            .iter()
            .find(|u| u.unit == unit && u.period.as_deref() == period)
    }
}

/// One unit × period of a prepared survey.
#[derive(Debug, Clone)]
struct Group {
    unit: String,
    period: Option<String>,
    /// Its respondents (rows of the table), in file order.
    members: Vec<usize>,
    /// Their weights, in the same order.
    weights: Vec<f64>,
    design: Design,
    /// The value of each stratum id (`None` without a strata column).
    strata: Vec<Option<String>>,
    /// Whether it has fewer rows than `min_respondents`.
    small: bool,
    /// Per estimate and PSU (estimate-major): Σ w·y and Σ w over the PSU's respondents with a
    /// value, so that a bootstrap replication costs O(PSUs).
    psu_wy: Vec<f64>,
    psu_w: Vec<f64>,
    /// The first PSU of this group in [`Prepared::multipliers`]' order.
    psu_offset: usize,
}

/// A survey validated and scored, ready for estimation and replication.
#[derive(Debug, Clone)]
pub struct Prepared {
    id: String,
    names: Vec<(String, EstimateKind)>,
    /// Per estimate (dimensions, then items), per respondent: the score on 0..100 (NaN: no
    /// value).
    values: Vec<Vec<f64>>,
    /// Each respondent's weight.
    weights: Vec<f64>,
    /// Each respondent's period, as a position in `period_names` (periods in order of first
    /// appearance; one `None` without periods).
    period_of: Vec<u32>,
    period_names: Vec<Option<String>>,
    groups: Vec<Group>,
    /// The items of each dimension, as estimate indices.
    dimension_items: Vec<Vec<usize>>,
    psus: usize,
    /// `min_respondents` (0 without it).
    min_respondents: usize,
}

/// Collects up to [`EXAMPLES`] data errors per column, with a note counting the rest.
#[derive(Default)]
struct Errors {
    diags: Vec<Diagnostic>,
}

impl Errors {
    fn column(&mut self, mut found: Vec<Diagnostic>, count: usize) {
        let more = count.saturating_sub(found.len());
        if more > 0 {
            if let Some(last) = found.last_mut() {
                last.notes.push(format!("{more} more cells in this column"));
            }
        }
        self.diags.extend(found);
    }
}

/// Validates the respondents against the design and builds what estimation needs: item and
/// dimension scores, weights, each unit × period's sampling design and per-PSU sums.
///
/// Errors ([`Error::Diagnostics`]): an answer outside its scale, a weight that is missing,
/// zero, negative or not finite, an empty strata or cluster cell (each naming file, row and
/// column); a design without a usable scale for an item, an item weight that is not positive,
/// a name used twice, or a column the table lacks.
pub fn prepare(design: &SurveyDesign, table: &Respondents) -> Result<Prepared, Error> {
    let n = table.len();
    let mut errors = Errors::default();
    let names = design.estimate_names();
    for (k, (name, _)) in names.iter().enumerate() {
        if names[..k].iter().any(|(m, _)| m == name) {
            errors.diags.push(Diagnostic::error(
                "duplicate-survey-name",
                format!(
                    "`{name}` names two dimensions or items of survey `{}`",
                    design.id
                ),
            ));
        }
    }
    let units = table.text(&design.by);
    let periods_col = design.over.as_ref().map(|p| table.text(p));
    let missing_column = |errors: &mut Errors, name: &str| {
        errors.diags.push(Diagnostic::error(
            "unknown-column",
            format!(
                "column `{name}` of survey `{}` was not read from {}",
                design.id,
                table.path().display()
            ),
        ))
    };
    if units.is_none() {
        missing_column(&mut errors, &design.by);
    }
    if let (Some(p), Some(None)) = (&design.over, &periods_col) {
        missing_column(&mut errors, p);
    }
    let strata_col = design.strata.as_ref().map(|s| (s, table.text(s)));
    let cluster_col = design.cluster.as_ref().map(|c| (c, table.text(c)));
    for (name, col) in strata_col.iter().chain(&cluster_col) {
        if col.is_none() {
            missing_column(&mut errors, name);
        }
    }

    // Weights.
    let weights: Vec<f64> = match &design.weight {
        None => vec![1.0; n],
        Some(w) => match table.numeric(w) {
            None => {
                missing_column(&mut errors, w);
                vec![1.0; n]
            }
            Some(values) => {
                let mut found = Vec::new();
                let mut count = 0;
                for (i, &v) in values.iter().enumerate() {
                    if !(v.is_finite() && v > 0.0) {
                        count += 1;
                        if found.len() < EXAMPLES {
                            let shown = if v.is_nan() {
                                "missing".to_string()
                            } else {
                                format!("{v}")
                            };
                            found.push(
                                Diagnostic::error(
                                    "bad-weight",
                                    format!(
                                        "the weight of row {} is {shown}: sampling weights \
                                         must be positive numbers",
                                        table.source_row(i)
                                    ),
                                )
                                .with_location(table.location(i, w))
                                .with_hint("give every respondent a weight above 0"),
                            );
                        }
                    }
                }
                errors.column(found, count);
                values.to_vec()
            }
        },
    };

    // Empty strata and cluster cells.
    for (name, col) in strata_col.iter().chain(&cluster_col) {
        let Some(col) = col else { continue };
        let mut found = Vec::new();
        let mut count = 0;
        for i in 0..n {
            if col.get(i).is_empty() {
                count += 1;
                if found.len() < EXAMPLES {
                    found.push(
                        Diagnostic::error(
                            "missing-design-cell",
                            format!(
                                "row {} has no value in column `{name}`",
                                table.source_row(i)
                            ),
                        )
                        .with_location(table.location(i, name))
                        .with_hint("every respondent needs its stratum and cluster"),
                    );
                }
            }
        }
        errors.column(found, count);
    }

    // Item scores: the scales checked here, the answers scored below, column by column on
    // every thread.
    let mut item_values: Vec<Vec<f64>> = Vec::new();
    let mut to_score = Vec::new();
    let mut dimension_items: Vec<Vec<usize>> = Vec::new();
    let dims = design.dimensions.len();
    for d in &design.dimensions {
        let mut members = Vec::new();
        for item in &d.items {
            members.push(dims + item_values.len());
            if !(item.weight.is_finite() && item.weight > 0.0) {
                errors.diags.push(Diagnostic::error(
                    "bad-item-weight",
                    format!(
                        "item `{}` of survey `{}` has the weight {}: item weights must be positive",
                        item.id, design.id, item.weight
                    ),
                ));
            }
            let scale = match design.scale_of(d, item) {
                Some(s) if s.is_valid() => s,
                Some(s) => {
                    errors.diags.push(Diagnostic::error(
                        "bad-scale",
                        format!(
                            "the scale {}..{} of item `{}` is not an increasing range",
                            s.lo, s.hi, item.id
                        ),
                    ));
                    item_values.push(vec![f64::NAN; n]);
                    continue;
                }
                None => {
                    errors.diags.push(Diagnostic::error(
                        "no-scale",
                        format!(
                            "item `{}` of survey `{}` has no scale: give one to the item, its \
                             dimension or the survey",
                            item.id, design.id
                        ),
                    ));
                    item_values.push(vec![f64::NAN; n]);
                    continue;
                }
            };
            let Some(raw) = table.numeric(&item.id) else {
                missing_column(&mut errors, &item.id);
                item_values.push(vec![f64::NAN; n]);
                continue;
            };
            to_score.push((item_values.len(), raw, scale, item));
            item_values.push(Vec::new());
        }
        dimension_items.push(members);
    }
    let scored = crate::par_map(to_score.len(), |k| {
        let (_, raw, scale, item) = to_score[k];
        let mut scores = Vec::with_capacity(n);
        let mut found = Vec::new();
        let mut count = 0;
        for (i, &x) in raw.iter().enumerate() {
            match sm::item_score(x, scale, item.reverse, &design.dont_know) {
                Ok(s) => scores.push(s),
                Err(e) => {
                    count += 1;
                    if found.len() < EXAMPLES {
                        found.push(out_of_scale(&e, table, i, &item.id));
                    }
                    scores.push(f64::NAN);
                }
            }
        }
        (scores, found, count)
    });
    for ((at, ..), (scores, found, count)) in to_score.iter().zip(scored) {
        errors.column(found, count);
        item_values[*at] = scores;
    }
    if errors.diags.iter().any(|d| d.is_error()) {
        return Err(Error::Diagnostics(errors.diags));
    }

    // Dimension scores, then the item scores: the order of `names`.
    let mut values: Vec<Vec<f64>> = Vec::with_capacity(names.len());
    for (d, members) in design.dimensions.iter().zip(&dimension_items) {
        let w: Vec<f64> = d.items.iter().map(|i| i.weight).collect();
        let cols: Vec<&Vec<f64>> = members.iter().map(|&k| &item_values[k - dims]).collect();
        let chunks = n.div_ceil(ROWS_PER_TASK);
        let scores: Vec<f64> = crate::par_map(chunks, |t| {
            let mut scratch = Vec::with_capacity(cols.len());
            (t * ROWS_PER_TASK..((t + 1) * ROWS_PER_TASK).min(n))
                .map(|i| {
                    scratch.clear();
                    scratch.extend(cols.iter().map(|c| c[i]));
                    sm::dimension_score(&scratch, &w)
                })
                .collect::<Vec<f64>>()
        })
        .concat();
        values.push(scores);
    }
    values.extend(item_values);

    // Units × periods, in order of first appearance; strata and PSUs within each.
    // Both were checked above: an absent unit or period column is an error already returned.
    let Some(units) = units else {
        return Err(Error::Usage("the unit column was not read".to_string()));
    };
    let periods_col = periods_col.flatten();
    // Each respondent's period, as an index into `period_names`.
    let mut period_names: Vec<Option<String>> = Vec::new();
    let mut period_of: Vec<u32> = Vec::with_capacity(n);
    {
        let mut seen: HashMap<&str, u32> = HashMap::new();
        match periods_col {
            Some(p) => {
                for i in 0..n {
                    let id = *seen.entry(p.get(i)).or_insert_with(|| {
                        period_names.push(Some(p.get(i).to_string()));
                        period_names.len() as u32 - 1
                    });
                    period_of.push(id);
                }
            }
            None => {
                period_names.push(None);
                period_of.resize(n, 0);
            }
        }
    }
    let mut index: HashMap<(&str, u32), usize> = HashMap::new();
    let mut members: Vec<Vec<usize>> = Vec::new();
    for (i, &period) in period_of.iter().enumerate() {
        let g = *index.entry((units.get(i), period)).or_insert_with(|| {
            members.push(Vec::new());
            members.len() - 1
        });
        members[g].push(i);
    }
    let strata_cells = strata_col.and_then(|c| c.1);
    let cluster_cells = cluster_col.and_then(|c| c.1);
    let min = design.min_respondents.unwrap_or(0);
    // Each unit × period's design and per-PSU sums, on every thread.
    let built = crate::par_map(members.len(), |g| {
        let rows = &members[g];
        let mut strata: Vec<Option<String>> = Vec::new();
        let mut stratum_ids: HashMap<&str, usize> = HashMap::new();
        let mut psu_ids: HashMap<(usize, &str), usize> = HashMap::new();
        let mut psu_of = Vec::with_capacity(rows.len());
        let mut stratum_of = Vec::new();
        for &i in rows {
            let h = match strata_cells {
                Some(c) => *stratum_ids.entry(c.get(i)).or_insert_with(|| {
                    strata.push(Some(c.get(i).to_string()));
                    strata.len() - 1
                }),
                None => {
                    if strata.is_empty() {
                        strata.push(None);
                    }
                    0
                }
            };
            let p = match cluster_cells {
                Some(c) => *psu_ids.entry((h, c.get(i))).or_insert_with(|| {
                    stratum_of.push(h);
                    stratum_of.len() - 1
                }),
                None => {
                    stratum_of.push(h);
                    stratum_of.len() - 1
                }
            };
            psu_of.push(p);
        }
        let design_g =
            Design::new(psu_of, stratum_of).map_err(|e| Error::Usage(format!("internal: {e}")))?;
        let w: Vec<f64> = rows.iter().map(|&i| weights[i]).collect();
        let np = design_g.psus();
        let mut psu_wy = vec![0.0; names.len() * np];
        let mut psu_w = vec![0.0; names.len() * np];
        for (c, col) in values.iter().enumerate() {
            for (k, &i) in rows.iter().enumerate() {
                let y = col[i];
                if !y.is_nan() {
                    let p = c * np + design_g.psu_of()[k];
                    psu_wy[p] += w[k] * y;
                    psu_w[p] += w[k];
                }
            }
        }
        Ok::<_, Error>((design_g, strata, w, psu_wy, psu_w))
    });
    let mut groups = Vec::with_capacity(members.len());
    let mut psus = 0;
    for (rows, b) in members.into_iter().zip(built) {
        let (design_g, strata, w, psu_wy, psu_w) = b?;
        let first = rows[0];
        let np = design_g.psus();
        groups.push(Group {
            unit: units.get(first).to_string(),
            period: period_names[period_of[first] as usize].clone(),
            small: rows.len() < min,
            members: rows,
            weights: w,
            design: design_g,
            strata,
            psu_wy,
            psu_w,
            psu_offset: psus,
        });
        psus += np;
    }
    Ok(Prepared {
        id: design.id.clone(),
        names,
        values,
        weights,
        period_of,
        period_names,
        groups,
        dimension_items,
        psus,
        min_respondents: min,
    })
}

fn out_of_scale(e: &SurveyError, table: &Respondents, i: usize, column: &str) -> Diagnostic {
    let row = table.source_row(i);
    let d = Diagnostic::error("out-of-scale", format!("row {row}, column `{column}`: {e}"))
        .with_location(table.location(i, column));
    match e {
        SurveyError::OutOfScale { .. } => d.with_hint(
            "correct the answer, or list the code under `dont_know` if it means no answer",
        ),
        _ => d,
    }
}

/// The survey's estimates: see [`prepare`] for the errors.
pub fn estimate(design: &SurveyDesign, table: &Respondents) -> Result<SurveyEstimates, Error> {
    Ok(prepare(design, table)?.estimates())
}

/// The means of every unit × period and estimate recomputed with other respondent weights
/// (a bootstrap replication's): see [`Prepared::reestimate`].
pub fn reestimate(
    design: &SurveyDesign,
    table: &Respondents,
    weights: &[f64],
) -> Result<Replicate, Error> {
    prepare(design, table)?.reestimate(weights)
}

/// The means of one replication, by unit × period (in the order of
/// [`SurveyEstimates::units`]) and estimate (in the order of [`SurveyDesign::estimate_names`]);
/// NaN where the estimate is missing.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Replicate {
    pub estimates: usize,
    pub means: Vec<f64>,
}

impl Replicate {
    /// The mean of estimate `e` in unit × period `g`.
    pub fn mean(&self, g: usize, e: usize) -> f64 {
        self.means
            .get(g * self.estimates + e)
            .copied()
            .unwrap_or(f64::NAN)
    }
}

impl Prepared {
    /// The survey's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The number of respondents.
    pub fn respondents(&self) -> usize {
        self.weights.len()
    }

    /// The respondents' weights.
    pub fn weights(&self) -> &[f64] {
        &self.weights
    }

    /// The number of PSUs over all units × periods (the length of a replication's
    /// multipliers).
    pub fn psus(&self) -> usize {
        self.psus
    }

    /// The names of the estimates.
    pub fn names(&self) -> &[(String, EstimateKind)] {
        &self.names
    }

    /// The units × periods, in order.
    pub fn units(&self) -> impl ExactSizeIterator<Item = (&str, Option<&str>)> {
        self.groups
            .iter()
            .map(|g| (g.unit.as_str(), g.period.as_deref()))
    }

    /// Every estimate with its standard error, the reliability of each dimension per period,
    /// and the warnings.
    pub fn estimates(&self) -> SurveyEstimates {
        let mut warnings = Vec::new();
        for g in &self.groups {
            if g.small {
                warnings.push(SurveyWarning::SmallSample {
                    unit: g.unit.clone(),
                    period: g.period.clone(),
                    n: g.members.len(),
                    min: self.min_respondents,
                });
            }
            for h in g.design.lonely_strata() {
                warnings.push(SurveyWarning::LonelyPsu {
                    unit: g.unit.clone(),
                    period: g.period.clone(),
                    stratum: g.strata[h].clone(),
                });
            }
        }
        // Units × periods are independent: on every thread, in order.
        let units = crate::par_map(self.groups.len(), |k| self.unit_estimates(&self.groups[k]));
        let dimensions = self.reliability(&mut warnings);
        SurveyEstimates {
            id: self.id.clone(),
            units,
            dimensions,
            warnings,
        }
    }

    /// Every estimate of one unit × period, with its standard error.
    fn unit_estimates(&self, g: &Group) -> UnitEstimates {
        let n = g.members.len();
        let mut y = Vec::with_capacity(n);
        let estimates = self
            .names
            .iter()
            .zip(&self.values)
            .map(|((name, _), col)| {
                y.clear();
                y.extend(g.members.iter().map(|&i| col[i]));
                let missing = y.iter().filter(|v| v.is_nan()).count();
                let (mean, se) = if g.small {
                    (f64::NAN, f64::NAN)
                } else {
                    sm::mean_and_se(&y, &g.weights, &g.design)
                };
                let some = |v: f64| (!v.is_nan()).then_some(v);
                let e = Estimate {
                    mean: some(mean),
                    se: some(se),
                    lower: some(mean - Z95 * se),
                    upper: some(mean + Z95 * se),
                    no_answer: missing as f64 / n as f64,
                };
                (name.clone(), e)
            })
            .collect();
        UnitEstimates {
            unit: g.unit.clone(),
            period: g.period.clone(),
            n,
            sum_weights: g.weights.iter().sum(),
            estimates,
        }
    }

    /// Cronbach's alpha and the item-rest correlations of each dimension per period.
    fn reliability(&self, warnings: &mut Vec<SurveyWarning>) -> Vec<DimensionReliability> {
        // Each period's respondents, in file order (periods in order of first appearance).
        let mut periods: Vec<(Option<&str>, Vec<usize>)> = Vec::new();
        for (i, &p) in self.period_of.iter().enumerate() {
            let p = p as usize;
            if p == periods.len() {
                periods.push((self.period_names[p].as_deref(), Vec::new()));
            }
            periods[p].1.push(i);
        }
        let dims = self.dimension_items.len();
        // Every (period, dimension) on its own, on every thread, in order.
        let done = crate::par_map(periods.len() * dims, |k| {
            let (period, rows) = &periods[k / dims];
            self.dimension_reliability(k % dims, *period, rows)
        });
        let mut out = Vec::with_capacity(done.len());
        for (r, w) in done {
            out.push(r);
            warnings.extend(w);
        }
        out
    }

    /// The reliability of dimension `d` over the respondents `rows` of `period`, and its flags.
    fn dimension_reliability(
        &self,
        d: usize,
        period: Option<&str>,
        rows: &[usize],
    ) -> (DimensionReliability, Vec<SurveyWarning>) {
        let mut warnings = Vec::new();
        let items = &self.dimension_items[d];
        let cols: Vec<Vec<f64>> = items
            .iter()
            .map(|&k| rows.iter().map(|&i| self.values[k][i]).collect())
            .collect();
        let refs: Vec<&[f64]> = cols.iter().map(|c| c.as_slice()).collect();
        let complete = complete_cases(&refs);
        let m = complete.first().map_or(0, |c| c.len());
        let alpha = cronbach(&refs);
        let dimension = self.names[d].0.clone();
        let mut rest = vec![0.0; m];
        let item_rest: Vec<ItemRest> = items
            .iter()
            .enumerate()
            .map(|(j, &k)| {
                let r = if items.len() < 2 {
                    f64::NAN
                } else {
                    // The sum of the other items, added in item order.
                    rest.iter_mut().for_each(|x| *x = 0.0);
                    for (o, col) in complete.iter().enumerate() {
                        if o != j {
                            for (x, v) in rest.iter_mut().zip(col) {
                                *x += v;
                            }
                        }
                    }
                    pearson(&complete[j], &rest)
                };
                let item_rest = (!r.is_nan()).then_some(r);
                if let Some(r) = item_rest.filter(|&r| r < WEAK_ITEM_REST) {
                    warnings.push(SurveyWarning::WeakItem {
                        dimension: dimension.clone(),
                        period: period.map(str::to_string),
                        item: self.names[k].0.clone(),
                        item_rest: r,
                    });
                }
                ItemRest {
                    id: self.names[k].0.clone(),
                    item_rest,
                }
            })
            .collect();
        if let Some(a) = alpha.filter(|&a| a < LOW_ALPHA) {
            warnings.push(SurveyWarning::LowAlpha {
                dimension: dimension.clone(),
                period: period.map(str::to_string),
                alpha: a,
            });
        }
        let reliability = DimensionReliability {
            id: dimension,
            period: period.map(str::to_string),
            complete: m,
            alpha,
            items: item_rest,
        };
        (reliability, warnings)
    }

    /// One replication's PSU multipliers by the rescaling bootstrap, unit × period after unit
    /// × period in order (see [`sm::rescaling_multipliers`]); `rng` is the replication's own
    /// stream.
    pub fn multipliers<R: Rng + ?Sized>(&self, rng: &mut R) -> Vec<f64> {
        let mut out = Vec::with_capacity(self.psus);
        for g in &self.groups {
            out.extend(sm::rescaling_multipliers(&g.design, rng));
        }
        out
    }

    /// The respondent weights of a replication with the given PSU multipliers (each weight
    /// times its PSU's multiplier); empty when `multipliers` has the wrong length.
    pub fn weights_for(&self, multipliers: &[f64]) -> Vec<f64> {
        if multipliers.len() != self.psus {
            return Vec::new();
        }
        let mut out = vec![0.0; self.respondents()];
        for g in &self.groups {
            for ((&i, &w), &p) in g.members.iter().zip(&g.weights).zip(g.design.psu_of()) {
                out[i] = w * multipliers[g.psu_offset + p];
            }
        }
        out
    }

    /// The means recomputed with other respondent weights (in table order), by the plain
    /// weighted mean. Errors when `weights` does not have one weight per respondent.
    pub fn reestimate(&self, weights: &[f64]) -> Result<Replicate, Error> {
        if weights.len() != self.respondents() {
            return Err(Error::Usage(format!(
                "a replication of survey `{}` needs {} weights, not {}",
                self.id,
                self.respondents(),
                weights.len()
            )));
        }
        let e = self.names.len();
        let mut means = Vec::with_capacity(self.groups.len() * e);
        let (mut y, mut w) = (Vec::new(), Vec::new());
        for g in &self.groups {
            w.clear();
            w.extend(g.members.iter().map(|&i| weights[i]));
            for col in &self.values {
                if g.small {
                    means.push(f64::NAN);
                    continue;
                }
                y.clear();
                y.extend(g.members.iter().map(|&i| col[i]));
                means.push(sm::weighted_mean(&y, &w));
            }
        }
        Ok(Replicate {
            estimates: e,
            means,
        })
    }

    /// The means of a replication from its PSU multipliers ([`Prepared::multipliers`]), in
    /// O(PSUs) per estimate from the per-PSU sums: Σ_p m_p·(Σ w·y)_p / Σ_p m_p·(Σ w)_p. Equals
    /// [`Prepared::reestimate`] of [`Prepared::weights_for`] up to rounding. Errors when
    /// `multipliers` has the wrong length.
    pub fn replicate(&self, multipliers: &[f64]) -> Result<Replicate, Error> {
        if multipliers.len() != self.psus {
            return Err(Error::Usage(format!(
                "a replication of survey `{}` needs {} PSU multipliers, not {}",
                self.id,
                self.psus,
                multipliers.len()
            )));
        }
        let all: Vec<usize> = (0..self.names.len()).collect();
        Ok(Replicate {
            estimates: all.len(),
            means: self.means_for(multipliers, &all),
        })
    }

    /// The means of the estimates `estimates` (indices into [`Prepared::names`]) under the PSU
    /// multipliers, unit × period after unit × period (`estimates.len()` values each): NaN for
    /// a small sample or no value. `multipliers` has [`Prepared::psus`] entries.
    fn means_for(&self, multipliers: &[f64], estimates: &[usize]) -> Vec<f64> {
        let mut means = Vec::with_capacity(self.groups.len() * estimates.len());
        for g in &self.groups {
            let np = g.design.psus();
            let m = &multipliers[g.psu_offset..g.psu_offset + np];
            for &c in estimates {
                if g.small {
                    means.push(f64::NAN);
                    continue;
                }
                let wy = &g.psu_wy[c * np..(c + 1) * np];
                let w = &g.psu_w[c * np..(c + 1) * np];
                let (mut a, mut b) = (0.0, 0.0);
                for p in 0..np {
                    a += m[p] * wy[p];
                    b += m[p] * w[p];
                }
                means.push(if b > 0.0 { a / b } else { f64::NAN });
            }
        }
        means
    }
}

/// A prepared survey bound to the rows of an index's frame: what `vary survey ID` re-estimates
/// in each replication of the uncertainty analysis.
#[derive(Debug, Clone)]
pub struct Bound {
    prepared: Prepared,
    /// The frame columns its estimates fill: (column name, estimate index).
    columns: Vec<(String, usize)>,
    /// Per frame row: its unit × period in the survey (`None`: no respondents).
    rows: Vec<Option<usize>>,
}

impl Bound {
    /// Binds `prepared` to a frame: `columns` are (frame column, estimate name) and `rows` the
    /// unit × period of each frame row, in [`Prepared::units`]' order. Errors when an estimate
    /// name is not the survey's.
    pub fn new(
        prepared: Prepared,
        columns: Vec<(String, String)>,
        rows: Vec<Option<usize>>,
    ) -> Result<Bound, Error> {
        let columns = columns
            .into_iter()
            .map(|(col, name)| {
                let k = prepared
                    .names
                    .iter()
                    .position(|(n, _)| *n == name)
                    .ok_or_else(|| {
                        Error::Usage(format!("survey `{}` has no estimate `{name}`", prepared.id))
                    })?;
                Ok((col, k))
            })
            .collect::<Result<_, Error>>()?;
        Ok(Bound {
            prepared,
            columns,
            rows,
        })
    }

    /// The survey's id.
    pub fn id(&self) -> &str {
        &self.prepared.id
    }

    /// The prepared survey.
    pub fn prepared(&self) -> &Prepared {
        &self.prepared
    }

    /// One bootstrap replication drawn from `rng`: each bound frame column with its values by
    /// frame row (NaN where the row's unit × period has no respondents or too few). Costs
    /// O(PSUs × columns), whatever the number of respondents.
    pub fn replicate<R: Rng + ?Sized>(&self, rng: &mut R) -> Vec<(String, Vec<f64>)> {
        let multipliers = self.prepared.multipliers(rng);
        let estimates: Vec<usize> = self.columns.iter().map(|(_, k)| *k).collect();
        let means = self.prepared.means_for(&multipliers, &estimates);
        let e = estimates.len();
        self.columns
            .iter()
            .enumerate()
            .map(|(j, (col, _))| {
                let values = self
                    .rows
                    .iter()
                    .map(|r| r.map_or(f64::NAN, |g| means[g * e + j]))
                    .collect();
                (col.clone(), values)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::methods::tolerance::{assert_close, EXACT};

    fn item(id: &str) -> SurveyItem {
        SurveyItem {
            id: id.into(),
            label: None,
            scale: None,
            reverse: false,
            weight: 1.0,
        }
    }

    /// Units a (3 respondents) and b (1), items q1, q2 on 1..5, codes 8 and 9 for no answer.
    fn design() -> SurveyDesign {
        SurveyDesign {
            id: "s".into(),
            label: None,
            data: None,
            by: "unit".into(),
            over: None,
            weight: None,
            strata: None,
            cluster: None,
            scale: Some(Scale { lo: 1.0, hi: 5.0 }),
            dont_know: vec![8.0, 9.0],
            min_respondents: None,
            dimensions: vec![SurveyDimension {
                id: "d".into(),
                label: None,
                scale: None,
                items: vec![item("q1"), item("q2")],
            }],
        }
    }

    fn table(q1: Vec<f64>, q2: Vec<f64>, w: Vec<f64>) -> Respondents {
        let units = ["a", "a", "a", "b"].map(String::from).to_vec();
        Respondents::from_columns(
            "t.csv",
            vec![("unit".into(), units)],
            vec![("q1".into(), q1), ("q2".into(), q2), ("w".into(), w)],
        )
        .unwrap()
    }

    /// Without weight, strata or cluster: equal weights, each respondent its own PSU in one
    /// stratum, so var = n/(n − 1)·Σ((y − ȳ)/n)² = s²/n, the textbook SE s/√n.
    #[test]
    fn simple_random_sample() {
        let nan = f64::NAN;
        let t = table(
            vec![1.0, 3.0, 5.0, 2.0],
            vec![8.0, 9.0, nan, 4.0],
            vec![1.0; 4],
        );
        let est = estimate(&design(), &t).unwrap();
        let a = est.unit("a", None).unwrap();
        assert_eq!(a.n, 3);
        assert_eq!(a.sum_weights, 3.0);
        let q1 = a.get("q1").unwrap();
        // Scores 0, 50, 100: mean 50, sd 50, SE 50/√3.
        assert_close(q1.mean.unwrap(), 50.0, EXACT, "mean");
        assert_close(q1.se.unwrap(), 50.0 / 3f64.sqrt(), EXACT, "se");
        assert_eq!(q1.no_answer, 0.0);
        // q2: codes 8 and 9 and an empty cell are no answers.
        let q2 = a.get("q2").unwrap();
        assert_eq!((q2.mean, q2.se, q2.no_answer), (None, None, 1.0));
        // The dimension: one of two items answered is half the weight, kept.
        assert_close(a.get("d").unwrap().mean.unwrap(), 50.0, EXACT, "dimension");
        // b has one respondent: one PSU, a lonely stratum.
        assert!(est.warnings.iter().any(|w| matches!(
            w,
            SurveyWarning::LonelyPsu { unit, stratum: None, .. } if unit == "b"
        )));
        assert_eq!(
            est.unit("b", None).unwrap().get("q1").unwrap().se,
            Some(0.0)
        );
    }

    /// Weighted, and item weights renormalised over the answered items.
    #[test]
    fn weights_and_item_weights() {
        let mut d = design();
        d.weight = Some("w".into());
        d.dimensions[0].items[1].weight = 3.0;
        let nan = f64::NAN;
        let t = table(
            vec![1.0, 5.0, nan, 3.0],
            vec![5.0, nan, 3.0, 3.0],
            vec![1.0, 3.0, 2.0, 1.0],
        );
        let a = estimate(&d, &t).unwrap();
        let a = a.unit("a", None).unwrap();
        // q1: (1·0 + 3·100)/4.
        assert_close(a.get("q1").unwrap().mean.unwrap(), 75.0, EXACT, "q1");
        // Respondent scores: (0 + 3·100)/4 = 75; q1 alone carries 1 of 4: missing; q2 alone
        // carries 3 of 4: 50. Dimension mean (1·75 + 2·50)/3.
        assert_close(
            a.get("d").unwrap().mean.unwrap(),
            175.0 / 3.0,
            EXACT,
            "dimension",
        );
        assert_close(a.get("d").unwrap().no_answer, 1.0 / 3.0, EXACT, "no answer");
    }

    #[test]
    fn small_units_have_no_estimates() {
        let mut d = design();
        d.min_respondents = Some(2);
        let t = table(vec![1.0; 4], vec![2.0; 4], vec![1.0; 4]);
        let prepared = prepare(&d, &t).unwrap();
        let est = prepared.estimates();
        let b = est.unit("b", None).unwrap();
        assert!(b.estimates.iter().all(|(_, e)| e.mean.is_none()));
        assert!(est.warnings.contains(&SurveyWarning::SmallSample {
            unit: "b".into(),
            period: None,
            n: 1,
            min: 2
        }));
        let rep = prepared.replicate(&vec![1.0; prepared.psus()]).unwrap();
        assert!(rep.mean(1, 0).is_nan() && !rep.mean(0, 0).is_nan());
    }

    #[test]
    fn design_errors_are_reported() {
        let t = table(vec![1.0; 4], vec![2.0; 4], vec![1.0; 4]);
        let codes = |d: &SurveyDesign| match prepare(d, &t) {
            Err(Error::Diagnostics(ds)) => ds.iter().map(|d| d.code).collect::<Vec<_>>(),
            other => panic!("{other:?}"),
        };
        let mut d = design();
        d.scale = None;
        assert_eq!(codes(&d), ["no-scale", "no-scale"]);
        let mut d = design();
        d.dimensions[0].items[0].scale = Some(Scale { lo: 5.0, hi: 1.0 });
        d.dimensions[0].items[1].id = "d".into();
        assert_eq!(
            codes(&d),
            ["duplicate-survey-name", "bad-scale", "unknown-column"]
        );
        let mut d = design();
        d.weight = Some("w".into());
        let t0 = table(vec![1.0; 4], vec![2.0; 4], vec![1.0, 0.0, -1.0, f64::NAN]);
        match prepare(&d, &t0) {
            Err(Error::Diagnostics(ds)) => {
                let locs: Vec<_> = ds.iter().map(|d| d.location.clone().unwrap()).collect();
                assert_eq!(locs, ["t.csv:3:4", "t.csv:4:4", "t.csv:5:4"]);
            }
            other => panic!("{other:?}"),
        }
        assert!(prepare(&design(), &t).unwrap().reestimate(&[1.0]).is_err());
        assert!(prepare(&design(), &t).unwrap().replicate(&[1.0]).is_err());
    }

    /// The design is plain data (the checker produces it, `explain` prints it), and the
    /// estimates serialise with each unit's estimates keyed by name.
    #[test]
    fn serialised_forms() {
        let d = design();
        let json = serde_json::to_string(&d).unwrap();
        assert_eq!(serde_json::from_str::<SurveyDesign>(&json).unwrap(), d);
        let t = table(vec![1.0; 4], vec![2.0; 4], vec![1.0; 4]);
        let est = serde_json::to_value(estimate(&d, &t).unwrap()).unwrap();
        let q1 = &est["units"][0]["estimates"]["q1"];
        assert_eq!(q1["mean"], 0.0);
        assert_eq!(q1["no_answer"], 0.0);
        assert_eq!(est["warnings"][0]["kind"], "lonely_psu");
    }
}
