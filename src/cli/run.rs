//! `qindex run`: one scheme evaluated over the data, every unit's values, scores and ranks.

use super::args::{period_choice, Evaluated, OutArgs};
use super::emit::{Cx, Format, Outcome};
use qindex::diagnostics::did_you_mean;
use qindex::plan::NodeId;
use qindex::report::run::{self as render, RunOutput, RunView};
use qindex::Error;
use std::io::IsTerminal;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    on: Evaluated,
    /// Only units for which this condition holds are ranked and reported, e.g.
    /// `--where "population > 1e6"`.
    #[arg(long = "where", value_name = "EXPR")]
    filter: Option<String>,
    /// Group levels to show below the index (1 = the index's children).
    #[arg(long)]
    depth: Option<u32>,
    /// Add every indicator's normalised value.
    #[arg(long)]
    indicators: bool,
    /// N: only the top group, the units ranked 1 to N.
    #[arg(long, value_parser = super::args::at_least_one)]
    top: Option<u64>,
    /// Show exactly these groups or indicators (ids, comma-separated), in this order, after
    /// the score: for a table too wide for the terminal, or a CSV of just what is needed.
    #[arg(long, value_name = "ID,...", value_delimiter = ',', conflicts_with_all = ["depth", "indicators"])]
    columns: Option<Vec<String>>,
    /// With --format xlsx: name the columns by the nodes' labels or by their ids.
    #[arg(long, value_enum, default_value_t)]
    headers: super::args::Headers,
    /// The engine: `native` (in memory) or `datafusion` (the scheme compiled to SQL, as
    /// `qindex sql` writes it, run by Apache DataFusion over CSV or Parquet, out of core;
    /// needs a build with `--features datafusion`).
    #[arg(long, value_enum, default_value = "native")]
    engine: Engine,
    /// The memory budget (512M, 4G, ...). With --engine datafusion: the memory pool, beyond
    /// which sorts and aggregations spill to disk. With the native engine: a data file whose
    /// evaluation is estimated to need more is refused before it is read. Default: half of
    /// this machine's memory.
    #[arg(long, value_name = "SIZE", value_parser = qindex::memory::parse_size)]
    memory_limit: Option<u64>,
    #[command(flatten)]
    pub out: OutArgs,
}

#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
enum Engine {
    Native,
    Datafusion,
}

pub fn run(a: Args, cx: &mut Cx) -> Outcome {
    if a.engine == Engine::Datafusion {
        return datafusion(a, cx);
    }
    let to_terminal = cx.output.is_none() && std::io::stdout().is_terminal();
    let all = [Format::Table, Format::Csv, Format::Json, Format::Xlsx];
    let default = if to_terminal {
        Format::Table
    } else {
        Format::Csv
    };
    let format = cx.format("run", &all, default)?;
    if let Some(bytes) = a.memory_limit {
        qindex::memory::set_limit(bytes);
    }
    let mut session = cx.session(&a.on.file)?;
    let (plan, filter) = cx.plan_where(&mut session, &a.on.scheme, a.filter.as_deref())?;
    let only = match &a.columns {
        Some(ids) => Some(node_ids(&plan, ids)?),
        None => None,
    };
    let frame = cx.bind(
        &session,
        &[&plan],
        &a.on.data,
        &[period_choice(a.on.period.as_deref())],
    )?;
    let view = RunView {
        depth: a.depth,
        indicators: a.indicators,
        top: a.top.map(|n| n as usize),
        only,
        width: cx.width(),
        labels: format == Format::Xlsx && a.headers == super::args::Headers::Labels,
    };
    // The table, CSV and spreadsheet show the ranks of the groups they show: the others are
    // not ranked (a million-row ranking is a tenth of a second). JSON has every node's.
    let ranked_groups = (format != Format::Json).then(|| {
        RunView::shown(&view, &plan)
            .into_iter()
            .filter(|id| plan.node(*id).kind != qindex::plan::NodeKind::Indicator)
            .collect()
    });
    let opts = qindex::eval::EvalOptions {
        period: period_choice(a.on.period.as_deref()),
        filter,
        ranked_groups,
    };
    let results = session.evaluate(&plan, &opts)?;
    cx.eval_warnings(&results.warnings);
    let out = RunOutput {
        plan: &plan,
        frame,
        results: &results,
        rules_hash: session.rules_hash(),
        view,
    };
    cx.emit_with(|w| match format {
        Format::Table => render::table(&out, w),
        Format::Json => render::json(&out, w),
        Format::Xlsx => qindex::report::xlsx::run(&out, w),
        _ => render::csv(&out, w),
    })
}

/// The nodes named by `--columns`: every id must name a group or indicator of the plan.
fn node_ids(plan: &qindex::plan::Plan, ids: &[String]) -> Result<Vec<NodeId>, Error> {
    let known = || plan.ids().skip(1).map(|id| plan.node(id).id.as_str());
    ids.iter()
        .map(|id| {
            let id = id.trim();
            plan.ids()
                .skip(1)
                .find(|n| plan.node(*n).id == id)
                .ok_or_else(|| {
                    let hint = match did_you_mean(id, known()) {
                        Some(close) => format!("did you mean `{close}`?"),
                        None => "`qindex explain FILE` lists the groups and indicators".into(),
                    };
                    Error::Usage(format!(
                        "--columns: `{id}` is not a group or indicator of scheme `{}`; {hint}",
                        plan.scheme
                    ))
                })
        })
        .collect()
}

/// `--engine datafusion`: the compiled SQL over the data file, streamed to CSV.
#[cfg(feature = "datafusion")]
fn datafusion(a: Args, cx: &mut Cx) -> Outcome {
    cx.format("run --engine datafusion", &[Format::Csv], Format::Csv)?;
    if a.depth.is_some() || a.indicators || a.top.is_some() || a.columns.is_some() {
        return Err(Error::Usage(
            "--engine datafusion writes every node's value: --depth, --indicators, --top and --columns are for the native engine".into(),
        ));
    }
    let mut session = cx.session(&a.on.file)?;
    let (plan, filter) = cx.plan_where(&mut session, &a.on.scheme, a.filter.as_deref())?;
    let data = a.on.data.options()?;
    let path = session.data_path(&[&plan], &data)?;
    let opts = qindex::sql::SqlOptions {
        dialect: qindex::sql::Dialect::Datafusion,
        table: "data".into(),
        period: period_choice(a.on.period.as_deref()),
        filter,
        survey_tables: Vec::new(),
    };
    let sql = qindex::sql::compile(&plan, &opts)?;
    let engine = qindex::sql::engine::EngineOptions {
        table: "data".into(),
        memory_limit: a.memory_limit,
        delimiter: data.delimiter,
        threads: a.on.data.threads.unwrap_or(0),
        tables: qindex::sql::engine::survey_tables(&plan)?,
    };
    // Streamed into the output (a temporary file renamed at the end: a failed run leaves
    // the file as it was).
    cx.emit_with(|w| {
        qindex::sql::engine::write_csv(&sql, &path, &engine, w)
            .map_err(|e| std::io::Error::other(e.to_string()))
    })
}

#[cfg(not(feature = "datafusion"))]
fn datafusion(_: Args, _: &mut Cx) -> Outcome {
    Err(Error::Usage(
        "--engine datafusion: this qindex was built without DataFusion; build it with `cargo build --release --features datafusion` (or install it with `cargo install --path . --features datafusion`)".into(),
    ))
}
