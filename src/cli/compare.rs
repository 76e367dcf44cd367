//! `qindex compare`: schemes (or one scheme in two periods) over the same data.

use super::args::{one_period, OutArgs, Schemes};
use super::emit::{Cx, Format, Outcome};
use qindex::analysis::compare;
use qindex::eval::{PeriodChoice, PeriodResult};
use qindex::report::compare as render;
use qindex::Error;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    on: Schemes,
    /// N: the top group (the units ranked 1 to N), whose entries and exits are listed.
    #[arg(long, default_value_t = 10, value_parser = super::args::at_least_one)]
    top: u64,
    /// Explain why this unit moved: its score change split by node into the effect of
    /// changed weights and of changed values.
    #[arg(long, value_name = "UNIT")]
    explain: Option<String>,
    /// Compare one scheme (the first --scheme, or `default`) between this earlier period and
    /// --period (default: the latest), instead of schemes within one period.
    #[arg(long, value_name = "PERIOD")]
    since: Option<String>,
    #[command(flatten)]
    pub out: OutArgs,
}

pub fn run(a: Args, cx: &mut Cx) -> Outcome {
    let all = [Format::Table, Format::Csv, Format::Json, Format::Xlsx];
    let format = cx.format("compare", &all, Format::Table)?;
    if a.explain.is_some() && matches!(format, Format::Csv | Format::Xlsx) {
        return Err(Error::Usage(
            "--explain with --format csv or xlsx: the decomposition is not one table; use --format table or json".into(),
        ));
    }
    let period = one_period(a.on.period.as_deref())?;
    let session = cx.session(&a.on.file)?;
    let mut names: Vec<String> = if a.since.is_some() {
        vec![a
            .on
            .schemes
            .first()
            .cloned()
            .unwrap_or_else(|| "default".into())]
    } else if a.on.schemes.is_empty() {
        session.all_schemes()
    } else {
        a.on.schemes.clone()
    };
    let mut plans = session.plans(&names)?;
    let scheme_names: Vec<&str> = names.iter().map(String::as_str).collect();
    cx.diagnostics(&session.warnings_for(&scheme_names));
    if plans.len() < 2 && a.since.is_none() {
        return Err(Error::Usage("compare needs at least two schemes: name them with --scheme, or declare schemes in the rules".into()));
    }
    let mut periods = vec![period.clone()];
    periods.extend(a.since.iter().map(|p| PeriodChoice::One(p.clone())));
    let frame = cx.bind(&session, &plans, &a.on.data, &periods)?;
    let mut results = Vec::new();
    if let Some(earlier) = &a.since {
        // One scheme in two periods: the earlier one first, as the baseline.
        plans.push(plans[0]);
        for p in [PeriodChoice::One(earlier.clone()), period] {
            results.push(session.evaluate_in(plans[0], &p)?);
        }
        names = results
            .iter()
            .map(|r| r.periods[0].period.clone().unwrap_or_default())
            .collect();
    } else {
        for plan in &plans {
            results.push(session.evaluate_in(plan, &period)?);
        }
    }
    for r in &results {
        cx.eval_warnings(&r.warnings);
    }
    let periods: Vec<&PeriodResult> = results.iter().map(|r| &r.periods[0]).collect();
    let comparison = compare::compare(frame, &names, &periods, a.top as usize);
    // Why units moved: the unit asked for, else (in the table) the biggest mover each way.
    let movers: Vec<(String, usize)> = match &a.explain {
        Some(unit) => {
            let row = qindex::analysis::profile::find_unit(frame, periods[0], unit)?;
            let unit = frame.units().get(periods[0].rows[row]).to_string();
            (1..plans.len()).map(|k| (unit.clone(), k)).collect()
        }
        None if format == Format::Table => {
            let m = &comparison.movers;
            m.up.iter()
                .take(1)
                .chain(m.down.iter().take(1))
                .map(|m| {
                    let k = names.iter().position(|n| *n == m.scheme).unwrap_or(1);
                    (m.unit.clone(), k)
                })
                .collect()
        }
        None => Vec::new(),
    };
    let explained: Vec<_> = movers
        .iter()
        .filter_map(|(unit, k)| {
            let mut d = compare::decompose(
                frame,
                [plans[0], plans[*k]],
                [periods[0], periods[*k]],
                unit,
            )?;
            // The compared versions' names: schemes, or periods with --since.
            (d.a, d.b) = (names[0].clone(), names[*k].clone());
            Some(d)
        })
        .collect();
    if format == Format::Xlsx {
        return cx.emit_with(|w| qindex::report::xlsx::compare(&comparison, &plans, w));
    }
    cx.emit(&match format {
        Format::Json => {
            render::json_explained(&comparison, a.explain.is_some().then_some(&explained))
        }
        Format::Csv => render::csv(&comparison),
        _ => {
            let orientations: Vec<_> = plans
                .iter()
                .zip(&periods)
                .map(|(plan, p)| qindex::analysis::orientation::orientation(plan, p))
                .collect();
            render::text_explained(&comparison, &orientations, &explained, cx.width())
        }
    })
}
