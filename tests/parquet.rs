//! Parquet input for the native engine: a Parquet file loads into the same frame, with the
//! same diagnostics, as the equivalent CSV file, and `qindex run` writes the same bytes.
#![cfg(feature = "parquet")]

mod common;

use arrow_array::{
    ArrayRef, BooleanArray, Decimal128Array, Float32Array, Float64Array, Int64Array, RecordBatch,
    StringArray,
};
use arrow_schema::{Field, Schema};
use common::{qindex, shared};
use parquet::arrow::ArrowWriter;
use parquet::file::properties::WriterProperties;
use proptest::prelude::*;
use qindex::data::{load, Frame, LoadOptions};
use qindex::{Diagnostic, Error};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A typed column of a generated table.
#[derive(Debug, Clone)]
enum Col {
    Str(Vec<Option<String>>),
    Int(Vec<Option<i64>>),
    /// May hold NaN (missing, written as an empty CSV cell).
    Float(Vec<Option<f64>>),
    Float32(Vec<Option<f32>>),
    /// Unscaled values, precision and scale.
    Decimal(Vec<Option<i128>>, u8, i8),
    Bool(Vec<Option<bool>>),
}

impl Col {
    fn len(&self) -> usize {
        match self {
            Col::Str(v) => v.len(),
            Col::Int(v) => v.len(),
            Col::Float(v) => v.len(),
            Col::Float32(v) => v.len(),
            Col::Decimal(v, ..) => v.len(),
            Col::Bool(v) => v.len(),
        }
    }

    fn array(&self) -> ArrayRef {
        match self {
            Col::Str(v) => Arc::new(StringArray::from(v.clone())),
            Col::Int(v) => Arc::new(Int64Array::from(v.clone())),
            Col::Float(v) => Arc::new(Float64Array::from(v.clone())),
            Col::Float32(v) => Arc::new(Float32Array::from(v.clone())),
            Col::Decimal(v, p, s) => Arc::new(
                Decimal128Array::from(v.clone())
                    .with_precision_and_scale(*p, *s)
                    .unwrap(),
            ),
            Col::Bool(v) => Arc::new(BooleanArray::from(v.clone())),
        }
    }

    /// Cell `i` as the equivalent CSV file writes it.
    fn cell(&self, i: usize) -> String {
        let text = match self {
            Col::Str(v) => v[i].clone(),
            Col::Int(v) => v[i].map(|x| x.to_string()),
            Col::Float(v) => v[i].filter(|x| !x.is_nan()).map(|x| x.to_string()),
            Col::Float32(v) => v[i].filter(|x| !x.is_nan()).map(|x| x.to_string()),
            Col::Decimal(v, _, s) => v[i].map(|x| decimal_text(x, *s)),
            Col::Bool(v) => v[i].map(|x| x.to_string()),
        }
        .unwrap_or_default();
        if text.contains([',', '"', '\n']) {
            format!("\"{}\"", text.replace('"', "\"\""))
        } else {
            text
        }
    }
}

/// `12345`, scale 2: `123.45`.
fn decimal_text(v: i128, scale: i8) -> String {
    let digits = v.unsigned_abs().to_string();
    let sign = if v < 0 { "-" } else { "" };
    let s = scale as usize;
    let padded = format!("{digits:0>width$}", width = s + 1);
    let (int, frac) = padded.split_at(padded.len() - s);
    match s {
        0 => format!("{sign}{int}"),
        _ => format!("{sign}{int}.{frac}"),
    }
}

/// A table: named columns of one length.
#[derive(Debug, Clone)]
struct Table {
    cols: Vec<(String, Col)>,
}

impl Table {
    fn rows(&self) -> usize {
        self.cols.first().map_or(0, |c| c.1.len())
    }

    /// Writes the table as Parquet, `group` rows to a row group.
    fn parquet(&self, path: &Path, group: usize) {
        let fields: Vec<Field> = self
            .cols
            .iter()
            .map(|(n, c)| Field::new(n, c.array().data_type().clone(), true))
            .collect();
        let schema = Arc::new(Schema::new(fields));
        let props = WriterProperties::builder()
            .set_max_row_group_row_count(Some(group.max(1)))
            .build();
        let file = std::fs::File::create(path).unwrap();
        let mut w = ArrowWriter::try_new(file, schema.clone(), Some(props)).unwrap();
        let batch =
            RecordBatch::try_new(schema, self.cols.iter().map(|(_, c)| c.array()).collect())
                .unwrap();
        w.write(&batch).unwrap();
        w.close().unwrap();
    }

    /// Writes the table as CSV.
    fn csv(&self, path: &Path) {
        let mut out = String::new();
        let names: Vec<&str> = self.cols.iter().map(|(n, _)| n.as_str()).collect();
        out.push_str(&names.join(","));
        out.push('\n');
        for i in 0..self.rows() {
            let cells: Vec<String> = self.cols.iter().map(|(_, c)| c.cell(i)).collect();
            out.push_str(&cells.join(","));
            out.push('\n');
        }
        std::fs::write(path, out).unwrap();
    }
}

fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("qindex-parquet-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A diagnostic on one line, the file's path replaced by `FILE`.
fn line(d: &Diagnostic, file: &Path) -> String {
    let f = file.display().to_string();
    format!(
        "{:?}[{}] {} {} {:?} {:?}",
        d.severity,
        d.code,
        d.location.as_deref().unwrap_or("-"),
        d.message,
        d.hint,
        d.notes
    )
    .replace(&f, "FILE")
}

/// What a load gave, comparable across formats: the frame's cells (numbers by their bits) and
/// the warnings, or the errors; the file's path replaced by `FILE`.
type Outcome = Result<(String, Vec<String>), Vec<String>>;

/// The [`Outcome`] of loading `path` with `opts`.
fn outcome(path: &Path, opts: &LoadOptions) -> Outcome {
    match load(path, opts) {
        Ok((frame, warnings)) => Ok((
            cells(&frame),
            warnings.iter().map(|d| line(d, path)).collect(),
        )),
        Err(Error::Diagnostics(ds)) => Err(ds.iter().map(|d| line(d, path)).collect()),
        Err(e) => Err(vec![e
            .to_string()
            .replace(&path.display().to_string(), "FILE")]),
    }
}

fn cells(frame: &Frame) -> String {
    let mut s = format!("headers {:?}\n", frame.headers());
    for i in 0..frame.len() {
        s.push_str(&format!(
            "row {} unit {:?}",
            frame.source_row(i),
            frame.units().get(i)
        ));
        if let Some(p) = frame.periods() {
            s.push_str(&format!(" period {:?}", p.get(i)));
        }
        for name in frame.text_names() {
            s.push_str(&format!(
                " {name}={:?}",
                frame.text_column(name).unwrap().get(i)
            ));
        }
        for name in frame.numeric_names() {
            let v = frame.column(name).unwrap()[i];
            // NaN by one name, whatever its payload.
            let bits = if v.is_nan() { 0 } else { v.to_bits() };
            s.push_str(&format!(" {name}={v}/{bits:x}"));
        }
        s.push('\n');
    }
    s
}

/// Loads `table` written as CSV and as Parquet (`group` rows a row group) with `opts`.
fn both(table: &Table, opts: &LoadOptions, group: usize, name: &str) -> (Outcome, Outcome) {
    let dir = tempdir(name);
    let (csv, pq) = (dir.join("t.csv"), dir.join("t.parquet"));
    table.csv(&csv);
    table.parquet(&pq, group);
    let out = (outcome(&csv, opts), outcome(&pq, opts));
    let _ = std::fs::remove_dir_all(&dir);
    out
}

/// A small deterministic generator (xorshift).
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// `n` values from `f`, each missing with probability `nulls` percent.
fn values(
    g: &mut Gen,
    n: usize,
    nulls: u64,
    f: &mut dyn FnMut(&mut Gen) -> f64,
) -> Vec<Option<f64>> {
    (0..n)
        .map(|_| if g.chance(nulls) { None } else { Some(f(g)) })
        .collect()
}

/// A numeric column of `n` cells of a random type, some of them missing.
fn numeric(g: &mut Gen, n: usize, nulls: u64) -> Col {
    let value = |g: &mut Gen| (g.below(2_000_001) as f64 - 1e6) / 997.0;
    match g.below(6) {
        0 => Col::Float(values(g, n, nulls, &mut |g| {
            if g.chance(5) {
                f64::NAN
            } else {
                value(g)
            }
        })),
        1 => Col::Float32(
            values(g, n, nulls, &mut |g| value(g))
                .into_iter()
                .map(|v| v.map(|v| v as f32))
                .collect(),
        ),
        2 => Col::Int(
            values(g, n, nulls, &mut |g| g.below(20_001) as f64 - 10_000.0)
                .into_iter()
                .map(|v| v.map(|v| v as i64))
                .collect(),
        ),
        3 => {
            let scale = g.below(5) as i8;
            Col::Decimal(
                values(g, n, nulls, &mut |g| g.below(2_000_001) as f64 - 1e6)
                    .into_iter()
                    .map(|v| v.map(|v| v as i128))
                    .collect(),
                12,
                scale,
            )
        }
        // Text read as CSV cells: numbers, percentages, grouped thousands, tokens.
        _ => {
            let forms = ["1.5", "-2e3", "50%", "NA", "", "\"1,234.5\"", " 7 ", "0.25"];
            Col::Str(
                (0..n)
                    .map(|_| {
                        if g.chance(nulls) {
                            return None;
                        }
                        let f = forms[g.below(forms.len() as u64) as usize];
                        Some(match f {
                            "\"1,234.5\"" => "1,234.5".to_string(),
                            _ => f.to_string(),
                        })
                    })
                    .collect(),
            )
        }
    }
}

/// A generated table and the options that read it: ids of text or integers, an optional
/// period column, numeric columns of every type with nulls, columns in any order.
fn generated(seed: u64) -> (Table, LoadOptions, usize) {
    let mut g = Gen(seed | 1);
    let n = g.below(30) as usize;
    let numbers = 1 + g.below(4) as usize;
    let nulls = g.below(40);
    let mut cols: Vec<(String, Col)> = Vec::new();
    for k in 0..numbers {
        cols.push((format!("x{k}"), numeric(&mut g, n, nulls)));
    }
    // Unit ids from a small range, so that some repeat; a few missing or with spaces.
    let ints = g.chance(50);
    let units: Vec<Option<u64>> = (0..n)
        .map(|_| (!g.chance(3)).then(|| g.below(40)))
        .collect();
    let unit = if ints {
        Col::Int(units.iter().map(|u| u.map(|u| u as i64)).collect())
    } else {
        let spaced = g.chance(20);
        Col::Str(
            units
                .iter()
                .map(|u| {
                    u.map(|u| match spaced && u % 7 == 0 {
                        true => format!(" u{u:03}"),
                        false => format!("u{u:03}"),
                    })
                })
                .collect(),
        )
    };
    cols.push(("unit".into(), unit));
    let with_period = g.chance(50);
    if with_period {
        let years: Vec<Option<i64>> = (0..n)
            .map(|_| (!g.chance(3)).then(|| 2020 + g.below(3) as i64))
            .collect();
        let period = match g.chance(50) {
            true => Col::Int(years),
            false => Col::Str(years.iter().map(|y| y.map(|y| y.to_string())).collect()),
        };
        cols.push(("year".into(), period));
    }
    // A CSV row of empty cells is skipped as blank; a Parquet row never is: give every such
    // row a unit.
    for i in 0..n {
        if cols.iter().all(|(_, c)| c.cell(i).is_empty()) {
            if let Some((_, Col::Str(v))) = cols.iter_mut().find(|(n, _)| n == "unit") {
                v[i] = Some("filled".into());
            } else if let Some((_, Col::Int(v))) = cols.iter_mut().find(|(n, _)| n == "unit") {
                v[i] = Some(99);
            }
        }
    }
    // Any column order.
    for i in (1..cols.len()).rev() {
        let j = g.below(i as u64 + 1) as usize;
        cols.swap(i, j);
    }
    let mut opts = LoadOptions::new("unit");
    opts.period_column = with_period.then(|| "year".to_string());
    opts.numeric_columns = (0..numbers).map(|k| format!("x{k}")).collect();
    opts.lenient = g.chance(30);
    opts.threads = Some(1 + g.below(3) as usize);
    let group = 1 + g.below(n as u64 + 1) as usize;
    (Table { cols }, opts, group)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, failure_persistence: None, ..ProptestConfig::default() })]

    /// Any generated table loads from Parquet into the frame, warnings and errors of its CSV.
    #[test]
    fn parquet_loads_as_its_csv(seed in any::<u64>()) {
        let (table, opts, group) = generated(seed);
        let (csv, pq) = both(&table, &opts, group, &format!("prop-{seed}"));
        prop_assert_eq!(csv, pq, "{:?}", table);
    }
}

/// The HDI table (read through the CSV loader as text) as typed columns: integers where every
/// cell is one, floating point where every cell is a number, text otherwise.
fn hdi_table() -> Table {
    let path = shared("data/hdi/hdi_2022.csv");
    let headers = qindex::data::header_of(&path).unwrap();
    let mut opts = LoadOptions::new("iso3");
    opts.text_columns = headers.clone();
    let (frame, _) = load(&path, &opts).unwrap();
    let cols = headers
        .iter()
        .map(|h| {
            let cells: Vec<&str> = frame.text_column(h).unwrap().iter().collect();
            let col = if h != "iso3"
                && cells
                    .iter()
                    .all(|c| c.is_empty() || c.parse::<i64>().is_ok())
            {
                Col::Int(cells.iter().map(|c| c.parse().ok()).collect())
            } else if cells
                .iter()
                .all(|c| c.is_empty() || c.parse::<f64>().is_ok())
            {
                Col::Float(cells.iter().map(|c| c.parse().ok()).collect())
            } else {
                Col::Str(cells.iter().map(|c| Some(c.to_string())).collect())
            };
            (h.clone(), col)
        })
        .collect();
    Table { cols }
}

/// `qindex ARGS` must succeed; its standard output.
fn run_ok(args: &[&str]) -> Vec<u8> {
    let o = qindex(args);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    o.stdout
}

#[test]
fn hdi_runs_the_same_from_parquet() {
    let dir = tempdir("hdi");
    let pq = dir.join("hdi.parquet");
    let table = hdi_table();
    assert!(table.cols.iter().any(|(_, c)| matches!(c, Col::Float(_))));
    assert!(table.cols.iter().any(|(_, c)| matches!(c, Col::Int(_))));
    table.parquet(&pq, 64);
    let csv = shared("data/hdi/hdi_2022.csv");
    for (format, extra) in [("csv", None), ("csv", Some("--indicators")), ("json", None)] {
        let run = |data: &Path| {
            let mut args = vec!["run", "rules/hdi.qi", "--format", format, "--data"];
            args.push(data.to_str().unwrap());
            args.extend(extra);
            run_ok(&args)
        };
        let (a, b) = (run(&csv), run(&pq));
        assert!(a.len() > 1000);
        if format == "json" {
            // The JSON names the data's content hash: the rest is equal.
            let strip = |o: Vec<u8>| -> String {
                String::from_utf8(o)
                    .unwrap()
                    .lines()
                    .filter(|l| !l.contains("hash"))
                    .collect::<Vec<_>>()
                    .join("\n")
            };
            assert_eq!(strip(a), strip(b));
        } else {
            assert_eq!(a, b, "{extra:?}");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// The peers' big_1m rules over a generated table of mixed column types, row groups spread
/// over threads.
#[test]
fn big_1m_rules_run_the_same_from_parquet() {
    let mut g = Gen(20240602);
    let n = 3000;
    let mut cols = vec![(
        "unit".to_string(),
        Col::Int((0..n as i64).map(|i| Some(100_000 + i)).collect()),
    )];
    for k in 1..=50 {
        let mut col = numeric(&mut g, n, 2);
        // Numbers only: text cells such as `NA` are covered by the property test.
        if let Col::Str(_) = col {
            col = Col::Float((0..n).map(|_| Some(g.below(1000) as f64 / 7.0)).collect());
        }
        cols.push((format!("x{k:02}"), col));
    }
    cols.swap(0, 17);
    let table = Table { cols };
    let dir = tempdir("big");
    let (csv, pq) = (dir.join("big.csv"), dir.join("big.parquet"));
    table.csv(&csv);
    table.parquet(&pq, 700);
    let rules = shared("peers/big_1m.qi");
    let run = |data: &Path, threads: &str| {
        run_ok(&[
            "run",
            rules.to_str().unwrap(),
            "--format",
            "csv",
            "--data",
            data.to_str().unwrap(),
            "--threads",
            threads,
        ])
    };
    let a = run(&csv, "2");
    assert_eq!(a, run(&pq, "1"));
    assert_eq!(a, run(&pq, "3"));

    // Beyond the budget, refused before reading, with the footer's exact row count.
    let o = qindex(&[
        "run",
        rules.to_str().unwrap(),
        "--data",
        pq.to_str().unwrap(),
        "--memory-limit",
        "1M",
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    let columns = table.cols.len();
    assert!(
        err.contains(&format!("({n} rows × {columns} columns) would need")),
        "{err}"
    );
    assert!(err.contains("--engine datafusion"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Diagnostics of a load that must fail, the file's path replaced by `FILE`.
fn errors(path: &Path, opts: &LoadOptions) -> Vec<String> {
    match outcome(path, opts) {
        Err(e) => e,
        Ok(frame) => panic!("{} loaded: {frame:?}", path.display()),
    }
}

fn strs(v: &[&str]) -> Col {
    Col::Str(v.iter().map(|s| Some(s.to_string())).collect())
}

fn floats(v: &[f64]) -> Col {
    Col::Float(v.iter().map(|x| Some(*x)).collect())
}

#[test]
fn data_errors_are_those_of_the_csv() {
    let opts = |numeric: &[&str], period: bool| {
        let mut o = LoadOptions::new("unit");
        o.numeric_columns = numeric.iter().map(|s| s.to_string()).collect();
        o.period_column = period.then(|| "year".into());
        o
    };
    let cases: Vec<(&str, Table, LoadOptions)> = vec![
        (
            "unknown-column",
            Table {
                cols: vec![
                    ("unit".into(), strs(&["a", "b"])),
                    ("life_expectancy".into(), floats(&[1.0, 2.0])),
                ],
            },
            opts(&["life_expectancy", "lif_expectancy"], false),
        ),
        (
            "duplicate-row",
            Table {
                cols: vec![
                    ("unit".into(), strs(&["a", "b", "a"])),
                    (
                        "year".into(),
                        Col::Int(vec![Some(2020), Some(2020), Some(2020)]),
                    ),
                    ("x".into(), floats(&[1.0, 2.0, 3.0])),
                ],
            },
            opts(&["x"], true),
        ),
        (
            "missing-unit",
            Table {
                cols: vec![
                    (
                        "unit".into(),
                        Col::Str(vec![Some("a".into()), None, Some(" ".into())]),
                    ),
                    ("x".into(), floats(&[1.0, 2.0, 3.0])),
                ],
            },
            opts(&["x"], false),
        ),
        (
            "missing-period",
            Table {
                cols: vec![
                    ("unit".into(), strs(&["a", "b"])),
                    ("year".into(), Col::Int(vec![Some(2020), None])),
                    ("x".into(), floats(&[1.0, 2.0])),
                ],
            },
            opts(&["x"], true),
        ),
        (
            "no-rows",
            Table {
                cols: vec![("unit".into(), strs(&[])), ("x".into(), floats(&[]))],
            },
            opts(&["x"], false),
        ),
        (
            "not-a-number",
            Table {
                cols: vec![
                    ("unit".into(), strs(&["a", "b"])),
                    ("x".into(), strs(&["1.5", "abc"])),
                ],
            },
            opts(&["x"], false),
        ),
    ];
    for (code, table, o) in cases {
        let dir = tempdir(code);
        let (csv, pq) = (dir.join("t.csv"), dir.join("t.parquet"));
        table.csv(&csv);
        table.parquet(&pq, 2);
        let (a, b) = (errors(&csv, &o), errors(&pq, &o));
        assert!(
            a.iter().any(|l| l.contains(&format!("[{code}]"))),
            "{code}: {a:?}"
        );
        assert_eq!(a, b, "{code}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[test]
fn unknown_column_hints_the_close_names() {
    let dir = tempdir("hint");
    let pq = dir.join("hdi.parquet");
    hdi_table().parquet(&pq, 1000);
    let mut o = LoadOptions::new("iso3");
    o.numeric_columns = vec!["lif_expectancy".into()];
    let e = errors(&pq, &o);
    assert_eq!(e.len(), 1);
    assert!(e[0].contains("[unknown-column]"), "{e:?}");
    assert!(e[0].contains("did you mean `life_expectancy`?"), "{e:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_column_that_is_not_numbers_is_named() {
    let dir = tempdir("type");
    let pq = dir.join("t.parquet");
    Table {
        cols: vec![
            ("unit".into(), strs(&["a", "b"])),
            ("flag".into(), Col::Bool(vec![Some(true), None])),
            ("x".into(), floats(&[1.0, 2.0])),
        ],
    }
    .parquet(&pq, 10);
    let mut o = LoadOptions::new("unit");
    o.numeric_columns = vec!["x".into(), "flag".into()];
    let e = errors(&pq, &o);
    assert_eq!(
        e,
        [
            "Error[column-type] FILE:1:2 column `flag` of FILE holds Boolean values, not numbers \
             Some(\"an indicator reads a column of numbers (integers, floating point or \
             decimals): convert the column, or name another one in the rules\") []"
        ]
    );
    // As a unit id, a boolean is text.
    let mut o = LoadOptions::new("flag");
    o.numeric_columns = vec!["x".into()];
    let e = errors(&pq, &o);
    assert!(e[0].contains("[missing-unit] FILE:3:2"), "{e:?}");

    // Through the command line: the file and the column, in the rules' terms.
    let rules = dir.join("r.qi");
    std::fs::write(
        &rules,
        "index r by unit {\n    indicator flag\n    indicator x\n}\n",
    )
    .unwrap();
    let o = qindex(&[
        "run",
        rules.to_str().unwrap(),
        "--data",
        pq.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("column `flag`"), "{err}");
    assert!(err.contains("t.parquet"), "{err}");
    assert!(err.contains("Boolean"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_broken_file_is_an_error_naming_it() {
    let dir = tempdir("broken");
    let pq = dir.join("t.parquet");
    Table {
        cols: vec![
            ("unit".into(), strs(&["a", "b"])),
            ("x".into(), floats(&[1.0, 2.0])),
        ],
    }
    .parquet(&pq, 10);
    let bytes = std::fs::read(&pq).unwrap();
    let mut o = LoadOptions::new("unit");
    o.numeric_columns = vec!["x".into()];
    for cut in [0, 10, bytes.len() - 3] {
        std::fs::write(&pq, &bytes[..cut]).unwrap();
        let e = errors(&pq, &o);
        let code = if cut == 0 {
            "[empty-file]"
        } else {
            "[bad-parquet]"
        };
        assert!(e[0].contains(code) && e[0].contains("FILE"), "{cut}: {e:?}");
    }
    // Text in a `.parquet` file is never read as CSV.
    std::fs::write(&pq, "unit,x\na,1\n").unwrap();
    assert!(errors(&pq, &o)[0].contains("[bad-parquet]"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn numeric_missing_value_tokens_apply_to_numbers() {
    let table = Table {
        cols: vec![
            ("unit".into(), strs(&["a", "b", "c"])),
            ("x".into(), Col::Int(vec![Some(1), Some(-999), Some(3)])),
        ],
    };
    let mut o = LoadOptions::new("unit");
    o.numeric_columns = vec!["x".into()];
    o.na_tokens = vec!["-999".into()];
    let (csv, pq) = both(&table, &o, 10, "tokens");
    assert_eq!(csv, pq);
    assert!(csv.unwrap().0.contains("x=NaN"));
}
