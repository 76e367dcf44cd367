//! The Plan: a flat, serialisable description of what to compute, addressed by [`NodeId`].
//! The checker produces one Plan per scheme; the engine never sees the AST.

use crate::diagnostics::Diagnostic;
use crate::source::Span;
pub use crate::syntax::ast::{BinaryOp, SettingKey};
use serde::{Deserialize, Serialize};
use std::fmt;

// The settings' vocabulary is the methods' own: one definition of each, with the pure
// functions that take it.
pub use crate::methods::aggregate::Aggregate;
pub use crate::methods::impute::MissingPolicy;
pub use crate::methods::normalise::{Band, BandOp, Direction, Normalise, RatioTo};
pub use crate::methods::num;
pub use crate::methods::treat::{Transform, Winsorise};

/// A node's position in [`Plan::nodes`]; node 0 is the index.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct NodeId(pub u32);

impl NodeId {
    pub const ROOT: NodeId = NodeId(0);
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

impl fmt::Debug for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// The scheme this plan was compiled for; the base index is `default`.
    pub scheme: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scheme_label: Option<String>,
    pub index: IndexInfo,
    /// Every node, parents before children, in the order of the rules (depth first).
    pub nodes: Vec<Node>,
    /// Derived variables in dependency order.
    pub lets: Vec<LetDef>,
    /// The data columns the rules refer to, in order of first use.
    pub columns: Vec<ColumnRef>,
    /// `units where`: which rows are units to normalise, weight and rank.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub units_where: Option<Code>,
    pub adjustments: Vec<Adjustment>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uncertainty: Option<UncertaintyPlan>,
    /// The `survey` blocks, in program order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub surveys: Vec<SurveyPlan>,
}

/// A `survey` block: the design the survey analysis estimates, and where the rules name each
/// respondent column (for errors found when the respondent file is read).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SurveyPlan {
    #[serde(flatten)]
    pub design: crate::analysis::survey::SurveyDesign,
    /// `data "PATH"` resolved against the directory of the file that says it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Each respondent column the block names, at its first mention.
    pub columns: Vec<ColumnRef>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndexInfo {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// The column naming the units (kept as text).
    pub unit_column: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label_column: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period_column: Option<String>,
    /// `data "PATH"`, resolved against the directory of the file that says it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
    pub reference: Reference,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Reference {
    Period,
    Panel,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NodeKind {
    Index,
    Group,
    Indicator,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Node {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    pub kind: NodeKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent: Option<NodeId>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<NodeId>,
    /// 0 for the index, 1 for its children, ...
    pub depth: u32,
    /// The node's weight within its parent (siblings sum to 1), or how it is derived.
    /// `None` for the index.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weight: Option<Weight>,
    /// The product of the fixed weights down the path; `None` when a weight on the path is
    /// derived from data.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub overall: Option<f64>,
    /// The range of min-max style values and of group scores.
    pub scale: (f64, f64),
    /// Group settings (index and groups).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<GroupPlan>,
    /// Indicator settings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub indicator: Option<IndicatorPlan>,
    /// Own and inherited tags, own first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// `government`, `market` or `society`, when the node or an ancestor carries one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub orientation: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The uncertainty factor (index into `UncertaintyPlan::factors`) that varies this node's
    /// weight, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weight_factor: Option<usize>,
    pub span: Span,
    /// Where the settings that decide this node's methods were written (on the node, on an
    /// ancestor it inherits from, or in a scheme), for errors found while evaluating. Not in
    /// the JSON: a plan read back points such errors at the node.
    #[serde(skip)]
    pub settings: Vec<SettingAt>,
}

impl Node {
    pub fn is_indicator(&self) -> bool {
        self.kind == NodeKind::Indicator
    }

    /// An error of evaluation caused by the setting `key` of this node: at the setting when
    /// it was written (else at the node), with the node as related when the setting was
    /// inherited or set by a scheme.
    pub fn setting_error(
        &self,
        key: SettingKey,
        code: &'static str,
        message: String,
    ) -> Diagnostic {
        let d = Diagnostic::error(code, message);
        match self.settings.iter().find(|s| s.key == key) {
            None => d.with_span(self.span),
            Some(s) => match s.from {
                SettingFrom::Own => d.with_span(s.span),
                SettingFrom::Ancestor => d
                    .with_span(s.span)
                    .with_related(self.span, format!("`{}` inherits it", self.id)),
                SettingFrom::Scheme => d
                    .with_span(s.span)
                    .with_related(self.span, format!("the scheme sets it for `{}`", self.id)),
            },
        }
    }
}

/// Where a setting that applies to a node was written.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SettingAt {
    pub key: SettingKey,
    pub span: Span,
    pub from: SettingFrom,
}

/// Whose a setting is: the node's own, an ancestor's it inherits, or a scheme's override.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettingFrom {
    Own,
    Ancestor,
    Scheme,
}

/// A node's weight within its parent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Weight {
    /// Known before data is bound (given, equal, AHP), normalised among siblings.
    Fixed(f64),
    /// Computed from the data by the parent's method when data is bound.
    Derived(String),
}

impl Weight {
    pub fn fixed(&self) -> Option<f64> {
        match self {
            Weight::Fixed(w) => Some(*w),
            Weight::Derived(_) => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupPlan {
    pub aggregate: Aggregate,
    /// How this node's children are weighted.
    pub weights: Weights,
    /// The share of the weight the present children must carry (0 = no requirement).
    pub coverage: f64,
    /// Multipliers of the children's derived weights, applied after derivation and then
    /// renormalised (set by the uncertainty analysis; empty: none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub vary_derived: Vec<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Weights {
    /// Each child's `weight` (or equal when none has one).
    Given,
    Equal,
    Ahp(AhpInfo),
    Entropy,
    Critic,
    Sd,
    Cv,
    Pca {
        rotated: bool,
    },
    /// 主客观组合赋权: a weighted sum (`linear`) or the normalised product of methods' weights.
    Combine {
        product: bool,
        parts: Vec<(Weights, f64)>,
    },
}

impl Weights {
    /// Whether the weights need data.
    pub fn is_derived(&self) -> bool {
        match self {
            Weights::Given | Weights::Equal | Weights::Ahp(_) => false,
            Weights::Combine { parts, .. } => parts.iter().any(|(w, _)| w.is_derived()),
            _ => true,
        }
    }
}

impl fmt::Display for Weights {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Weights::Given => write!(f, "given"),
            Weights::Equal => write!(f, "equal"),
            Weights::Ahp(a) => write!(f, "ahp (CR {:.3})", a.cr),
            Weights::Entropy => write!(f, "entropy"),
            Weights::Critic => write!(f, "critic"),
            Weights::Sd => write!(f, "sd"),
            Weights::Cv => write!(f, "cv"),
            Weights::Pca { rotated: true } => write!(f, "pca"),
            Weights::Pca { rotated: false } => write!(f, "pca unrotated"),
            Weights::Combine { product, parts } => {
                write!(
                    f,
                    "combine {} [",
                    if *product { "product" } else { "linear" }
                )?;
                for (i, (w, share)) in parts.iter().enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    if *product {
                        write!(f, "{w}")?;
                    } else {
                        write!(f, "{w} {}%", num(share * 100.0))?;
                    }
                }
                write!(f, "]")
            }
        }
    }
}

/// An AHP weighting, computed when the rules are checked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AhpInfo {
    /// Children in matrix order, by id.
    pub children: Vec<String>,
    /// The full reciprocal matrix, row by row.
    pub matrix: Vec<Vec<f64>>,
    pub weights: Vec<f64>,
    pub lambda_max: f64,
    pub ci: f64,
    pub cr: f64,
    /// `saaty` or `textbook`.
    pub ri_table: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndicatorPlan {
    /// The value before treatment: the formula, or the data column named by the id.
    pub formula: Code,
    pub missing: Vec<MissingPolicy>,
    pub transform: Transform,
    pub winsorise: Winsorise,
    pub direction: Direction,
    pub normalise: Normalise,
}

/// An expression compiled to postfix instructions over whole columns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Code {
    pub ops: Vec<Instr>,
    /// The source text, for messages and reports.
    pub text: String,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Instr {
    Const(f64),
    /// A data column: an index into [`Plan::columns`].
    Column(u32),
    /// A derived variable: an index into [`Plan::lets`].
    Let(u32),
    Neg,
    Not,
    Binary(BinaryOp),
    /// A function applied to the top `argc` values.
    Call(Func, u8),
    /// Pops else, then, condition; pushes the chosen value per unit.
    Select,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Func {
    Log,
    Log10,
    Exp,
    Sqrt,
    Abs,
    Round,
    Min,
    Max,
    Clamp,
    Coalesce,
    Total,
    Average,
    Share,
    RankOf,
    Lag,
    Growth,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LetDef {
    pub name: String,
    pub code: Code,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnRef {
    pub name: String,
    /// Where the rules first refer to it, for bind-time errors.
    pub span: Span,
    /// `SURVEY.NAME`: the column is a survey's estimate, not read from the data file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub survey: Option<SurveyRef>,
}

/// A survey estimate read like a data column: survey `survey`'s dimension or item `estimate`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SurveyRef {
    pub survey: String,
    pub estimate: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AdjustKind {
    Bonus,
    Penalty,
    Veto,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Adjustment {
    pub kind: AdjustKind,
    /// Points (bonus, penalty) or the veto condition.
    pub code: Code,
    /// `max P` (bonus, penalty) or `cap S` (veto; without it the unit is ineligible).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<f64>,
}

/// The `uncertainty` block, with names checked; nodes are named by id because a factor may
/// refer to a node that exists only in some schemes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UncertaintyPlan {
    pub samples: u64,
    pub seed: u64,
    pub factors: Vec<Factor>,
    /// The block, for diagnostics about the factors as a whole (not in the JSON).
    #[serde(skip)]
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Factor {
    /// The line as written, for reports.
    pub text: String,
    pub kind: FactorKind,
    /// For `choose normalise`, `choose aggregate` and `choose missing`: per option, the
    /// equivalent override in a scheme (`normalise [NODE =] X`, ...). A replication's plan is
    /// compiled from these by the checker's scheme code, so a `choose` line reaches exactly
    /// what the override reaches.
    #[serde(skip)]
    pub overrides: Vec<crate::syntax::ast::Setting>,
    /// A stable identity of the factor, independent of the line's position: the order of
    /// the replication's inputs (see `sensitivity::kernel::Layout`).
    pub key: String,
    /// The `vary`, `choose` or `drop` line, for diagnostics about the factor (not in the
    /// JSON, which shows the line's text).
    #[serde(skip)]
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FactorKind {
    /// Every weight (`within: None`), or the children of one node, uniform in ±amount.
    VaryWeights {
        within: Option<String>,
        amount: f64,
    },
    /// One node's own weight.
    VaryWeight {
        node: String,
        amount: f64,
    },
    ChooseNormalise {
        options: Vec<Normalise>,
        at: Option<String>,
    },
    ChooseAggregate {
        options: Vec<Aggregate>,
        at: Option<String>,
    },
    ChooseMissing {
        options: Vec<MissingPolicy>,
        at: Option<String>,
    },
    ChooseScheme {
        options: Vec<String>,
    },
    /// No indicator or one indicator (under `within`) removed, uniformly over k + 1 choices.
    DropIndicator {
        within: Option<String>,
    },
    /// The survey's estimates re-estimated by the rescaling bootstrap (one draw of every
    /// stratum's PSUs per replication).
    VarySurvey {
        survey: String,
    },
}

impl Plan {
    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id.index()]
    }

    pub fn find(&self, id: &str) -> Option<NodeId> {
        self.nodes
            .iter()
            .position(|n| n.id == id)
            .map(|i| NodeId(i as u32))
    }

    /// Node ids from the index down, depth first, in rules order.
    pub fn ids(&self) -> impl Iterator<Item = NodeId> {
        (0..self.nodes.len() as u32).map(NodeId)
    }

    pub fn indicators(&self) -> impl Iterator<Item = NodeId> + '_ {
        self.ids().filter(|id| self.node(*id).is_indicator())
    }
}
