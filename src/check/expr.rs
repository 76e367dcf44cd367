//! Expressions: name resolution, types (number or condition), arity, and compilation to
//! postfix instructions.

use crate::diagnostics::{did_you_mean, Diagnostic};
use crate::plan::{Code, Func, Instr};
use crate::source::Span;
use crate::syntax::ast::{BinaryOp, ColumnName, Expr, ExprKind, Ident, UnaryOp};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    Num,
    Bool,
}

/// What a name can resolve to while compiling one expression.
pub trait Scope {
    /// A `let` visible here: its index in the global let order.
    fn let_index(&self, name: &str) -> Option<u32>;
    /// Registers a data column, returning its index.
    fn column(&mut self, name: &str, span: Span) -> u32;
    /// Whether the index has a period column (`over`).
    fn has_periods(&self) -> bool;
    /// Records that a let was used.
    fn note_let_use(&mut self, index: u32);
    /// Registers `SURVEY.NAME` as a column, or says why it names nothing.
    fn survey(&mut self, survey: &Ident, name: &ColumnName) -> Result<u32, Diagnostic>;
}

pub const FUNCTIONS: &[(&str, Func, usize, Option<usize>)] = &[
    ("log", Func::Log, 1, Some(1)),
    ("log10", Func::Log10, 1, Some(1)),
    ("exp", Func::Exp, 1, Some(1)),
    ("sqrt", Func::Sqrt, 1, Some(1)),
    ("abs", Func::Abs, 1, Some(1)),
    ("round", Func::Round, 1, Some(2)),
    ("min", Func::Min, 2, None),
    ("max", Func::Max, 2, None),
    ("clamp", Func::Clamp, 3, Some(3)),
    ("coalesce", Func::Coalesce, 2, None),
    ("total", Func::Total, 1, Some(1)),
    ("average", Func::Average, 1, Some(1)),
    ("share", Func::Share, 1, Some(1)),
    ("rank_of", Func::RankOf, 1, Some(1)),
    ("lag", Func::Lag, 1, Some(2)),
    ("growth", Func::Growth, 1, Some(2)),
];

/// Common names from other tools, mapped to ours.
const ALIASES: &[(&str, &str)] = &[
    ("ln", "log"),
    ("mean", "average"),
    ("avg", "average"),
    ("sum", "total"),
    ("rank", "rank_of"),
    ("ifnull", "coalesce"),
    ("nvl", "coalesce"),
    ("pow", "`^`"),
];

pub struct Compiler<'s, S: Scope> {
    pub scope: &'s mut S,
    pub diags: Vec<Diagnostic>,
    ops: Vec<Instr>,
}

impl<'s, S: Scope> Compiler<'s, S> {
    pub fn new(scope: &'s mut S) -> Self {
        Compiler {
            scope,
            diags: Vec::new(),
            ops: Vec::new(),
        }
    }

    /// Compiles an expression that must have type `want`; `what` names the place for messages
    /// ("an indicator", "a veto").
    pub fn compile(
        mut self,
        e: &Expr,
        text: &str,
        want: Ty,
        what: &str,
    ) -> (Option<Code>, Vec<Diagnostic>) {
        let ty = self.expr(e);
        if let Some(ty) = ty {
            if ty != want {
                let d = match want {
                    Ty::Num => Diagnostic::error(
                        "type",
                        format!("{what} must be a number, but this is a condition"),
                    )
                    .with_span(e.span)
                    .with_hint("turn a condition into a number with `if CONDITION then 1 else 0`"),
                    Ty::Bool => Diagnostic::error(
                        "type",
                        format!("{what} must be a condition, but this is a number"),
                    )
                    .with_span(e.span)
                    .with_hint("compare it with something, e.g. `x > 0`"),
                };
                self.diags.push(d);
            }
        }
        if self.diags.iter().any(|d| d.is_error()) {
            return (None, self.diags);
        }
        (
            Some(Code {
                ops: self.ops,
                text: text.to_string(),
                span: e.span,
            }),
            self.diags,
        )
    }

    fn expr(&mut self, e: &Expr) -> Option<Ty> {
        match &e.kind {
            ExprKind::Number(n) => {
                self.ops.push(Instr::Const(n.value));
                Some(Ty::Num)
            }
            ExprKind::Paren(inner) => self.expr(inner),
            ExprKind::Name(name) => {
                if let Some(i) = self.scope.let_index(name) {
                    self.scope.note_let_use(i);
                    self.ops.push(Instr::Let(i));
                } else {
                    let c = self.scope.column(name, e.span);
                    self.ops.push(Instr::Column(c));
                }
                Some(Ty::Num)
            }
            ExprKind::Column(name) => {
                let c = self.scope.column(name, e.span);
                self.ops.push(Instr::Column(c));
                Some(Ty::Num)
            }
            ExprKind::Survey(survey, name) => match self.scope.survey(survey, name) {
                Ok(c) => {
                    self.ops.push(Instr::Column(c));
                    Some(Ty::Num)
                }
                Err(d) => {
                    self.diags.push(d);
                    None
                }
            },
            ExprKind::Unary(op, inner) => {
                let t = self.expr(inner)?;
                match op {
                    UnaryOp::Neg => {
                        self.want(inner, t, Ty::Num, "`-`")?;
                        self.ops.push(Instr::Neg);
                        Some(Ty::Num)
                    }
                    UnaryOp::Not => {
                        self.want(inner, t, Ty::Bool, "`not`")?;
                        self.ops.push(Instr::Not);
                        Some(Ty::Bool)
                    }
                }
            }
            ExprKind::Binary(op, a, b) => {
                if op.is_comparison() {
                    for side in [a, b] {
                        if let ExprKind::Binary(inner, _, _) = &side.kind {
                            if inner.is_comparison() {
                                self.diags.push(
                                    Diagnostic::error(
                                        "chained-comparison",
                                        "comparisons cannot be chained",
                                    )
                                    .with_span(e.span)
                                    .with_hint("write each comparison separately and join them with `and`: `a < b and b < c`"),
                                );
                                return None;
                            }
                        }
                    }
                }
                let ta = self.expr(a);
                let tb = self.expr(b);
                let (ta, tb) = (ta?, tb?);
                let (operand, result) = match op {
                    BinaryOp::Or | BinaryOp::And => (Ty::Bool, Ty::Bool),
                    o if o.is_comparison() => (Ty::Num, Ty::Bool),
                    _ => (Ty::Num, Ty::Num),
                };
                let sym = format!("`{}`", op.symbol());
                self.want(a, ta, operand, &sym)?;
                self.want(b, tb, operand, &sym)?;
                self.ops.push(Instr::Binary(*op));
                Some(result)
            }
            ExprKind::If(c, x, y) => {
                let tc = self.expr(c)?;
                self.want(c, tc, Ty::Bool, "the condition of `if`")?;
                let tx = self.expr(x)?;
                let ty = self.expr(y)?;
                if tx != ty {
                    self.diags.push(
                        Diagnostic::error(
                            "type",
                            "the two branches of `if` must both be numbers or both be conditions",
                        )
                        .with_span(e.span),
                    );
                    return None;
                }
                self.ops.push(Instr::Select);
                Some(tx)
            }
            ExprKind::Call(name, args) => self.call(e, &name.name, name.span, args),
        }
    }

    fn call(&mut self, e: &Expr, name: &str, name_span: Span, args: &[Expr]) -> Option<Ty> {
        let Some(&(_, func, lo, hi)) = FUNCTIONS.iter().find(|f| f.0 == name) else {
            let mut d = Diagnostic::error("unknown-function", format!("unknown function `{name}`"))
                .with_span(name_span);
            if let Some((_, ours)) = ALIASES.iter().find(|(a, _)| *a == name) {
                d = d.with_hint(format!(
                    "use {}",
                    if ours.starts_with('`') {
                        ours.to_string()
                    } else {
                        format!("`{ours}`")
                    }
                ));
            } else if let Some(s) = did_you_mean(name, FUNCTIONS.iter().map(|f| f.0)) {
                d = d.with_hint(format!("did you mean `{s}`?"));
            } else {
                d = d.with_hint(format!(
                    "the functions are: {}",
                    FUNCTIONS.iter().map(|f| f.0).collect::<Vec<_>>().join(", ")
                ));
            }
            self.diags.push(d);
            return None;
        };
        let n = args.len();
        if n < lo || hi.is_some_and(|h| n > h) {
            let expect = match hi {
                Some(h) if h == lo => format!("{lo}"),
                Some(h) => format!("{lo} or {h}"),
                None => format!("at least {lo}"),
            };
            let usage = match func {
                Func::Round => "round(x) or round(x, digits)",
                Func::Clamp => "clamp(x, lo, hi)",
                Func::Min => "min(a, b, ...): the smaller of values of the same unit",
                Func::Max => "max(a, b, ...): the larger of values of the same unit",
                Func::Coalesce => "coalesce(a, b, ...): the first present value",
                Func::Lag => "lag(x) or lag(x, k)",
                Func::Growth => "growth(x) or growth(x, k)",
                _ => "",
            };
            let mut d = Diagnostic::error(
                "arity",
                format!(
                    "`{name}` takes {expect} argument{}, not {n}",
                    if expect == "1" { "" } else { "s" }
                ),
            )
            .with_span(e.span);
            if !usage.is_empty() {
                d = d.with_hint(format!("usage: {usage}"));
            }
            self.diags.push(d);
            return None;
        }
        if matches!(func, Func::Lag | Func::Growth) && !self.scope.has_periods() {
            self.diags.push(
                Diagnostic::error(
                    "needs-over",
                    format!("`{name}` compares periods, but the index has no period column"),
                )
                .with_span(e.span)
                .with_hint("name the period column in the index header: `index ID by UNIT over year { ... }`"),
            );
            return None;
        }
        if matches!(func, Func::Lag | Func::Growth) && n == 2 {
            let ok = matches!(&args[1].kind, ExprKind::Number(k) if k.value >= 1.0 && k.value.fract() == 0.0 && !k.percent);
            if !ok {
                self.diags.push(
                    Diagnostic::error("arity", format!("the second argument of `{name}` must be a whole number of periods, 1 or more"))
                        .with_span(args[1].span),
                );
                return None;
            }
        }
        if func == Func::Round && n == 2 {
            let ok = matches!(&args[1].kind, ExprKind::Number(k) if k.value.fract() == 0.0 && !k.percent);
            if !ok {
                self.diags.push(
                    Diagnostic::error("arity", "the digits of `round` must be a whole number")
                        .with_span(args[1].span),
                );
                return None;
            }
        }
        for a in args {
            let t = self.expr(a)?;
            self.want(a, t, Ty::Num, &format!("`{name}`"))?;
        }
        self.ops.push(Instr::Call(func, n as u8));
        Some(Ty::Num)
    }

    fn want(&mut self, e: &Expr, got: Ty, want: Ty, user: &str) -> Option<()> {
        if got == want {
            return Some(());
        }
        let d = match want {
            Ty::Num => Diagnostic::error(
                "type",
                format!("{user} needs a number, but this is a condition"),
            )
            .with_span(e.span)
            .with_hint("turn a condition into a number with `if CONDITION then 1 else 0`"),
            Ty::Bool => Diagnostic::error(
                "type",
                format!("{user} needs a condition, but this is a number"),
            )
            .with_span(e.span)
            .with_hint("compare it with something, e.g. `x > 0`"),
        };
        self.diags.push(d);
        None
    }
}

/// Names an expression refers to (lets or columns), for dependency analysis.
pub fn names(e: &Expr, out: &mut Vec<(String, Span)>) {
    match &e.kind {
        ExprKind::Name(n) => out.push((n.clone(), e.span)),
        ExprKind::Number(_) | ExprKind::Column(_) | ExprKind::Survey(..) => {}
        ExprKind::Paren(x) | ExprKind::Unary(_, x) => names(x, out),
        ExprKind::Binary(_, a, b) => {
            names(a, out);
            names(b, out);
        }
        ExprKind::If(a, b, c) => {
            names(a, out);
            names(b, out);
            names(c, out);
        }
        ExprKind::Call(_, args) => args.iter().for_each(|a| names(a, out)),
    }
}
