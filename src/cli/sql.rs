//! `qindex sql`: the scheme's Plan compiled to one SQL query (src/sql).

use super::args::{period_choice, OutArgs};
use super::emit::{Cx, Format, Outcome};
use qindex::sql::{Dialect, SqlOptions};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// The rules file.
    pub file: PathBuf,
    /// The scheme (`default` is the base index).
    #[arg(long, default_value = "default")]
    pub scheme: String,
    /// The period the query returns (default: the latest; `all` for every period).
    #[arg(long)]
    pub period: Option<String>,
    /// The SQL dialect.
    #[arg(long, value_enum, default_value = "datafusion")]
    pub dialect: Dialect,
    /// The table the query reads (the data file's columns).
    #[arg(long, default_value = "data", value_name = "NAME")]
    pub table: String,
    /// The table of a survey's respondents, as SURVEY=TABLE (default: the table named like
    /// the survey); repeat for several surveys.
    #[arg(long = "survey-table", value_name = "SURVEY=TABLE", value_parser = survey_table)]
    pub survey_tables: Vec<(String, String)>,
    /// Only units for which this condition holds are ranked and returned.
    #[arg(long = "where", value_name = "EXPR")]
    pub filter: Option<String>,
    #[command(flatten)]
    pub out: OutArgs,
}

pub fn run(a: Args, cx: &mut Cx) -> Outcome {
    let format = cx.format("sql", &[Format::Table, Format::Json], Format::Table)?;
    let mut session = cx.session(&a.file)?;
    let (plan, filter) = cx.plan_where(&mut session, &a.scheme, a.filter.as_deref())?;
    let opts = SqlOptions {
        dialect: a.dialect,
        table: a.table.clone(),
        period: period_choice(a.period.as_deref()),
        filter,
        survey_tables: a.survey_tables.clone(),
    };
    let sql = qindex::sql::compile(&plan, &opts)?;
    if format == Format::Json {
        let doc = serde_json::json!({
            "format": "qindex.sql/1",
            "scheme": plan.scheme,
            "dialect": format!("{:?}", a.dialect).to_lowercase(),
            "table": a.table,
            "survey_tables": plan
                .surveys
                .iter()
                .map(|s| (s.design.id.clone(), serde_json::json!(opts.survey_table(&s.design.id))))
                .collect::<serde_json::Map<_, _>>(),
            "sql": sql,
        });
        return cx.emit(&format!("{doc:#}\n"));
    }
    cx.emit(&sql)
}

fn survey_table(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((s, t)) if !s.trim().is_empty() && !t.trim().is_empty() => {
            Ok((s.trim().to_string(), t.trim().to_string()))
        }
        _ => Err(format!(
            "`{text}`: write the survey and its table as SURVEY=TABLE, e.g. citizens=citizen_answers"
        )),
    }
}
