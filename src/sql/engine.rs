//! `qindex run --engine datafusion`: the compiled SQL run by Apache DataFusion over a CSV or
//! Parquet file, streaming, within a memory pool that spills to disk.

use crate::Error;
use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, Float64Type, Schema};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::execution::memory_pool::FairSpillPool;
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::prelude::{CsvReadOptions, ParquetReadOptions, SessionConfig, SessionContext};
use futures::StreamExt;
use std::path::Path;
use std::sync::Arc;

/// How to run the query.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// The table name the query reads (`--table` of `qindex sql`).
    pub table: String,
    /// The memory pool in bytes (operators spill to disk beyond it); `None`: unbounded.
    pub memory_limit: Option<u64>,
    /// The CSV delimiter (default `,`).
    pub delimiter: Option<u8>,
    /// Threads (DataFusion's target partitions); 0: the available cores.
    pub threads: usize,
    /// Further tables the query reads (the surveys' respondents): name and file.
    pub tables: Vec<(String, std::path::PathBuf)>,
}

/// The respondent files of the surveys `plan`'s formulas read, as the tables the compiled
/// query reads them from (named like the survey).
pub fn survey_tables(plan: &crate::plan::Plan) -> Result<Vec<(String, std::path::PathBuf)>, Error> {
    let mut out = Vec::new();
    for sp in &plan.surveys {
        let read = plan
            .columns
            .iter()
            .any(|c| c.survey.as_ref().is_some_and(|r| r.survey == sp.design.id));
        if !read {
            continue;
        }
        let path = sp.path.as_ref().ok_or_else(|| {
            Error::Usage(format!(
                "survey `{}` names no respondent file (`data \"PATH\"`)",
                sp.design.id
            ))
        })?;
        out.push((sp.design.id.clone(), std::path::PathBuf::from(path)));
    }
    Ok(out)
}

impl Default for EngineOptions {
    fn default() -> Self {
        EngineOptions {
            table: "data".into(),
            memory_limit: None,
            delimiter: None,
            threads: 0,
            tables: Vec::new(),
        }
    }
}

/// The query's result: one row per unit and period.
#[derive(Debug, Clone, Default)]
pub struct Table {
    /// The node columns, in plan order (after unit, period, score and rank).
    pub nodes: Vec<String>,
    pub unit: Vec<String>,
    pub period: Vec<Option<String>>,
    pub score: Vec<f64>,
    /// 0 = unranked.
    pub rank: Vec<u32>,
    /// Per node, per row; NaN for missing.
    pub values: Vec<Vec<f64>>,
}

fn df_error(what: &str, e: impl std::fmt::Display) -> Error {
    Error::Usage(format!("DataFusion: {what}: {e}"))
}

/// The stack of the threads that plan and run a query: DataFusion plans a query of many CTEs
/// and long `CASE` expressions by recursion, deeper than the 2 MiB of a spawned thread (and,
/// in an unoptimised build, than the main thread's 8 MiB). Only the pages used are committed.
const STACK_BYTES: usize = 256 << 20;

/// Runs `sql` over the data file and calls `each` with every result batch, in order. The
/// query runs on a thread of its own (see [`STACK_BYTES`]); the batches come back to this one
/// through a short queue, so a slow writer holds the query back instead of piling batches up.
pub fn stream(
    sql: &str,
    data: &Path,
    opts: &EngineOptions,
    mut each: impl FnMut(&RecordBatch) -> Result<(), Error>,
) -> Result<(), Error> {
    let (tx, rx) = std::sync::mpsc::sync_channel::<RecordBatch>(2);
    std::thread::scope(|scope| {
        let worker = std::thread::Builder::new()
            .name("datafusion".into())
            .stack_size(STACK_BYTES)
            .spawn_scoped(scope, move || run(sql, data, opts, tx))
            .map_err(|e| df_error("cannot start the query thread", e))?;
        let mut written = Ok(());
        while let Ok(batch) = rx.recv() {
            written = each(&batch);
            if written.is_err() {
                break;
            }
        }
        // The query stops at its next batch once nobody receives.
        drop(rx);
        let ran = worker
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        written.and(ran)
    })
}

fn run(
    sql: &str,
    data: &Path,
    opts: &EngineOptions,
    batches_out: std::sync::mpsc::SyncSender<RecordBatch>,
) -> Result<(), Error> {
    let threads = if opts.threads == 0 {
        crate::threads()
    } else {
        opts.threads
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads.max(1))
        .thread_stack_size(STACK_BYTES)
        .build()
        .map_err(|e| df_error("cannot start the runtime", e))?;
    rt.block_on(async {
        let mut runtime = RuntimeEnvBuilder::new();
        if let Some(limit) = opts.memory_limit {
            runtime = runtime.with_memory_pool(Arc::new(FairSpillPool::new(limit as usize)));
        }
        let runtime = runtime
            .build_arc()
            .map_err(|e| df_error("cannot set up the memory pool", e))?;
        let config = SessionConfig::new().with_target_partitions(threads.max(1));
        let ctx = SessionContext::new_with_config_rt(config, runtime);
        register(&ctx, &opts.table, data, opts.delimiter).await?;
        for (name, path) in &opts.tables {
            register(&ctx, name, path, None).await?;
        }
        let df = ctx
            .sql(sql)
            .await
            .map_err(|e| df_error("the query was refused", e))?;
        let mut batches = df
            .execute_stream()
            .await
            .map_err(|e| df_error("the query cannot run", e))?;
        while let Some(b) = batches.next().await {
            let b = b.map_err(|e| df_error("the query failed", e))?;
            if batches_out.send(b).is_err() {
                break; // the receiver stopped (its error is the one reported)
            }
        }
        Ok(())
    })
}

/// Registers the data file as `table`: Parquet as it is typed, CSV with every column as text
/// (the query reads the numbers itself, as the native engine reads the cells).
async fn register(
    ctx: &SessionContext,
    table: &str,
    data: &Path,
    delimiter: Option<u8>,
) -> Result<(), Error> {
    let path = data
        .to_str()
        .ok_or_else(|| Error::Usage(format!("{}: the path is not UTF-8", data.display())))?;
    let parquet = data
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("parquet"));
    if parquet {
        ctx.register_parquet(table, path, ParquetReadOptions::default())
            .await
            .map_err(|e| df_error(&format!("cannot read {}", data.display()), e))?;
        return Ok(());
    }
    let header = first_line(data)?;
    // As the native reader detects it from the header.
    let delimiter = delimiter.unwrap_or_else(|| crate::data::detect_delimiter(header.as_bytes()));
    if data
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| ["xlsx", "xls", "ods", "xlsm"].contains(&e.to_ascii_lowercase().as_str()))
    {
        return Err(Error::Usage(format!(
            "{}: DataFusion reads CSV and Parquet files; save the workbook as CSV",
            data.display()
        )));
    }
    let fields: Vec<Field> = header
        .split(delimiter as char)
        .map(|h| Field::new(h.trim().trim_matches('"'), DataType::Utf8, true))
        .collect();
    let schema = Schema::new(fields);
    // The file's own extension (DataFusion lists only files with the one it is given).
    let ext = data
        .extension()
        .and_then(|e| e.to_str())
        .map(|e| format!(".{e}"))
        .unwrap_or_default();
    let options = CsvReadOptions::new()
        .has_header(true)
        .delimiter(delimiter)
        .schema(&schema)
        .file_extension(&ext);
    ctx.register_csv(table, path, options)
        .await
        .map_err(|e| df_error(&format!("cannot read {}", data.display()), e))?;
    Ok(())
}

fn first_line(path: &Path) -> Result<String, Error> {
    use std::io::BufRead;
    let f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut line = String::new();
    std::io::BufReader::new(f)
        .read_line(&mut line)
        .map_err(|e| Error::io(path, e))?;
    Ok(line
        .trim_start_matches('\u{feff}')
        .trim_end_matches(['\r', '\n'])
        .to_string())
}

/// Runs `sql` and collects the result.
pub fn query(sql: &str, data: &Path, opts: &EngineOptions) -> Result<Table, Error> {
    let mut t = Table::default();
    let mut first = true;
    stream(sql, data, opts, |b| {
        let schema = b.schema();
        let names: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
        let has_period = names.get(1).is_some_and(|n| n == "period");
        let skip = if has_period { 4 } else { 3 };
        if first {
            t.nodes = names[skip..]
                .iter()
                .map(|n| n.strip_prefix("node:").unwrap_or(n).to_string())
                .collect();
            t.values = vec![Vec::new(); t.nodes.len()];
            first = false;
        }
        let text = |i: usize| -> Result<Vec<Option<String>>, Error> {
            let c = cast(b.column(i), &DataType::Utf8).map_err(|e| df_error("a text column", e))?;
            let s = c.as_string::<i32>();
            Ok((0..s.len())
                .map(|r| (!s.is_null(r)).then(|| s.value(r).to_string()))
                .collect())
        };
        let num = |i: usize| -> Result<Vec<f64>, Error> {
            let c = cast(b.column(i), &DataType::Float64)
                .map_err(|e| df_error("a number column", e))?;
            let s = c.as_primitive::<Float64Type>();
            Ok((0..s.len())
                .map(|r| if s.is_null(r) { f64::NAN } else { s.value(r) })
                .collect())
        };
        t.unit
            .extend(text(0)?.into_iter().map(Option::unwrap_or_default));
        if has_period {
            t.period.extend(text(1)?);
        } else {
            t.period.extend(std::iter::repeat_n(None, b.num_rows()));
        }
        t.score.extend(num(skip - 2)?);
        t.rank.extend(
            num(skip - 1)?
                .into_iter()
                .map(|r| if r.is_nan() { 0 } else { r as u32 }),
        );
        for k in 0..t.nodes.len() {
            let v = num(skip + k)?;
            t.values[k].extend(v);
        }
        Ok(())
    })?;
    Ok(t)
}

/// Writes the result as CSV, batch by batch: unit, period, score, rank, then each node.
pub fn write_csv(
    sql: &str,
    data: &Path,
    opts: &EngineOptions,
    w: &mut dyn std::io::Write,
) -> Result<(), Error> {
    let mut first = true;
    let io = |e: std::io::Error| Error::Usage(format!("cannot write the result: {e}"));
    stream(sql, data, opts, |b| {
        let schema = b.schema();
        if first {
            let names: Vec<String> = schema.fields().iter().map(|f| csv_cell(f.name())).collect();
            writeln!(w, "{}", names.join(",")).map_err(io)?;
            first = false;
        }
        let cols: Vec<Arc<dyn Array>> = (0..b.num_columns())
            .map(|i| {
                let c = b.column(i);
                match c.data_type() {
                    DataType::Utf8 | DataType::Utf8View | DataType::LargeUtf8 => {
                        cast(c, &DataType::Utf8)
                    }
                    _ => cast(c, &DataType::Float64),
                }
                .map_err(|e| df_error("a result column", e))
            })
            .collect::<Result<_, _>>()?;
        let mut line = String::new();
        for r in 0..b.num_rows() {
            line.clear();
            for (i, c) in cols.iter().enumerate() {
                if i > 0 {
                    line.push(',');
                }
                if c.is_null(r) {
                    continue;
                }
                match c.data_type() {
                    DataType::Utf8 => line.push_str(&csv_cell(c.as_string::<i32>().value(r))),
                    _ => {
                        let v = c.as_primitive::<Float64Type>().value(r);
                        line.push_str(&format!("{v}"));
                    }
                }
            }
            writeln!(w, "{line}").map_err(io)?;
        }
        Ok(())
    })
}

fn csv_cell(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}
