//! The abstract syntax tree: every node carries its [`Span`]; numbers keep their literal text.

use crate::source::Span;
use serde::{Deserialize, Serialize};

/// One parsed file: its items in order and the comments found in it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct File {
    pub items: Vec<Item>,
    pub comments: Vec<Comment>,
}

/// A `#` comment, with the span of the whole comment (the `#` included).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comment {
    pub text: String,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Item {
    Use(Use),
    Let(Let),
    Index(Index),
    Scheme(Scheme),
    Uncertainty(Uncertainty),
    Survey(Survey),
}

impl Item {
    pub fn span(&self) -> Span {
        match self {
            Item::Use(u) => u.span,
            Item::Let(l) => l.span,
            Item::Index(i) => i.span,
            Item::Scheme(s) => s.span,
            Item::Uncertainty(u) => u.span,
            Item::Survey(s) => s.span,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Str {
    /// The unescaped value.
    pub value: String,
    pub span: Span,
}

/// A data column name, written as an identifier or in backticks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ColumnName {
    pub name: String,
    pub backticks: bool,
    pub span: Span,
}

/// A number as written: `60%`, `-1e4`, `10_000`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Number {
    /// The literal text, kept for the formatter.
    pub text: String,
    /// The value, with a trailing `%` already divided by 100.
    pub value: f64,
    /// Whether the literal ends in `%`.
    pub percent: bool,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Range {
    pub lo: Number,
    pub hi: Number,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Use {
    pub path: Str,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Let {
    pub name: Ident,
    pub expr: Expr,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Index {
    pub id: Ident,
    pub label: Option<Str>,
    pub by: ColumnName,
    pub label_column: Option<ColumnName>,
    pub over: Option<ColumnName>,
    pub members: Vec<Member>,
    pub span: Span,
}

/// What may stand in an index or group body.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Member {
    Group(Group),
    Indicator(Indicator),
    Let(Let),
    Data(Str, Span),
    UnitsWhere(Expr, Span),
    Adjust(Adjust),
    Setting(Setting),
}

impl Member {
    pub fn span(&self) -> Span {
        match self {
            Member::Group(g) => g.span,
            Member::Indicator(i) => i.span,
            Member::Let(l) => l.span,
            Member::Data(_, s) | Member::UnitsWhere(_, s) => *s,
            Member::Adjust(a) => a.span,
            Member::Setting(s) => s.span,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Group {
    pub id: Ident,
    pub label: Option<Str>,
    pub weight: Option<Number>,
    pub members: Vec<Member>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Indicator {
    pub id: Ident,
    pub label: Option<Str>,
    pub formula: Option<Expr>,
    pub weight: Option<Number>,
    /// `None` without braces; `Some(vec![])` for `{}`.
    pub body: Option<Vec<Member>>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Adjust {
    pub lines: Vec<AdjustLine>,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AdjustKind {
    Bonus,
    Penalty,
    Veto,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AdjustLine {
    pub kind: AdjustKind,
    pub expr: Expr,
    /// `max P` for bonus and penalty, `cap S` for veto.
    pub limit: Option<Number>,
    pub span: Span,
}

/// The settings of LANGUAGE.md's table, plus `weight` (valid only in a scheme).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SettingKey {
    Scale,
    Goalposts,
    Normalise,
    Direction,
    Transform,
    Winsorise,
    Missing,
    Coverage,
    Aggregate,
    Weights,
    Reference,
    Unit,
    Source,
    Description,
    Tag,
    Weight,
}

impl SettingKey {
    pub fn keyword(self) -> &'static str {
        match self {
            SettingKey::Scale => "scale",
            SettingKey::Goalposts => "goalposts",
            SettingKey::Normalise => "normalise",
            SettingKey::Direction => "direction",
            SettingKey::Transform => "transform",
            SettingKey::Winsorise => "winsorise",
            SettingKey::Missing => "missing",
            SettingKey::Coverage => "coverage",
            SettingKey::Aggregate => "aggregate",
            SettingKey::Weights => "weights",
            SettingKey::Reference => "reference",
            SettingKey::Unit => "unit",
            SettingKey::Source => "source",
            SettingKey::Description => "description",
            SettingKey::Tag => "tag",
            SettingKey::Weight => "weight",
        }
    }

    pub const ALL: [SettingKey; 16] = [
        SettingKey::Scale,
        SettingKey::Goalposts,
        SettingKey::Normalise,
        SettingKey::Direction,
        SettingKey::Transform,
        SettingKey::Winsorise,
        SettingKey::Missing,
        SettingKey::Coverage,
        SettingKey::Aggregate,
        SettingKey::Weights,
        SettingKey::Reference,
        SettingKey::Unit,
        SettingKey::Source,
        SettingKey::Description,
        SettingKey::Tag,
        SettingKey::Weight,
    ];
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Setting {
    pub key: SettingKey,
    pub key_span: Span,
    /// `NODE =` in a scheme override.
    pub target: Option<Ident>,
    pub value: SettingValue,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum SettingValue {
    Range(Range),
    Method(Method),
    /// `missing` takes a list of policies.
    Methods(Vec<Method>),
    Number(Number),
    Str(Str),
    Words(Vec<Ident>),
}

/// A method name with its qualifier, parameters and block.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Method {
    pub name: Ident,
    pub qualifier: Option<Qualifier>,
    pub params: Vec<Param>,
    /// Whether the parameters were written in parentheses.
    pub parens: bool,
    pub block: Option<MethodBlock>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Qualifier {
    /// `mean by region`
    By(ColumnName),
    /// `ratio unit "Beijing"`
    Unit(Str),
    /// `ahp ri textbook`
    Ri(Ident),
    /// `pca unrotated`, `copeland sum`, `combine linear`, `ratio mean`
    Word(Ident),
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Param {
    Number(Number),
    Range(Range),
}

impl Param {
    pub fn span(&self) -> Span {
        match self {
            Param::Number(n) => n.span,
            Param::Range(r) => r.span,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum MethodBlock {
    Bands(Vec<BandRow>, Span),
    Ahp(Vec<Judgement>, Span),
    /// `[a, b(1), c 40%]`: methods with an optional share each.
    List(Vec<ListItem>, Span),
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ListItem {
    pub method: Method,
    pub share: Option<Number>,
    pub span: Span,
}

/// A band's comparison: the method's own ([`crate::methods::normalise::BandOp`]).
pub use crate::methods::normalise::BandOp;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BandRow {
    pub op: BandOp,
    /// `None` for `else`.
    pub threshold: Option<Number>,
    pub score: Number,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum JudgeOp {
    Greater,
    Less,
    Equal,
}

impl JudgeOp {
    pub fn symbol(self) -> &'static str {
        match self {
            JudgeOp::Greater => ">",
            JudgeOp::Less => "<",
            JudgeOp::Equal => "=",
        }
    }
}

/// `a > b : 3`
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Judgement {
    pub left: Ident,
    pub op: JudgeOp,
    pub right: Ident,
    pub value: Option<Number>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scheme {
    pub id: Ident,
    pub label: Option<Str>,
    pub from: Option<Ident>,
    pub overrides: Vec<Override>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Override {
    Setting(Setting),
    Exclude(Vec<Ident>, Span),
    Add {
        to: Option<Ident>,
        members: Vec<Member>,
        span: Span,
    },
}

impl Override {
    pub fn span(&self) -> Span {
        match self {
            Override::Setting(s) => s.span,
            Override::Exclude(_, s) => *s,
            Override::Add { span, .. } => *span,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Uncertainty {
    pub lines: Vec<UncertaintyLine>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum UncertaintyLine {
    Samples(Number, Span),
    Seed(Number, Span),
    /// `vary weights [in NODE] P%`
    VaryWeights {
        within: Option<Ident>,
        amount: Number,
        span: Span,
    },
    /// `vary weight NODE P%`
    VaryWeight {
        node: Ident,
        amount: Number,
        span: Span,
    },
    /// `vary survey ID`: the survey's estimates re-estimated by the bootstrap.
    VarySurvey {
        survey: Ident,
        span: Span,
    },
    /// `choose WHAT [options] [at NODE]`
    Choose {
        what: Ident,
        options: Vec<ListItem>,
        options_span: Span,
        at: Option<Ident>,
        span: Span,
    },
    /// `drop indicator [in NODE]`
    Drop {
        within: Option<Ident>,
        span: Span,
    },
}

impl UncertaintyLine {
    pub fn span(&self) -> Span {
        match self {
            UncertaintyLine::Samples(_, s) | UncertaintyLine::Seed(_, s) => *s,
            UncertaintyLine::VaryWeights { span, .. }
            | UncertaintyLine::VaryWeight { span, .. }
            | UncertaintyLine::VarySurvey { span, .. }
            | UncertaintyLine::Choose { span, .. }
            | UncertaintyLine::Drop { span, .. } => *span,
        }
    }
}

/// `survey ID [LABEL] { ... }`: its settings and dimensions in the order written.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Survey {
    pub id: Ident,
    pub label: Option<Str>,
    pub lines: Vec<SurveyLine>,
    pub span: Span,
}

/// A line of a `survey` block.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum SurveyLine {
    /// `data "PATH"`
    Data(Str, Span),
    /// `by`, `over`, `weight`, `strata`, `cluster`: a respondent column.
    Column(SurveyColumn, ColumnName, Span),
    /// `scale LO..HI`
    Scale(Range, Span),
    /// `dont_know 9` or `dont_know [8, 9]` (`list`: written as a list).
    DontKnow {
        codes: Vec<Number>,
        list: bool,
        span: Span,
    },
    /// `min_respondents N`
    MinRespondents(Number, Span),
    Dimension(SurveyDimension),
}

impl SurveyLine {
    pub fn span(&self) -> Span {
        match self {
            SurveyLine::Data(_, s)
            | SurveyLine::Column(_, _, s)
            | SurveyLine::Scale(_, s)
            | SurveyLine::MinRespondents(_, s)
            | SurveyLine::DontKnow { span: s, .. } => *s,
            SurveyLine::Dimension(d) => d.span,
        }
    }
}

/// The column settings of a survey.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SurveyColumn {
    By,
    Over,
    Weight,
    Strata,
    Cluster,
}

impl SurveyColumn {
    pub fn keyword(self) -> &'static str {
        match self {
            SurveyColumn::By => "by",
            SurveyColumn::Over => "over",
            SurveyColumn::Weight => "weight",
            SurveyColumn::Strata => "strata",
            SurveyColumn::Cluster => "cluster",
        }
    }
}

/// `dimension ID [LABEL] { [scale LO..HI] items }`
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SurveyDimension {
    pub id: Ident,
    pub label: Option<Str>,
    /// The dimension's scale lines and items in the order written.
    pub lines: Vec<DimensionLine>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum DimensionLine {
    Scale(Range, Span),
    Item(SurveyItem),
}

impl DimensionLine {
    pub fn span(&self) -> Span {
        match self {
            DimensionLine::Scale(_, s) => *s,
            DimensionLine::Item(i) => i.span,
        }
    }
}

/// `item COLUMN [LABEL] [reverse] [weight W] [{ scale LO..HI }]`
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SurveyItem {
    pub column: ColumnName,
    pub label: Option<Str>,
    pub scale: Option<Range>,
    /// The span of `reverse`, when written.
    pub reverse: Option<Span>,
    pub weight: Option<Number>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum ExprKind {
    Number(Number),
    /// A name: a `let` or a data column.
    Name(String),
    /// A backtick column.
    Column(String),
    Unary(UnaryOp, Box<Expr>),
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    Call(Ident, Vec<Expr>),
    If(Box<Expr>, Box<Expr>, Box<Expr>),
    /// Parentheses as written, kept for the formatter.
    Paren(Box<Expr>),
    /// `SURVEY.NAME`: a survey's estimate of a dimension or item.
    Survey(Ident, ColumnName),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum UnaryOp {
    Neg,
    Not,
}

/// A binary operator, in the syntax and in the plan's formula code alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BinaryOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
    Pow,
}

impl BinaryOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Or => "or",
            BinaryOp::And => "and",
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Pow => "^",
        }
    }

    /// Binding strength, loosest first, as LANGUAGE.md's precedence table.
    pub fn precedence(self) -> u8 {
        match self {
            BinaryOp::Or => 1,
            BinaryOp::And => 2,
            BinaryOp::Eq
            | BinaryOp::Ne
            | BinaryOp::Lt
            | BinaryOp::Le
            | BinaryOp::Gt
            | BinaryOp::Ge => 4,
            BinaryOp::Add | BinaryOp::Sub => 5,
            BinaryOp::Mul | BinaryOp::Div => 6,
            BinaryOp::Pow => 8,
        }
    }

    pub fn is_comparison(self) -> bool {
        self.precedence() == 4
    }
}
