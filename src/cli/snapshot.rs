//! `qindex snapshot`: the results as a diff-friendly text beside the rules, written or
//! checked.

use super::args::{one_period, OutArgs, Schemes};
use super::emit::{Cx, Exit, Format, Outcome};
use qindex::report::snapshot;
use serde::Serialize;
use std::path::{Path, PathBuf};

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    on: Schemes,
    /// The folder of the snapshot file (default: the rules file's folder).
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Compare with the stored snapshot; exit 1 with a review when results changed.
    #[arg(long, conflicts_with = "accept")]
    check: bool,
    /// Replace the stored snapshot with the current results.
    #[arg(long)]
    accept: bool,
    #[command(flatten)]
    pub out: OutArgs,
}

/// What the command did or found.
#[derive(Serialize)]
struct Snapshot {
    snapshot: String,
    /// `written`, `unchanged`, `changed`, `schemes-differ` or `missing`.
    status: &'static str,
    /// What changed, or how to resolve `schemes-differ` and `missing`.
    #[serde(skip_serializing_if = "Option::is_none")]
    review: Option<String>,
}

pub fn run(a: Args, cx: &mut Cx) -> Outcome {
    let format = cx.format("snapshot", &[Format::Table, Format::Json], Format::Table)?;
    let period = one_period(a.on.period.as_deref())?;
    let session = cx.session(&a.on.file)?;
    let names: Vec<String> = if a.on.all {
        session.all_schemes()
    } else if a.on.schemes.is_empty() {
        vec!["default".to_string()]
    } else {
        a.on.schemes.clone()
    };
    let plans = session.plans(&names)?;
    let frame = cx.bind(&session, &plans, &a.on.data, std::slice::from_ref(&period))?;
    let mut results = Vec::new();
    for plan in &plans {
        results.push(session.evaluate_in(plan, &period)?);
    }
    let runs: Vec<snapshot::SchemeRun> = plans
        .iter()
        .zip(&results)
        .map(|(plan, r)| snapshot::SchemeRun {
            plan,
            result: &r.periods[0],
        })
        .collect();
    let data = session.data()?;
    let header = snapshot::Header {
        rules: session.rules_files(),
        data: (
            data.path.display().to_string(),
            frame.content_hash().to_string(),
        ),
        period: results[0].periods[0].period.clone(),
    };
    let text = snapshot::render(&header, frame, &runs);
    let stem =
        a.on.file
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "rules".into());
    let folder = a.dir.clone().unwrap_or_else(|| {
        a.on.file
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default()
    });
    let target = folder.join(format!("{stem}.qisnap"));
    let file = a.on.file.display();
    let (status, review) = if a.check {
        match std::fs::read_to_string(&target) {
            Err(_) => ("missing", Some(format!("there is no snapshot {} to check against; write one with `qindex snapshot {file}`\n", target.display()))),
            Ok(old) => {
                let (stored, now) = (schemes_of(&old), schemes_of(&text));
                if stored != now {
                    let option = |s: &[String]| {
                        if s.len() > 1 && s.len() == session.all_schemes().len() {
                            " --all".to_string()
                        } else {
                            s.iter().map(|n| format!(" --scheme {n}")).collect()
                        }
                    };
                    ("schemes-differ", Some(format!(
                        "the snapshot holds the schemes {}, this check is of {}: nothing was compared.\ncheck the same schemes with `qindex snapshot {file} --check{}`, or store these with `qindex snapshot {file}{} --accept`\n",
                        stored.join(", "), now.join(", "), option(&stored), option(&now)
                    )))
                } else {
                    match snapshot::review(&old, &text) {
                        None => ("unchanged", None),
                        Some(r) => ("changed", Some(format!("{r}accept the new results with `qindex snapshot {file} --accept`\n"))),
                    }
                }
            }
        }
    } else {
        super::emit::write_atomic(&target, |w| w.write_all(text.as_bytes()))?;
        ("written", None)
    };
    let outcome = Snapshot {
        snapshot: target.display().to_string(),
        status,
        review,
    };
    if status == "missing" && format == Format::Table {
        qindex::timing::phases_done();
        eprint!("error: {}", outcome.review.as_deref().unwrap_or_default());
        return Ok(Exit::Differences);
    }
    cx.emit(&match format {
        Format::Json => qindex::report::json::document("snapshot", 1, &outcome),
        _ => self::text(&outcome),
    })?;
    Ok(match status {
        "written" | "unchanged" => Exit::Ok,
        _ => Exit::Differences,
    })
}

/// The schemes a snapshot holds, in order.
fn schemes_of(snapshot: &str) -> Vec<String> {
    snapshot
        .lines()
        .filter_map(|l| l.strip_prefix("== scheme "))
        .map(str::to_string)
        .collect()
}

fn text(o: &Snapshot) -> String {
    match (o.status, &o.review) {
        ("written", _) => format!("wrote {}\n", o.snapshot),
        ("unchanged", _) => format!("{}: results unchanged\n", o.snapshot),
        ("changed", Some(r)) => format!("{}: results changed\n\n{r}", o.snapshot),
        (_, Some(r)) => format!("{}: {r}", o.snapshot),
        (s, None) => format!("{}: {s}\n", o.snapshot),
    }
}
