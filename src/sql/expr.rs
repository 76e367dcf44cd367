//! Formulas: the Plan's postfix [`Code`] rebuilt as a tree, then written as SQL.
//!
//! Missing values are SQL NULLs; every operation that gives a missing value in the native
//! engine (a division by zero, a log of a non-positive number, an infinite result) gives NULL
//! here. Conditions are SQL booleans, whose three-valued logic is the rules' Kleene logic.

use super::{Dialect, Layers};
use crate::plan::{BinaryOp, Code, Func, Instr, Plan};

/// An expression tree of a [`Code`].
#[derive(Debug, Clone)]
pub(crate) enum Expr {
    Const(f64),
    Column(u32),
    Let(u32),
    Neg(Box<Expr>),
    Not(Box<Expr>),
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    Call(Func, Vec<Expr>),
    Select(Box<Expr>, Box<Expr>, Box<Expr>),
}

/// The tree of a compiled formula (the checker only emits well-formed code).
pub(crate) fn tree(code: &Code) -> Option<Expr> {
    let mut stack: Vec<Expr> = Vec::new();
    for op in &code.ops {
        let e = match op {
            Instr::Const(c) => Expr::Const(*c),
            Instr::Column(i) => Expr::Column(*i),
            Instr::Let(i) => Expr::Let(*i),
            Instr::Neg => Expr::Neg(Box::new(stack.pop()?)),
            Instr::Not => Expr::Not(Box::new(stack.pop()?)),
            Instr::Binary(b) => {
                let rhs = stack.pop()?;
                let lhs = stack.pop()?;
                Expr::Binary(*b, Box::new(lhs), Box::new(rhs))
            }
            Instr::Select => {
                let e = stack.pop()?;
                let t = stack.pop()?;
                let c = stack.pop()?;
                Expr::Select(Box::new(c), Box::new(t), Box::new(e))
            }
            Instr::Call(f, argc) => {
                let argc = *argc as usize;
                if stack.len() < argc {
                    return None;
                }
                let args = stack.split_off(stack.len() - argc);
                Expr::Call(*f, args)
            }
        };
        stack.push(e);
    }
    stack.pop()
}

/// A piece of SQL: its text, the first CTE level at which it can be evaluated (a column
/// defined at level L is visible from L + 1; the base table is level 0), whether it contains a
/// window function, and whether it is a boolean (a condition) rather than a number.
#[derive(Debug, Clone)]
pub(crate) struct Sql {
    pub text: String,
    pub level: usize,
    pub window: bool,
    pub boolean: bool,
}

impl Sql {
    fn num(text: String, level: usize, window: bool) -> Sql {
        Sql {
            text,
            level,
            window,
            boolean: false,
        }
    }
}

/// Which rows the period aggregates (`total`, `average`, `share`, `rank_of`) count: every row
/// (the lets, `units where`) or the units (indicator formulas, adjustments).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Counting {
    AllRows,
    Units,
}

pub(crate) struct ExprCx<'a> {
    pub plan: &'a Plan,
    pub d: Dialect,
    pub layers: &'a mut Layers,
    /// The level at which each let is defined.
    pub let_level: &'a [usize],
    /// The level at which `_unit` is defined (0: the base table).
    pub unit_level: usize,
    pub counting: Counting,
    pub has_period: bool,
}

impl ExprCx<'_> {
    fn as_num(&self, s: Sql) -> Sql {
        if !s.boolean {
            return s;
        }
        Sql::num(
            format!(
                "CASE WHEN {t} THEN 1.0 WHEN NOT {t} THEN 0.0 END",
                t = s.text
            ),
            s.level,
            s.window,
        )
    }

    fn as_bool(&self, s: Sql) -> Sql {
        if s.boolean {
            return s;
        }
        Sql {
            text: format!("({} <> 0.0)", s.text),
            boolean: true,
            ..s
        }
    }

    /// A window function's argument must not contain one: such an argument becomes a column
    /// of its own CTE level first.
    fn hoist(&mut self, s: Sql) -> Sql {
        if !s.window {
            return s;
        }
        let name = self.layers.hoist(s.level, s.text);
        Sql {
            text: self.d.ident(&name),
            level: s.level + 1,
            window: false,
            boolean: s.boolean,
        }
    }

    fn period_partition(&self) -> &'static str {
        if self.has_period {
            "PARTITION BY _p"
        } else {
            ""
        }
    }

    pub fn compile(&mut self, e: &Expr) -> Sql {
        let d = self.d;
        match e {
            Expr::Const(c) => Sql::num(d.num(*c), 1, false),
            Expr::Column(i) => Sql::num(d.ident(&self.plan.columns[*i as usize].name), 1, false),
            Expr::Let(i) => Sql::num(
                d.ident(&let_column(&self.plan.lets[*i as usize].name)),
                self.let_level[*i as usize] + 1,
                false,
            ),
            Expr::Neg(a) => {
                let a = self.compile(a);
                let a = self.as_num(a);
                Sql::num(format!("(-{})", a.text), a.level, a.window)
            }
            Expr::Not(a) => {
                let a = self.compile(a);
                let a = self.as_bool(a);
                Sql {
                    text: format!("(NOT {})", a.text),
                    ..a
                }
            }
            Expr::Binary(op, a, b) => {
                let (a, b) = (self.compile(a), self.compile(b));
                let level = a.level.max(b.level);
                let window = a.window || b.window;
                match op {
                    BinaryOp::And | BinaryOp::Or => {
                        let (a, b) = (self.as_bool(a), self.as_bool(b));
                        let w = if *op == BinaryOp::And { "AND" } else { "OR" };
                        Sql {
                            text: format!("({} {w} {})", a.text, b.text),
                            level,
                            window,
                            boolean: true,
                        }
                    }
                    BinaryOp::Eq
                    | BinaryOp::Ne
                    | BinaryOp::Lt
                    | BinaryOp::Le
                    | BinaryOp::Gt
                    | BinaryOp::Ge => {
                        let (a, b) = (self.as_num(a), self.as_num(b));
                        let o = match op {
                            BinaryOp::Eq => "=",
                            BinaryOp::Ne => "<>",
                            BinaryOp::Lt => "<",
                            BinaryOp::Le => "<=",
                            BinaryOp::Gt => ">",
                            _ => ">=",
                        };
                        Sql {
                            text: format!("({} {o} {})", a.text, b.text),
                            level,
                            window,
                            boolean: true,
                        }
                    }
                    _ => {
                        let (a, b) = (self.as_num(a), self.as_num(b));
                        let text = match op {
                            BinaryOp::Add => format!("({} + {})", a.text, b.text),
                            BinaryOp::Sub => format!("({} - {})", a.text, b.text),
                            BinaryOp::Mul => format!("({} * {})", a.text, b.text),
                            // x / 0 is missing (and counted by the native engine).
                            BinaryOp::Div => format!("({} / NULLIF({}, 0.0))", a.text, b.text),
                            _ => finite(&format!("POWER({}, {})", a.text, b.text)),
                        };
                        Sql::num(text, level, window)
                    }
                }
            }
            Expr::Select(c, t, e) => {
                let c = self.compile(c);
                let c = self.as_bool(c);
                let t = self.compile(t);
                let t = self.as_num(t);
                let e = self.compile(e);
                let e = self.as_num(e);
                Sql::num(
                    format!(
                        "CASE WHEN {c} THEN {t} WHEN NOT {c} THEN {e} END",
                        c = c.text,
                        t = t.text,
                        e = e.text
                    ),
                    c.level.max(t.level).max(e.level),
                    c.window || t.window || e.window,
                )
            }
            Expr::Call(f, args) => self.call(*f, args),
        }
    }

    fn call(&mut self, f: Func, args: &[Expr]) -> Sql {
        let d = self.d;
        let mut compiled: Vec<Sql> = Vec::with_capacity(args.len());
        for a in args {
            let s = self.compile(a);
            compiled.push(self.as_num(s));
        }
        let level = compiled.iter().map(|s| s.level).max().unwrap_or(1);
        let window = compiled.iter().any(|s| s.window);
        let a = compiled.first().map(|s| s.text.clone()).unwrap_or_default();
        let constant = |k: usize| match args.get(k) {
            Some(Expr::Const(c)) => Some(*c),
            _ => None,
        };
        match f {
            Func::Log => Sql::num(
                format!("CASE WHEN {a} > 0.0 THEN LN({a}) END"),
                level,
                window,
            ),
            Func::Log10 => Sql::num(
                format!("CASE WHEN {a} > 0.0 THEN LOG10({a}) END"),
                level,
                window,
            ),
            Func::Exp => Sql::num(finite(&format!("EXP({a})")), level, window),
            Func::Sqrt => Sql::num(
                format!("CASE WHEN {a} >= 0.0 THEN SQRT({a}) END"),
                level,
                window,
            ),
            Func::Abs => Sql::num(format!("ABS({a})"), level, window),
            Func::Round => {
                // The native engine reads the digits of the first row: a constant in practice.
                let digits = constant(1).unwrap_or(0.0);
                let m = 10f64.powi(digits as i32);
                Sql::num(
                    format!("(ROUND({a} * {m}) / {m})", m = d.num(m)),
                    level,
                    window,
                )
            }
            Func::Min | Func::Max => {
                let which = if f == Func::Min { "LEAST" } else { "GREATEST" };
                let mut acc = a;
                for b in &compiled[1..] {
                    acc = format!(
                        "CASE WHEN {acc} IS NULL OR {b} IS NULL THEN NULL ELSE {which}({acc}, {b}) END",
                        b = b.text
                    );
                }
                Sql::num(acc, level, window)
            }
            Func::Clamp => {
                let (lo, hi) = (&compiled[1].text, &compiled[2].text);
                Sql::num(
                    format!(
                        "CASE WHEN {a} IS NULL OR {lo} IS NULL OR {hi} IS NULL THEN NULL \
                         ELSE LEAST(GREATEST({a}, {lo}), {hi}) END"
                    ),
                    level,
                    window,
                )
            }
            Func::Coalesce => {
                let all: Vec<&str> = compiled.iter().map(|s| s.text.as_str()).collect();
                Sql::num(format!("COALESCE({})", all.join(", ")), level, window)
            }
            Func::Total | Func::Average | Func::Share | Func::RankOf => {
                let arg = self.hoist(compiled[0].clone());
                let x = arg.text.clone();
                let mut level = arg.level;
                let counted = match self.counting {
                    Counting::AllRows => x.clone(),
                    Counting::Units => {
                        level = level.max(self.unit_level + 1);
                        format!("CASE WHEN _unit THEN {x} END")
                    }
                };
                // A fixed order of summation: a CTE read twice is computed twice, and the two
                // must agree to the last bit (a median imputed from these values ties with the
                // value it was taken from, as in the native engine).
                let over = format!(
                    "OVER ({} ORDER BY _u ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)",
                    self.period_partition()
                );
                let text = match f {
                    Func::Total => format!("SUM({counted}) {over}"),
                    Func::Average => format!("AVG({counted}) {over}"),
                    Func::Share => format!("({x} / NULLIF(SUM({counted}) {over}, 0.0))"),
                    _ => {
                        // 1 + the number of counted values above: the counted values at or
                        // above, minus those equal.
                        let unit = match self.counting {
                            Counting::AllRows => String::new(),
                            Counting::Units => "_unit AND ".into(),
                        };
                        let u = format!("CASE WHEN {unit}{x} IS NOT NULL THEN 1.0 ELSE 0.0 END");
                        let p = self.period_partition();
                        let eq = if self.has_period {
                            format!("PARTITION BY _p, {x}")
                        } else {
                            format!("PARTITION BY {x}")
                        };
                        format!(
                            "CASE WHEN {x} IS NOT NULL THEN 1.0 + SUM({u}) OVER ({p} ORDER BY {x} DESC \
                             RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) - SUM({u}) OVER ({eq}) END"
                        )
                    }
                };
                Sql::num(text, level, true)
            }
            Func::Lag | Func::Growth => {
                if !self.has_period {
                    return Sql::num(d.num(f64::NAN), 1, false);
                }
                let k = constant(1).unwrap_or(1.0).max(0.0) as usize;
                let arg = self.hoist(compiled[0].clone());
                let x = arg.text.clone();
                let prev = format!(
                    "FIRST_VALUE({x}) OVER (PARTITION BY _u ORDER BY _pidx \
                     RANGE BETWEEN {k} PRECEDING AND {k} PRECEDING)"
                );
                let text = if f == Func::Lag {
                    prev
                } else {
                    format!("({x} / NULLIF({prev}, 0.0) - 1.0)")
                };
                Sql::num(text, arg.level, true)
            }
        }
    }
}

/// The name of a let's column (apart from the data columns' names).
pub(crate) fn let_column(name: &str) -> String {
    format!("let:{name}")
}

/// NULL for an infinite or NaN result, as the native engine makes them missing.
fn finite(x: &str) -> String {
    format!("CASE WHEN ABS({x}) <= 1.7976931348623157E308 THEN {x} END")
}
