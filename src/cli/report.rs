//! `qindex report`: every analysis of one rules file over its data, as one self-contained
//! HTML page (or its data model as JSON).

use super::args::{one_period, DataArgs, OutArgs};
use super::emit::{self, Cx, Format, Outcome};
use qindex::analysis::{self, compare, orientation, profile};
use qindex::eval::{PeriodChoice, PeriodResult, Results};
use qindex::report::html::{self, Inputs, Lang};
use qindex::report::run::{RunOutput, RunView};
use qindex::sensitivity::{indices, kernel, uncertainty};
use qindex::Error;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// The rules file.
    file: PathBuf,
    #[command(flatten)]
    data: DataArgs,
    /// A scheme (repeatable): the first is ranked, and the others are compared with it.
    /// Default: `default` and every scheme of the rules.
    #[arg(long = "scheme")]
    schemes: Vec<String>,
    /// The period (default: the latest).
    #[arg(long)]
    period: Option<String>,
    /// Profile only this unit (repeatable; its id or its label). Default: every unit.
    #[arg(long = "unit", value_name = "UNIT")]
    units: Vec<String>,
    /// Leave out the robustness section (the Monte Carlo and the Sobol' indices of the rules'
    /// `uncertainty` block), which takes the longest.
    #[arg(long)]
    no_uncertainty: bool,
    /// The language of the report's own text (labels from the rules are shown as written).
    #[arg(long, value_enum, default_value_t = LangArg::Zh)]
    lang: LangArg,
    /// Write the time of writing into the report (without it, the same inputs give the same
    /// bytes).
    #[arg(long)]
    stamp: bool,
    #[command(flatten)]
    pub out: OutArgs,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum LangArg {
    Zh,
    En,
}

/// How many units entering or leaving the top group a comparison lists.
const TOP_N: usize = 10;

pub fn run(a: Args, cx: &mut Cx) -> Outcome {
    let format = cx.format("report", &[Format::Html, Format::Json], Format::Html)?;
    let period = one_period(a.period.as_deref())?;
    let session = cx.session(&a.file)?;
    let names = if a.schemes.is_empty() {
        session.all_schemes()
    } else {
        a.schemes.clone()
    };
    let plans = session.plans(&names)?;
    let name_refs: Vec<&str> = names.iter().map(String::as_str).collect();
    cx.diagnostics(&session.warnings_for(&name_refs));
    let sampled = match &session.plan("default")?.uncertainty {
        Some(_) if !a.no_uncertainty => Some(session.uncertainty("")?),
        _ => None,
    };
    let mut bound = plans.clone();
    if let Some((base, _, schemes)) = &sampled {
        bound.push(base);
        bound.extend(schemes.iter().copied());
    }
    let frame = cx.bind(&session, &bound, &a.data, std::slice::from_ref(&period))?;
    let results = plans
        .iter()
        .map(|p| session.evaluate_in(p, &period))
        .collect::<Result<Vec<Results>, Error>>()?;
    // A warning repeated by each scheme's evaluation is said once.
    let mut warnings: Vec<String> = Vec::new();
    for r in &results {
        let mut new = Vec::new();
        for w in &r.warnings {
            let text = warning_text(w);
            if !warnings.contains(&text) {
                warnings.push(text);
                new.push(w.clone());
            }
        }
        cx.eval_warnings(&new);
    }
    for d in session.warnings_for(&name_refs) {
        warnings.push(format!("warning[{}]: {}", d.code, d.message));
    }
    let periods: Vec<&PeriodResult> = results.iter().filter_map(|r| r.periods.first()).collect();
    let (plan, Some(now)) = (plans[0], periods.first().copied()) else {
        return Err(Error::Usage("the data has no rows to report".into()));
    };
    // The period before, evaluated on its own as `run` would: the ranking's rank changes and
    // the profiles' improvements.
    let previous = match session.previous_period(now.period.as_deref())? {
        Some(p) => Some(session.evaluate_in(plan, &PeriodChoice::One(p))?),
        None => None,
    };
    let prev = previous.as_ref().and_then(|r| r.periods.first());
    let since = prev.map(|p| {
        let names = [p.period.clone(), now.period.clone()].map(Option::unwrap_or_default);
        compare::compare(frame, &names, &[p, now], TOP_N)
    });
    let comparison = (periods.len() > 1).then(|| compare::compare(frame, &names, &periods, TOP_N));
    let explained = comparison
        .as_ref()
        .map(|c| {
            let m = &c.movers;
            m.up.iter()
                .take(2)
                .chain(m.down.iter().take(2))
                .filter_map(|m| {
                    let k = names.iter().position(|n| *n == m.scheme)?;
                    compare::decompose(frame, [plan, plans[k]], [now, periods[k]], &m.unit)
                })
                .collect()
        })
        .unwrap_or_default();
    let rows: Vec<usize> = if a.units.is_empty() {
        now.order(frame)
            .into_iter()
            .filter(|i| now.is_unit[*i])
            .collect()
    } else {
        a.units
            .iter()
            .map(|u| profile::find_unit(frame, now, u))
            .collect::<Result<_, Error>>()?
    };
    let (unc, sens) = match &sampled {
        Some((base, block, schemes)) => {
            let variants = session.variants()?;
            let interrupted = emit::cooperate();
            let counter = cx.progress("replications");
            let progress = counter
                .as_ref()
                .map(|c| move |done: u64| c(done, block.samples));
            let opts = uncertainty::Options {
                samples: block.samples,
                seed: block.seed,
                top_n: None,
                period: period.clone(),
                progress: progress.as_ref().map(|p| p as &(dyn Fn(u64) + Sync)),
                interrupted: &interrupted,
            };
            let kplans = kernel::Plans {
                base,
                schemes: schemes.clone(),
                variants: &variants,
                surveys: &session.data()?.replicable,
            };
            let summary = uncertainty::run(&kplans, frame, &opts)?;
            cx.counted_warnings(&summary.warnings, "over the replications");
            let counter = cx.progress("evaluations");
            let progress = counter
                .as_ref()
                .map(|c| move |done: usize, total: usize| c(done as u64, total as u64));
            let opts = indices::Options {
                samples: block.samples as usize,
                seed: block.seed,
                target: indices::Target::Marc,
                period,
                resamples: 100,
                progress: progress.as_ref().map(|p| p as &dyn Fn(usize, usize)),
                interrupted: &interrupted,
            };
            let report = indices::run(&kplans, frame, &opts)?;
            cx.counted_warnings(&report.warnings, "over the evaluations");
            (Some(summary), Some(report))
        }
        None => (None, None),
    };
    let report = html::build(Inputs {
        lang: match a.lang {
            LangArg::Zh => Lang::Zh,
            LangArg::En => Lang::En,
        },
        plan,
        frame,
        current: now,
        since: since.as_ref(),
        comparison,
        scheme_labels: plans.iter().map(|p| p.scheme_label.clone()).collect(),
        explained,
        orientation: plans
            .iter()
            .zip(&periods)
            .map(|(p, r)| orientation::orientation(p, r))
            .collect(),
        uncertainty: unc,
        sensitivity: sens,
        coherence: Some(analysis::coherence(plan, now)),
        profiles: rows
            .iter()
            .map(|at| profile::profile(plan, frame, now, prev, *at))
            .collect(),
        median: profile::median_unit(plan, now),
        warnings,
        rules_hash: session.rules_hash(),
        stamp: a.stamp.then(now_utc),
    });
    if format == Format::Json {
        return cx.emit(&html::json(&report));
    }
    // The tables as workbooks, attached to the page: the ranked scheme's results, and the
    // comparison of the schemes.
    let xlsx = |write: &dyn Fn(&mut Vec<u8>) -> std::io::Result<()>| {
        let mut bytes = Vec::new();
        write(&mut bytes).map_err(|e| Error::io("xlsx", e))?;
        Ok::<_, Error>(bytes)
    };
    let stem = match &now.period {
        Some(p) => format!("{}-{}-{p}", plan.index.id, plan.scheme),
        None => format!("{}-{}", plan.index.id, plan.scheme),
    };
    let mut attachments = vec![html::Attachment {
        name: format!("{stem}.xlsx"),
        mime: XLSX,
        bytes: xlsx(&|w| {
            let out = RunOutput {
                plan,
                frame,
                results: &results[0],
                rules_hash: session.rules_hash(),
                view: RunView {
                    labels: true,
                    ..RunView::default()
                },
            };
            qindex::report::xlsx::run(&out, w)
        })?,
    }];
    if let Some(s) = &report.schemes {
        attachments.push(html::Attachment {
            name: format!("{}-schemes.xlsx", plan.index.id),
            mime: XLSX,
            bytes: xlsx(&|w| qindex::report::xlsx::compare(&s.comparison, &plans, w))?,
        });
    }
    cx.emit(&html::html(&report, &attachments))
}

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// An evaluation warning in one line: its code, where, and what.
fn warning_text(w: &qindex::eval::Warning) -> String {
    let mut at: Vec<String> = Vec::new();
    at.extend(w.node.as_ref().map(|n| format!("`{n}`")));
    match &w.unit {
        Some(u) => at.push(u.clone()),
        None => at.extend(w.units.iter().cloned()),
    }
    at.extend(w.period.iter().cloned());
    let at = if at.is_empty() {
        String::new()
    } else {
        format!(" [{}]", at.join(", "))
    };
    format!("warning[{}]{at}: {}", w.code, w.message)
}

/// The time now, UTC, as `YYYY-MM-DD HH:MM:SS UTC`.
fn now_utc() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, rest) = ((secs / 86_400) as i64, secs % 86_400);
    // Howard Hinnant's days-to-civil algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}
