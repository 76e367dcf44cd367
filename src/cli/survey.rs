//! `qindex survey`: the rules' `survey` blocks estimated from their respondent files.

use super::args::{DataArgs, OutArgs};
use super::emit::{Cx, Format, Outcome};
use qindex::Error;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// The rules file.
    file: PathBuf,
    /// The survey to report (default: every survey of the rules).
    #[arg(long = "survey", value_name = "ID")]
    survey: Option<String>,
    /// Only this period (default: every period of the survey).
    #[arg(long)]
    period: Option<String>,
    /// The respondent file's CSV delimiter (`,` `;` or `tab`); detected when not given.
    #[arg(long)]
    delimiter: Option<String>,
    /// The respondent file's text encoding (utf-8, gbk, gb18030, ...); detected when not given.
    #[arg(long)]
    encoding: Option<String>,
    /// The respondent workbook's sheet (default: the first).
    #[arg(long)]
    sheet: Option<String>,
    /// Another cell value that means "missing" (repeatable), on top of NA, N/A, -, 无, ...
    #[arg(long = "na", value_name = "TOKEN")]
    na: Vec<String>,
    /// Read cells that are not numbers as missing (counted in a warning) instead of failing.
    #[arg(long)]
    lenient: bool,
    /// Threads to use (default: the available cores); the results do not depend on it.
    #[arg(long)]
    threads: Option<usize>,
    #[command(flatten)]
    pub out: OutArgs,
}

pub fn run(a: Args, cx: &mut Cx) -> Outcome {
    let all = [Format::Table, Format::Csv, Format::Json];
    let format = cx.format("survey", &all, Format::Table)?;
    let session = cx.session(&a.file)?;
    let plan = session.plan("default")?;
    cx.diagnostics(&session.warnings_for(&["default"]));
    let chosen = qindex::analysis::survey::choose(&plan.surveys, a.survey.as_deref())
        .map_err(Error::Usage)?;
    let opts = DataArgs {
        data: None,
        delimiter: a.delimiter.clone(),
        encoding: a.encoding.clone(),
        sheet: a.sheet.clone(),
        na: a.na.clone(),
        lenient: a.lenient,
        threads: a.threads,
    }
    .options()?;
    let mut surveys = Vec::new();
    for sp in chosen {
        if let Some(p) = &sp.path {
            super::emit::protect(std::path::Path::new(p));
        }
        let (est, warnings) = session.estimate_survey(sp, &opts)?;
        cx.diagnostics(&warnings);
        surveys.push(match &a.period {
            Some(p) => est.in_period(p).map_err(Error::Usage)?,
            None => est,
        });
    }
    let text = match format {
        Format::Json => qindex::report::survey::json(&surveys),
        Format::Csv => qindex::report::survey::csv(&surveys),
        _ => qindex::report::survey::table(&surveys, cx.width()),
    };
    qindex::timing::lap("format");
    cx.emit(&text)
}
