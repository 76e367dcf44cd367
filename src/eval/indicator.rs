//! One indicator over one block: imputation → transform → winsorise → direction and
//! normalisation (LANGUAGE.md "Conventions"), with statistics over the block's units.

use super::{flags, Warnings};
use crate::data::Frame;
use crate::diagnostics::Diagnostic;
use crate::methods::impute::{self, ImputeData, MissingPolicy};
use crate::methods::normalise::{self as norm, Normalise, PointMap, RatioTo, Scale};
use crate::methods::stats;
use crate::methods::treat::{self, Transform, Winsorise, WinsoriseOutcome};
use crate::plan::{NodeId, Plan, SettingKey};
use crate::Error;
use std::collections::HashMap;

pub struct Out {
    pub treated: Option<Vec<f64>>,
    /// The normalised values; empty when `deferred` holds the normalisation instead.
    pub value: Vec<f64>,
    /// Min-max as a map of each treated value, applied where the value is read: the
    /// normalised column is never stored (most indicators are only read by their group's sum).
    pub deferred: Option<PointMap>,
    pub flags: Vec<u8>,
}

fn set_flag(flags: &mut Vec<u8>, n: usize, row: usize, bit: u8) {
    if flags.is_empty() {
        *flags = vec![0; n];
    }
    flags[row] |= bit;
}

/// Category codes of a text column over the block's rows.
fn categories(frame: &Frame, column: &str, rows: &[usize]) -> Vec<u32> {
    let Some(col) = frame.text_column(column) else {
        return vec![0; rows.len()];
    };
    let mut codes: HashMap<&str, u32> = HashMap::new();
    rows.iter()
        .map(|r| {
            let next = codes.len() as u32;
            *codes.entry(col.get(*r)).or_insert(next)
        })
        .collect()
}

#[allow(clippy::too_many_arguments)]
pub fn process(
    plan: &Plan,
    id: NodeId,
    frame: &Frame,
    rows: &[usize],
    is_unit: &[bool],
    raw: &[f64],
    prev: &[f64],
    period: Option<&str>,
    warnings: &mut Warnings,
) -> Result<Out, Error> {
    let node = plan.node(id);
    let ind = node.indicator.as_ref().expect("an indicator");
    let n = rows.len();
    let nid = Some(node.id.as_str());
    let mut fl: Vec<u8> = Vec::new();
    let mut t: Option<Vec<f64>> = None;
    let all_units = is_unit.iter().all(|u| *u);
    let units: Vec<usize> =
        if all_units && ind.missing == [MissingPolicy::Skip] && ind.winsorise == Winsorise::None {
            // Not needed: the steps below that use it are off, and the reference is every row.
            Vec::new()
        } else {
            (0..n).filter(|i| is_unit[*i]).collect()
        };
    let gather = |x: &[f64]| -> Vec<f64> { units.iter().map(|i| x[*i]).collect() };
    let transform = ind.transform;

    // Imputation, over the units.
    let wants_imputation = !matches!(ind.missing.as_slice(), [MissingPolicy::Skip]);
    if wants_imputation && units.iter().any(|i| raw[*i].is_nan()) {
        let mut x = raw.to_vec();
        let mut u = gather(&x);
        let unit_rows: Vec<usize> = units.iter().map(|i| rows[*i]).collect();
        let codes: Vec<(&str, Vec<u32>)> = ind
            .missing
            .iter()
            .filter_map(|p| match p {
                MissingPolicy::MeanBy(c) | MissingPolicy::MedianBy(c) => {
                    Some((c.as_str(), categories(frame, c, &unit_rows)))
                }
                _ => None,
            })
            .collect();
        let codes: Vec<(&str, &[u32])> = codes.iter().map(|(c, v)| (*c, v.as_slice())).collect();
        let prev_u = if prev.is_empty() {
            Vec::new()
        } else {
            gather(prev)
        };
        let data = ImputeData {
            direction: ind.direction.transformed(transform),
            previous: &prev_u,
            categories: &codes,
        };
        let report =
            impute::impute(&mut u, &ind.missing, &data).map_err(|e| internal(&node.id, e))?;
        for filled in &report.filled {
            for &j in filled {
                set_flag(&mut fl, n, units[j], flags::IMPUTED);
            }
        }
        let imputed: usize = report.filled.iter().map(Vec::len).sum();
        warnings.add(
            "imputed",
            "missing values imputed".into(),
            nid,
            period,
            imputed,
        );
        warnings.add(
            "empty-category",
            "a category had no observed value; imputed from all units instead".into(),
            nid,
            period,
            report.empty_categories.len(),
        );
        for (j, i) in units.iter().enumerate() {
            x[*i] = u[j];
        }
        t = Some(x);
    }

    // Transform.
    if transform != Transform::None {
        let mut x = t.take().unwrap_or_else(|| raw.to_vec());
        let invalid = treat::transform(&mut x, transform);
        for &i in &invalid {
            set_flag(&mut fl, n, i, flags::TRANSFORMED_AWAY);
        }
        warnings.add(
            "transform-invalid",
            format!(
                "`transform {}` is undefined for some values (missing)",
                ind.transform
            ),
            nid,
            period,
            invalid.len(),
        );
        t = Some(x);
    }

    // Winsorising, over the units; other rows are held to the same bounds.
    match &ind.winsorise {
        Winsorise::None => {}
        Winsorise::Auto => {
            let mut x = t.take().unwrap_or_else(|| raw.to_vec());
            let mut u = gather(&x);
            let (lo0, hi0) = (stats::min(&u), stats::max(&u));
            let report = treat::winsorise_auto(&mut u);
            match report.outcome {
                WinsoriseOutcome::TooFew => warnings.add(
                    "winsorise-few",
                    "fewer than 4 values: `winsorise auto` skipped".into(),
                    nid,
                    period,
                    1,
                ),
                WinsoriseOutcome::Passed => {}
                WinsoriseOutcome::Winsorised => {
                    let (lo, hi) = (stats::min(&u), stats::max(&u));
                    for &j in &report.changed {
                        set_flag(&mut fl, n, units[j], flags::WINSORISED);
                    }
                    if !all_units {
                        for (i, v) in x.iter_mut().enumerate() {
                            if !is_unit[i] && !v.is_nan() {
                                *v = v.clamp(lo, hi);
                            }
                        }
                    }
                    warnings.add(
                        "winsorised",
                        "outliers winsorised (COINr's rule)".into(),
                        nid,
                        period,
                        report.changed.len(),
                    );
                }
                WinsoriseOutcome::LogFallback => {
                    let shift = 0.01 * (hi0 - lo0);
                    for (i, v) in x.iter_mut().enumerate() {
                        if !is_unit[i] && !v.is_nan() {
                            let y = *v - lo0 + shift;
                            *v = if y > 0.0 { y.ln() } else { f64::NAN };
                        }
                    }
                    for &i in &units {
                        set_flag(&mut fl, n, i, flags::WINSORISED);
                    }
                    warnings.add(
                        "winsorise-log",
                        "winsorising could not fix the skew; the log of the values is used instead (COINr's rule)".into(),
                        nid,
                        period,
                        1,
                    );
                }
            }
            for (j, i) in units.iter().enumerate() {
                x[*i] = u[j];
            }
            t = Some(x);
        }
        Winsorise::Percentiles(plo, phi) => {
            let mut x = t.take().unwrap_or_else(|| raw.to_vec());
            let u = gather(&x);
            let (qlo, qhi) = (stats::quantile(&u, *plo), stats::quantile(&u, *phi));
            let mut changed = 0;
            for (i, v) in x.iter_mut().enumerate() {
                if !v.is_nan() && (*v < qlo || *v > qhi) {
                    *v = v.clamp(qlo, qhi);
                    set_flag(&mut fl, n, i, flags::WINSORISED);
                    changed += 1;
                }
            }
            warnings.add(
                "winsorised",
                "values clipped at the winsorising percentiles".into(),
                nid,
                period,
                changed,
            );
            t = Some(x);
        }
    }

    // Direction and normalisation; reference points are transformed with the values.
    let x: &[f64] = t.as_deref().unwrap_or(raw);
    let reference: Vec<f64> = if all_units { Vec::new() } else { gather(x) };
    let reference: &[f64] = if all_units { x } else { &reference };
    let dir = ind.direction.transformed(transform);
    let mut method = ind.normalise.transformed(transform);
    if let Normalise::Ratio(RatioTo::Unit(name)) = &method {
        let Some(i) = rows.iter().position(|r| frame.units().get(*r) == name) else {
            return Err(Error::Diagnostics(vec![node.setting_error(
                SettingKey::Normalise,
                "ratio-unit",
                format!(
                    "`{}` is normalised as a ratio to unit \"{name}\", but no unit is called \"{name}\"{}",
                    node.id,
                    period.map(|p| format!(" in period {p}")).unwrap_or_default()
                ),
            )
            .with_hint(format!(
                "check the spelling against the `{}` column of the data",
                plan.index.unit_column
            ))]));
        };
        method = Normalise::Ratio(RatioTo::Value(x[i]));
    }
    let scale = Scale {
        lo: node.scale.0,
        hi: node.scale.1,
    };
    let error = |e: norm::NormaliseError| {
        Error::Diagnostics(vec![node.setting_error(
            SettingKey::Normalise,
            "normalise",
            format!("cannot normalise `{}`: {e}", node.id),
        )])
    };
    let (value, deferred, report) = if method == Normalise::MinMax {
        let (map, report) = norm::minmax_map(reference, dir, scale).map_err(error)?;
        (Vec::new(), Some(map), report)
    } else {
        let mut value = vec![0.0; n];
        let report = norm::normalise_against(x, reference, &method, dir, scale, &mut value)
            .map_err(error)?;
        (value, None, report)
    };
    if report.constant
        && stats::count(reference) > 0
        && matches!(method, Normalise::MinMax | Normalise::ZScore { .. })
    {
        warnings.add(
            "constant",
            "the indicator has the same value for every unit; it gets the scale's midpoint".into(),
            nid,
            period,
            1,
        );
    }
    for &i in &report.clamped {
        set_flag(&mut fl, n, i, flags::CLAMPED);
    }
    // Goalposts that every unit lies beyond on one side: a unit mistake, most often a
    // percentage read as a fraction (0.9 against goalposts 80..100).
    let ind = node.indicator.as_ref().expect("indicator");
    let untransformed = ind.transform == Transform::None;
    if let (Normalise::Goalposts(lo, hi), true) = (&ind.normalise, untransformed) {
        let units: Vec<f64> = x
            .iter()
            .zip(is_unit)
            .filter(|(v, u)| **u && v.is_finite())
            .map(|(v, _)| *v)
            .collect();
        let (min, max) = units
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
                (a.min(*v), b.max(*v))
            });
        let side = if units.len() > 1 && max < lo.min(*hi) {
            Some(format!(
                "below its goalposts {lo}..{hi} (the largest is {max})"
            ))
        } else if units.len() > 1 && min > lo.max(*hi) {
            Some(format!(
                "above its goalposts {lo}..{hi} (the smallest is {min})"
            ))
        } else {
            None
        };
        if let Some(side) = side {
            let hint = if max <= 1.0 && lo.max(*hi) > 1.0 {
                ": percentages read as fractions (0.9 for 90%)?"
            } else {
                ""
            };
            warnings.add(
                "beyond-goalposts",
                format!("every unit's value lies {side}, so all get the same score{hint}"),
                nid,
                period,
                1,
            );
        }
    }
    warnings.add(
        "bands-unmatched",
        "no band matched and there is no `else` row (missing)".into(),
        nid,
        period,
        report.unmatched.len(),
    );
    let mut missing = 0;
    let mut note_missing = |i: usize| {
        set_flag(&mut fl, n, i, flags::MISSING);
        if is_unit[i] {
            missing += 1;
        }
    };
    match &deferred {
        // A finite value never maps to NaN under a map with finite parameters: one
        // vectorised pass over the column usually settles it.
        Some(map) if !(map.is_finite() && x.iter().all(|v| v.is_finite())) => {
            for (i, v) in x.iter().enumerate() {
                if map.apply(*v).is_nan() {
                    note_missing(i);
                }
            }
        }
        Some(_) => {}
        None => {
            for (i, v) in value.iter().enumerate() {
                if v.is_nan() {
                    note_missing(i);
                }
            }
        }
    }
    warnings.add(
        "missing",
        "missing values (left out of the group's aggregation)".into(),
        nid,
        period,
        missing,
    );
    Ok(Out {
        treated: t,
        value,
        deferred,
        flags: fl,
    })
}

fn internal(node: &str, e: impl std::fmt::Display) -> Error {
    Error::Diagnostics(vec![Diagnostic::error(
        "internal",
        format!("`{node}`: {e}"),
    )])
}
