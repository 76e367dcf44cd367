//! The expression machine: runs a compiled [`Code`] over whole columns.

use crate::plan::{BinaryOp, Code, Func, Instr};

/// What an expression can read, for every row of the frame.
pub struct Context<'a> {
    /// The plan's data columns, by index.
    pub columns: &'a [&'a [f64]],
    /// The plan's lets, computed so far.
    pub lets: &'a [Vec<f64>],
    /// Groups of rows that form one period ("the units of the same period").
    pub period_groups: &'a [Vec<usize>],
    /// Which rows count for `total`, `average`, `share` and `rank_of`.
    pub is_unit: &'a [bool],
    /// For each row, the row of the same unit k periods earlier: `lag_rows(k)`.
    pub lag: &'a dyn Fn(usize) -> Vec<Option<usize>>,
    pub rows: usize,
}

/// Counts of values that came out missing, by cause.
#[derive(Debug, Default, Clone, Copy)]
pub struct Problems {
    pub division_by_zero: usize,
    pub bad_log: usize,
}

/// Evaluates a compiled expression for every row. Conditions are 1.0 (true), 0.0 (false) or
/// NaN (unknown, when an input is missing).
pub fn run(code: &Code, ctx: &Context, problems: &mut Problems) -> Vec<f64> {
    let mut stack: Vec<Vec<f64>> = Vec::new();
    let n = ctx.rows;
    for op in &code.ops {
        match op {
            Instr::Const(c) => stack.push(vec![*c; n]),
            Instr::Column(i) => stack.push(ctx.columns[*i as usize].to_vec()),
            Instr::Let(i) => stack.push(ctx.lets[*i as usize].clone()),
            Instr::Neg => {
                let a = stack.last_mut().expect("operand");
                a.iter_mut().for_each(|x| *x = -*x);
            }
            Instr::Not => {
                let a = stack.last_mut().expect("operand");
                a.iter_mut().for_each(|x| {
                    if !x.is_nan() {
                        *x = if *x != 0.0 { 0.0 } else { 1.0 }
                    }
                });
            }
            Instr::Binary(b) => {
                let rhs = stack.pop().expect("rhs");
                let lhs = stack.last_mut().expect("lhs");
                binary(*b, lhs, &rhs, problems);
            }
            Instr::Select => {
                let otherwise = stack.pop().expect("else");
                let then = stack.pop().expect("then");
                let cond = stack.last_mut().expect("cond");
                for ((c, t), e) in cond.iter_mut().zip(&then).zip(&otherwise) {
                    *c = if c.is_nan() {
                        f64::NAN
                    } else if *c != 0.0 {
                        *t
                    } else {
                        *e
                    };
                }
            }
            Instr::Call(f, argc) => {
                let argc = *argc as usize;
                let args = stack.split_off(stack.len() - argc);
                stack.push(call(*f, args, ctx, problems));
            }
        }
    }
    stack.pop().unwrap_or_else(|| vec![f64::NAN; n])
}

fn truth(x: f64) -> Option<bool> {
    if x.is_nan() {
        None
    } else {
        Some(x != 0.0)
    }
}

fn binary(op: BinaryOp, lhs: &mut [f64], rhs: &[f64], problems: &mut Problems) {
    let b = |x: bool| if x { 1.0 } else { 0.0 };
    for (a, &c) in lhs.iter_mut().zip(rhs) {
        *a = match op {
            BinaryOp::Add => *a + c,
            BinaryOp::Sub => *a - c,
            BinaryOp::Mul => *a * c,
            BinaryOp::Div => {
                if c == 0.0 && !a.is_nan() {
                    problems.division_by_zero += 1;
                    f64::NAN
                } else {
                    *a / c
                }
            }
            BinaryOp::Pow => {
                let r = a.powf(c);
                if r.is_finite() {
                    r
                } else {
                    f64::NAN
                }
            }
            _ if a.is_nan() || c.is_nan() => match op {
                // Kleene logic: `false and ?` is false, `true or ?` is true.
                BinaryOp::And if truth(*a) == Some(false) || truth(c) == Some(false) => 0.0,
                BinaryOp::Or if truth(*a) == Some(true) || truth(c) == Some(true) => 1.0,
                _ => f64::NAN,
            },
            BinaryOp::Eq => b(*a == c),
            BinaryOp::Ne => b(*a != c),
            BinaryOp::Lt => b(*a < c),
            BinaryOp::Le => b(*a <= c),
            BinaryOp::Gt => b(*a > c),
            BinaryOp::Ge => b(*a >= c),
            BinaryOp::And => b(*a != 0.0 && c != 0.0),
            BinaryOp::Or => b(*a != 0.0 || c != 0.0),
        };
        if a.is_infinite() {
            *a = f64::NAN;
        }
    }
}

/// Round half away from zero to `d` digits.
fn round(x: f64, d: f64) -> f64 {
    let m = 10f64.powi(d as i32);
    (x * m).round() / m
}

fn call(f: Func, mut args: Vec<Vec<f64>>, ctx: &Context, problems: &mut Problems) -> Vec<f64> {
    let mut a = args.remove(0);
    match f {
        Func::Log | Func::Log10 => a.iter_mut().for_each(|x| {
            if *x <= 0.0 {
                problems.bad_log += 1;
                *x = f64::NAN;
            } else if f == Func::Log {
                *x = x.ln();
            } else {
                *x = x.log10();
            }
        }),
        Func::Exp => a.iter_mut().for_each(|x| {
            *x = x.exp();
            if x.is_infinite() {
                *x = f64::NAN;
            }
        }),
        Func::Sqrt => a
            .iter_mut()
            .for_each(|x| *x = if *x < 0.0 { f64::NAN } else { x.sqrt() }),
        Func::Abs => a.iter_mut().for_each(|x| *x = x.abs()),
        Func::Round => {
            let d = args.first().map(|v| v[0]).unwrap_or(0.0);
            a.iter_mut().for_each(|x| *x = round(*x, d));
        }
        Func::Min | Func::Max => {
            for b in &args {
                for (x, y) in a.iter_mut().zip(b) {
                    // A missing input gives a missing value.
                    *x = if x.is_nan() || y.is_nan() {
                        f64::NAN
                    } else if f == Func::Min {
                        x.min(*y)
                    } else {
                        x.max(*y)
                    };
                }
            }
        }
        Func::Clamp => {
            let (lo, hi) = (&args[0], &args[1]);
            for ((x, l), h) in a.iter_mut().zip(lo).zip(hi) {
                *x = if x.is_nan() || l.is_nan() || h.is_nan() {
                    f64::NAN
                } else {
                    x.max(*l).min(*h)
                };
            }
        }
        Func::Coalesce => {
            for b in &args {
                for (x, y) in a.iter_mut().zip(b) {
                    if x.is_nan() {
                        *x = *y;
                    }
                }
            }
        }
        Func::Total | Func::Average | Func::Share | Func::RankOf => {
            let src = a.clone();
            for rows in ctx.period_groups {
                let unit_vals: Vec<f64> = rows
                    .iter()
                    .filter(|r| ctx.is_unit[**r])
                    .map(|r| src[*r])
                    .filter(|v| !v.is_nan())
                    .collect();
                let total: f64 = unit_vals.iter().sum();
                let count = unit_vals.len();
                match f {
                    Func::Total => rows
                        .iter()
                        .for_each(|r| a[*r] = if count == 0 { f64::NAN } else { total }),
                    Func::Average => rows.iter().for_each(|r| {
                        a[*r] = if count == 0 {
                            f64::NAN
                        } else {
                            total / count as f64
                        }
                    }),
                    Func::Share => rows.iter().for_each(|r| {
                        a[*r] = if total == 0.0 {
                            if !src[*r].is_nan() {
                                problems.division_by_zero += 1;
                            }
                            f64::NAN
                        } else {
                            src[*r] / total
                        }
                    }),
                    _ => {
                        // 1 = highest, among the units of the period; others placed among them.
                        let mut sorted = unit_vals.clone();
                        sorted.sort_by(|x, y| y.total_cmp(x));
                        for r in rows {
                            let v = src[*r];
                            a[*r] = if v.is_nan() {
                                f64::NAN
                            } else {
                                (1 + sorted.partition_point(|s| *s > v)) as f64
                            };
                        }
                    }
                }
            }
        }
        Func::Lag | Func::Growth => {
            let k = args.first().map(|v| v[0] as usize).unwrap_or(1);
            let prev_rows = (ctx.lag)(k);
            let src = a.clone();
            for (r, p) in prev_rows.iter().enumerate() {
                let prev = p.map_or(f64::NAN, |p| src[p]);
                a[r] = if f == Func::Lag {
                    prev
                } else if prev == 0.0 && !src[r].is_nan() {
                    problems.division_by_zero += 1;
                    f64::NAN
                } else {
                    src[r] / prev - 1.0
                };
            }
        }
    }
    a
}
