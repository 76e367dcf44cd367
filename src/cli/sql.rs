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
    };
    let sql = qindex::sql::compile(&plan, &opts)?;
    if format == Format::Json {
        let doc = serde_json::json!({
            "format": "qindex.sql/1",
            "scheme": plan.scheme,
            "dialect": format!("{:?}", a.dialect).to_lowercase(),
            "table": a.table,
            "sql": sql,
        });
        return cx.emit(&format!("{doc:#}\n"));
    }
    cx.emit(&sql)
}
