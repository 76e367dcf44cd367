//! The fuzzing harness's smoke run on stable Rust: seeded, deterministic mutations of the rules
//! corpus (byte flips, inserted brackets, keywords, numbers and Unicode, deletions, splices of
//! two files, duplicated lines, nesting a few hundred levels deep) through the `check` and
//! `fmt` targets of `fuzz/src/lib.rs`, and of the data fixtures through the `csv` target, with
//! a few hundred cases of the `expr`, `uncertainty` and `xlsx` targets.
//!
//! Each case runs under `catch_unwind`; a panic fails the test with the input's bytes, and the
//! input is written under the system's temporary folder. `QINDEX_FUZZ_SEED` and
//! `QINDEX_FUZZ_SCALE` (a multiplier of the case counts) run other or more cases; a long
//! campaign is `cargo +nightly fuzz run TARGET` (README, "Fuzzing").

mod common;

#[path = "../fuzz/src/lib.rs"]
mod targets;

use std::cell::{Cell, RefCell};
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};

/// xorshift64*: small, seeded, the same on every machine.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    fn next(&mut self) -> u64 {
        common::xorshift(&mut self.0)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
    /// A token of a constant list, which outlives the borrow of the generator.
    fn token(&mut self, xs: &[&'static str]) -> &'static str {
        xs[self.below(xs.len())]
    }
}

fn seed() -> u64 {
    std::env::var("QINDEX_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20)
}

/// `n` cases, times `QINDEX_FUZZ_SCALE`.
fn cases(n: usize) -> usize {
    let scale: f64 = std::env::var("QINDEX_FUZZ_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1.0);
    (n as f64 * scale).round() as usize
}

// ---------------------------------------------------------------------- panics, caught

thread_local! {
    /// While set, the panic hook keeps the message here instead of printing it.
    static QUIET: Cell<bool> = const { Cell::new(false) };
    static MESSAGE: RefCell<String> = const { RefCell::new(String::new()) };
}

fn install_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if QUIET.with(Cell::get) {
                MESSAGE.with(|m| *m.borrow_mut() = info.to_string());
            } else {
                default(info);
            }
        }));
    });
}

/// The bytes of an input, escaped, cut after `limit` bytes.
fn escaped(input: &[u8], limit: usize) -> String {
    let shown = &input[..input.len().min(limit)];
    let mut s: String = shown.escape_ascii().to_string();
    if input.len() > limit {
        s.push_str(&format!("… ({} more bytes)", input.len() - limit));
    }
    s
}

/// The panics of one run, one per place in the code (the first input that reached it).
#[derive(Default)]
struct Failures {
    seen: Vec<String>,
    reports: Vec<String>,
    cases: usize,
}

impl Failures {
    /// Runs `f` on `input`: its result, or `None` for a panic, which is recorded with the input
    /// written to a file.
    fn run<T>(
        &mut self,
        target: &str,
        name: &Path,
        input: &[u8],
        f: impl FnOnce(&[u8]) -> T,
    ) -> Option<T> {
        install_hook();
        self.cases += 1;
        // A crash that aborts the process (an allocation failure, a stack overflow) cannot be
        // caught: its input is left in this file.
        let current = std::env::temp_dir()
            .join("qindex-fuzz-smoke")
            .join(format!("current-{target}-{}", std::process::id()));
        if self.cases == 1 {
            std::fs::create_dir_all(current.parent().unwrap()).unwrap();
        }
        std::fs::write(&current, input).unwrap();
        QUIET.with(|q| q.set(true));
        let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| f(input)));
        QUIET.with(|q| q.set(false));
        if let Ok(value) = outcome {
            let _ = std::fs::remove_file(&current);
            return Some(value);
        }
        let message = MESSAGE.with(|m| m.borrow().clone());
        // The place (`panicked at src/...:L:C:`) tells one bug from another.
        let place = message.lines().next().unwrap_or("").to_string();
        if self.seen.contains(&place) || self.seen.len() >= 10 {
            return None;
        }
        self.seen.push(place);
        let dir = std::env::temp_dir().join("qindex-fuzz-smoke");
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join(format!(
            "{target}-{}-{}",
            std::process::id(),
            self.seen.len()
        ));
        std::fs::write(&file, input).unwrap();
        let message: String = message.chars().take(3000).collect();
        self.reports.push(format!(
            "target `{target}`, mutated from {}: {message}\ninput written to {}\ninput bytes: b\"{}\"",
            name.display(),
            file.display(),
            escaped(input, 4000),
        ));
        None
    }

    fn assert_none(self, what: &str) {
        assert!(
            self.reports.is_empty(),
            "{what}: {} distinct panic(s) in {} cases\n\n{}",
            self.reports.len(),
            self.cases,
            self.reports.join("\n\n")
        );
    }
}

// ---------------------------------------------------------------------- the corpus

fn files(dir: &Path, ext: &[&str], out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files(&p, ext, out);
        } else if p.extension().is_some_and(|x| ext.iter().any(|e| x == *e)) {
            out.push(p);
        }
    }
}

/// Files of the project (relative paths, for `use`) and their bytes, in a fixed order.
fn corpus(dirs: &[&str], ext: &[&str]) -> Vec<(PathBuf, Vec<u8>)> {
    let root = common::root();
    let mut paths = Vec::new();
    for d in dirs {
        files(&root.join(d), ext, &mut paths);
    }
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (common::relative(&p), bytes)
        })
        .collect()
}

fn rules_corpus() -> Vec<(PathBuf, Vec<u8>)> {
    corpus(
        &[
            "tests/corpus/ok",
            "tests/corpus/err",
            "tests/corpus/data_err",
            "tests/fmt",
            "rules",
        ],
        &["qi"],
    )
}

// ---------------------------------------------------------------------- mutations

const BRACKETS: &[&str] = &[
    "{", "}", "(", ")", "[", "]", "..", "{}", "()", "[]", "\"", "`",
];
const KEYWORDS: &[&str] = &[
    "index ",
    "group ",
    "indicator ",
    "weight ",
    "weights ",
    "ahp ",
    "entropy ",
    "scheme ",
    "from ",
    "uncertainty ",
    "vary ",
    "choose ",
    "drop ",
    "let ",
    "if ",
    "then ",
    "else ",
    "and ",
    "or ",
    "not ",
    "normalise ",
    "aggregate ",
    "missing ",
    "direction ",
    "goalposts ",
    "bands ",
    "survey ",
    "dimension ",
    "item ",
    "use ",
    "data ",
    "by ",
    "over ",
    "label ",
    "tag ",
    "coverage ",
    "scale ",
    "samples ",
    "seed ",
    "add to ",
    "remove ",
    "at ",
    "in ",
    "veto ",
    "bonus ",
    "penalty ",
    "units where ",
    "reference ",
    "transform ",
    "winsorise ",
    "optimum ",
    "target ",
    "zscore ",
    "minmax ",
    "geometric ",
    "median by ",
    "lag(",
    "growth(",
    "share(",
    "log(",
    "clamp(",
    "coalesce(",
    "rank ",
    "= ",
    ": ",
    "== ",
    ">= ",
    ", ",
];
const NUMBERS: &[&str] = &[
    "0",
    "-1",
    "1e308",
    "1e999",
    "-0",
    "0.0000001",
    "99999999999999999999999",
    "60%",
    "1_000",
    ".5",
    "5.",
    "NaN",
    "inf",
    "1e-400",
    "4294967296",
    "18446744073709551616",
    "-9223372036854775808",
    "0%",
    "100%",
    "1..0",
    "0..0",
    "-1e308",
    "2^1024",
    "1/0",
];
const UNICODE: &[&str] = &[
    "中文",
    "，",
    "（",
    "）",
    "：",
    "😀",
    "e\u{301}",
    "\u{feff}",
    "\u{202e}",
    "\u{0}",
    "\r",
    "\r\n",
    "\t",
    "\u{2028}",
    "ｉｎｄｅｘ",
    "\u{fffd}",
    "𝟙",
    "ß",
    "İ",
    "\u{200b}",
];
const PUNCTUATION: &[&str] = &[
    "#", "\n", ",", ":", "=", ">", "<", "+", "-", "*", "/", "^", "\\", "%", ";", "!", "\"\\",
    "\n}\n", "#\n", "\"\n\"",
];

/// The next character boundary at or after `at`, for UTF-8 text (any byte otherwise).
fn boundary(bytes: &[u8], mut at: usize) -> usize {
    while at < bytes.len() && (bytes[at] & 0xC0) == 0x80 {
        at += 1;
    }
    at.min(bytes.len())
}

fn position(rng: &mut Rng, bytes: &[u8]) -> usize {
    boundary(bytes, rng.below(bytes.len() + 1))
}

/// Line ranges (each with its `\n`).
fn lines(bytes: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, b) in bytes.iter().enumerate() {
        if *b == b'\n' {
            out.push((start, i + 1));
            start = i + 1;
        }
    }
    if start < bytes.len() {
        out.push((start, bytes.len()));
    }
    out
}

/// A word of some corpus file, so that inserted names may resolve.
fn word(rng: &mut Rng, corpus: &[(PathBuf, Vec<u8>)]) -> String {
    let text = String::from_utf8_lossy(&rng.pick(corpus).1).into_owned();
    let words: Vec<&str> = text
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .collect();
    if words.is_empty() {
        return "x".into();
    }
    format!("{} ", rng.pick(&words))
}

/// Nesting a few hundred levels deep around a point or a span of the input.
fn nest(rng: &mut Rng, bytes: &mut Vec<u8>) {
    const WRAPS: &[(&str, &str)] = &[
        ("(", ")"),
        ("abs(", ")"),
        ("-", ""),
        ("not ", ""),
        ("group g {\n", "}\n"),
        ("[", "]"),
        ("{", "}"),
        ("if x > 1 then ", " else 0"),
        ("max(1, ", ")"),
        ("\"", "\""),
    ];
    let (open, close) = *rng.pick(WRAPS);
    let depth = 100 + rng.below(301);
    let a = position(rng, bytes);
    let b = boundary(bytes, a + rng.below(bytes.len() - a + 1).min(80));
    let mut out = bytes[..a].to_vec();
    out.extend(open.repeat(depth).as_bytes());
    out.extend_from_slice(&bytes[a..b]);
    out.extend(close.repeat(depth).as_bytes());
    out.extend_from_slice(&bytes[b..]);
    *bytes = out;
}

/// One mutation of `bytes`, in place.
fn mutate_once(rng: &mut Rng, bytes: &mut Vec<u8>, corpus: &[(PathBuf, Vec<u8>)]) {
    let insert = |bytes: &mut Vec<u8>, rng: &mut Rng, s: &str| {
        let at = position(rng, bytes);
        bytes.splice(at..at, s.bytes());
    };
    match rng.below(16) {
        0 if !bytes.is_empty() => {
            let at = rng.below(bytes.len());
            bytes[at] ^= 1 << rng.below(8);
        }
        1 if !bytes.is_empty() => {
            let at = rng.below(bytes.len());
            bytes[at] = rng.next() as u8;
        }
        k @ 2..=7 => {
            // Keywords twice as often as the other kinds of token.
            let kinds = [BRACKETS, KEYWORDS, KEYWORDS, NUMBERS, UNICODE, PUNCTUATION];
            let t = rng.token(kinds[k - 2]);
            insert(bytes, rng, t)
        }
        8 => {
            let w = word(rng, corpus);
            insert(bytes, rng, &w);
        }
        9 if !bytes.is_empty() => {
            let a = position(rng, bytes);
            let b = boundary(bytes, a + 1 + rng.below(32));
            bytes.drain(a..b);
        }
        10 => {
            // A splice: the start of this file and the end of another.
            let other = &rng.pick(corpus).1;
            let a = position(rng, bytes);
            let b = boundary(other, rng.below(other.len() + 1));
            bytes.truncate(a);
            bytes.extend_from_slice(&other[b..]);
        }
        11 | 12 => {
            let ls = lines(bytes);
            if !ls.is_empty() {
                let (s, e) = *rng.pick(&ls);
                let line = bytes[s..e].to_vec();
                let at = rng.pick(&ls).0;
                bytes.splice(at..at, line);
            }
        }
        13 => {
            let ls = lines(bytes);
            if !ls.is_empty() {
                let (s, e) = *rng.pick(&ls);
                bytes.drain(s..e);
            }
        }
        14 => nest(rng, bytes),
        _ => {
            // A number replaced by an extreme one.
            let starts: Vec<usize> = (0..bytes.len())
                .filter(|&i| {
                    bytes[i].is_ascii_digit() && (i == 0 || !bytes[i - 1].is_ascii_alphanumeric())
                })
                .collect();
            if !starts.is_empty() {
                let a = *rng.pick(&starts);
                let mut b = a;
                while b < bytes.len() && (bytes[b].is_ascii_digit() || bytes[b] == b'.') {
                    b += 1;
                }
                let n = rng.token(NUMBERS);
                bytes.splice(a..b, n.bytes());
            }
        }
    }
}

/// One to three mutations of a corpus file (mostly one, so that many cases still parse).
fn mutant(rng: &mut Rng, corpus: &[(PathBuf, Vec<u8>)]) -> (PathBuf, Vec<u8>) {
    let (path, base) = rng.pick(corpus);
    let mut bytes = base.clone();
    let n = match rng.below(10) {
        0..=5 => 1,
        6..=8 => 2,
        _ => 3,
    };
    for _ in 0..n {
        mutate_once(rng, &mut bytes, corpus);
    }
    (path.clone(), bytes)
}

// ---------------------------------------------------------------------- the runs

/// `count` mutants of the rules corpus from stream `stream`, each through `check` and `fmt`
/// (idempotent, comments kept, meaning kept; every case that parses).
fn rules_mutants(stream: u64, count: usize) {
    let corpus = rules_corpus();
    let mut rng = Rng::new(seed() ^ stream);
    let mut failures = Failures::default();
    let mut formatted = 0;
    for _ in 0..count {
        let (path, input) = mutant(&mut rng, &corpus);
        failures.run("check", &path, &input, |b| targets::check_named(&path, b));
        failures.run("fmt", &path, &input, |b| {
            targets::fmt_named(&path, b, true);
        });
        if std::str::from_utf8(&input).is_ok_and(|t| qindex::syntax::fmt::format_source(t).is_ok())
        {
            formatted += 1;
        }
    }
    eprintln!("{count} rules mutants, {formatted} of them parse and were formatted");
    assert!(
        formatted * 5 >= count,
        "only {formatted} of {count} mutants parse: the mutations are too coarse to test the formatter"
    );
    failures.assert_none("rules mutants");
}

/// 2 × 12,500 mutants of the rules corpus: the two halves run in parallel.
#[test]
fn rules_mutants_check_and_format_a() {
    rules_mutants(1, cases(12_500));
}

#[test]
fn rules_mutants_check_and_format_b() {
    rules_mutants(2, cases(12_500));
}

const CSV_TOKENS: &[&str] = &[
    ",",
    ";",
    "\t",
    "\"",
    "\"\"",
    "\n",
    "\r\n",
    "\r",
    "NA",
    "-",
    "无",
    "#N/A",
    "95%",
    "%",
    "\"1,234.5\"",
    "1e400",
    "-0",
    "NaN",
    "inf",
    "\u{feff}",
    "\u{fffd}",
    " ",
    "001",
    "2021",
    "unit",
    "year",
    "score",
    "name",
    "region",
    ",,,,",
    "\u{ff}",
];

/// Mutants of the data files through the CSV loader and an evaluation of a fixed plan.
#[test]
fn csv_mutants_load_and_evaluate() {
    let corpus = corpus(
        &["tests/fixtures/data", "tests/corpus/data_err"],
        &["csv", "tsv"],
    );
    let mut rng = Rng::new(seed() ^ 3);
    let mut failures = Failures::default();
    let mut evaluated = 0;
    let panel = corpus
        .iter()
        .position(|(p, _)| p.ends_with("panel.csv"))
        .unwrap();
    for _ in 0..cases(4_000) {
        // Half the cases start from the file whose columns the fixed rules read.
        let (path, base) = if rng.below(2) == 0 {
            &corpus[panel]
        } else {
            rng.pick(&corpus)
        };
        let mut bytes = base.clone();
        for _ in 0..1 + rng.below(3) {
            match rng.below(8) {
                0 if !bytes.is_empty() => {
                    let at = rng.below(bytes.len());
                    bytes[at] ^= 1 << rng.below(8);
                }
                1..=3 => {
                    let t = *rng.pick(CSV_TOKENS);
                    let at = rng.below(bytes.len() + 1);
                    bytes.splice(at..at, t.bytes());
                }
                4 if !bytes.is_empty() => {
                    let a = rng.below(bytes.len());
                    let b = (a + 1 + rng.below(16)).min(bytes.len());
                    bytes.drain(a..b);
                }
                5 => {
                    let ls = lines(&bytes);
                    if !ls.is_empty() {
                        let (s, e) = *rng.pick(&ls);
                        let line = bytes[s..e].to_vec();
                        let at = rng.pick(&ls).1;
                        bytes.splice(at..at, line);
                    }
                }
                6 => {
                    let other = &rng.pick(&corpus).1;
                    let a = rng.below(bytes.len() + 1);
                    let b = rng.below(other.len() + 1);
                    bytes.truncate(a);
                    bytes.extend_from_slice(&other[b..]);
                }
                _ => {
                    // Panel data: the header of panel.csv over this file's rows.
                    let header = b"unit,year,name,region,score,share,pop\n";
                    bytes.splice(0..0, header.iter().copied());
                }
            }
        }
        // The loader's options: mostly detected, strict or lenient; sometimes any.
        let choice = match rng.below(4) {
            0 => rng.next() as u8,
            k => 16 * (k as u8 & 1),
        };
        let mut input = vec![choice];
        input.extend_from_slice(&bytes);
        evaluated += usize::from(failures.run("csv", path, &input, targets::csv) == Some(true));
    }
    eprintln!(
        "{} CSV mutants, {evaluated} of them loaded and evaluated",
        failures.cases
    );
    let total = failures.cases;
    failures.assert_none("CSV mutants");
    assert!(
        evaluated * 10 >= total,
        "only {evaluated} of {total} CSV mutants loaded"
    );
}

/// A formula over the fixed frame's columns (`x`, `y`, `z`, `w`), `depth` levels deep at most.
fn formula(rng: &mut Rng, depth: usize) -> String {
    const ATOMS: &[&str] = &[
        "x", "y", "z", "w", "1", "0", "-1", "1e308", "1e-308", "60%", "0.5", "`x`",
    ];
    const UNARY: &[&str] = &[
        "log", "log10", "exp", "sqrt", "abs", "round", "total", "average", "share", "rank_of",
        "lag", "growth", "-", "",
    ];
    const BINARY: &[&str] = &["+", "-", "*", "/", "^"];
    const CALLS: &[&str] = &["min", "max", "coalesce", "round", "lag", "growth"];
    const COMPARE: &[&str] = &["==", "!=", "<", "<=", ">", ">="];
    if depth == 0 || rng.below(4) == 0 {
        return rng.token(ATOMS).to_string();
    }
    let sub = |rng: &mut Rng| formula(rng, depth - 1);
    match rng.below(6) {
        0 | 1 => {
            let (a, b) = (sub(rng), sub(rng));
            format!("{a} {} {b}", rng.token(BINARY))
        }
        2 => {
            let f = rng.token(UNARY);
            let a = sub(rng);
            format!("{f}({a})")
        }
        3 => {
            let f = rng.token(CALLS);
            let (a, b) = (sub(rng), sub(rng));
            format!("{f}({a}, {b})")
        }
        4 => {
            let (a, b, c, d) = (sub(rng), sub(rng), sub(rng), sub(rng));
            let (cmp, join) = (rng.token(COMPARE), rng.token(&["and", "or"]));
            format!(
                "if {a} {cmp} {b} {join} not {c} > 0 then {d} else {}",
                sub(rng)
            )
        }
        _ => {
            let (a, b, c) = (sub(rng), sub(rng), sub(rng));
            format!("clamp({a}, {b}, {c})")
        }
    }
}

/// Generated formulas and uncertainty blocks, some with a mutation, evaluated over the fixed
/// frame and run for a few replications.
#[test]
fn expr_and_uncertainty_mutants() {
    let rules = rules_corpus();
    let mut rng = Rng::new(seed() ^ 4);
    let mut failures = Failures::default();
    let (mut formulas, mut blocks) = (0, 0);
    for _ in 0..cases(600) {
        let mut bytes = formula(&mut rng, 4).into_bytes();
        if rng.below(3) == 0 {
            mutate_once(&mut rng, &mut bytes, &rules);
        }
        let ran = failures.run("expr", Path::new("(generated)"), &bytes, targets::expr);
        formulas += usize::from(ran == Some(true));
    }
    const LINES: &[&str] = &[
        "samples 10",
        "seed 7",
        "vary weights 20%",
        "vary weights in a 10%",
        "vary weight b 50%",
        "vary weight x 200%",
        "choose normalise [minmax, zscore(100, 10), percentile, target(90), rank]",
        "choose aggregate [arithmetic, geometric, power(2), grey(0.6)]",
        "choose aggregate [arithmetic, median] at a",
        "choose aggregate [min, max] at b",
        "choose missing [skip, mean, median, worst]",
        "choose scheme [default, heavy, plain]",
        "choose scheme [plain, heavy]",
        "choose normalise [rank, bands { >= 1 : 100 else : 0 }] at y",
        "drop indicator",
        "drop indicator in a",
        "drop indicator in b",
        "choose weights [equal, entropy] at b",
        "vary survey s 10%",
    ];
    for _ in 0..cases(300) {
        let mut block = String::new();
        for _ in 0..1 + rng.below(5) {
            block.push_str(rng.token(LINES));
            block.push('\n');
        }
        let mut bytes = block.into_bytes();
        if rng.below(3) == 0 {
            mutate_once(&mut rng, &mut bytes, &rules);
        }
        let ran = failures.run(
            "uncertainty",
            Path::new("(generated)"),
            &bytes,
            targets::uncertainty,
        );
        blocks += usize::from(ran == Some(true));
    }
    eprintln!("{formulas} formulas evaluated, {blocks} uncertainty blocks run");
    failures.assert_none("expr and uncertainty mutants");
    assert!(
        formulas >= cases(600) / 10 && blocks >= cases(300) / 10,
        "too few cases get through the checker: {formulas} formulas, {blocks} blocks"
    );
}

/// Workbooks with a few bytes changed or cut short: `.xlsx`, `.xls` and `.ods`. Damaged `.xls`
/// files made calamine 0.30.1 panic (caught: `bad-workbook`) or allocate what their header
/// says (checked first now, `data::compound`); the reproducers are in
/// `tests/fuzz_regressions.rs`.
#[test]
fn workbook_mutants() {
    let mut rng = Rng::new(seed() ^ 5);
    let mut failures = Failures::default();
    let books = corpus(&["tests/fixtures/data"], &["xlsx", "xls", "ods"]);
    let mut evaluated = 0;
    for _ in 0..cases(300) {
        let (path, base) = rng.pick(&books);
        let mut bytes = base.clone();
        for _ in 0..1 + rng.below(3) {
            let at = rng.below(bytes.len());
            match rng.below(8) {
                0 => bytes.truncate(at),
                1 => {
                    let n = 1 + rng.below(64);
                    bytes.drain(at..(at + n).min(bytes.len()));
                }
                _ if !bytes.is_empty() => {
                    let at = at.min(bytes.len() - 1);
                    bytes[at] ^= 1 << rng.below(8);
                }
                _ => {}
            }
        }
        evaluated += usize::from(failures.run("xlsx", path, &bytes, targets::xlsx) == Some(true));
    }
    eprintln!(
        "{} workbook mutants, {evaluated} of them loaded",
        failures.cases
    );
    failures.assert_none("workbook mutants");
}

/// Every seed of the corpus passes every target unchanged (the fuzzer's starting points).
#[test]
fn the_corpus_itself_passes_every_target() {
    let mut failures = Failures::default();
    for (path, bytes) in rules_corpus() {
        failures.run("check", &path, &bytes, |b| targets::check_named(&path, b));
        failures.run("fmt", &path, &bytes, |b| targets::fmt_named(&path, b, true));
        // As the fuzz targets call them: the file in no folder (its `use`s not found).
        failures.run("check", &path, &bytes, targets::check);
        failures.run("fmt", &path, &bytes, targets::fmt);
    }
    for (path, bytes) in corpus(
        &["tests/fixtures/data", "tests/corpus/data_err"],
        &["csv", "tsv"],
    ) {
        let mut input = vec![0u8];
        input.extend_from_slice(&bytes);
        failures.run("csv", &path, &input, targets::csv);
    }
    for (path, bytes) in corpus(&["tests/fixtures/data"], &["xlsx", "xls", "ods"]) {
        failures.run("xlsx", &path, &bytes, targets::xlsx);
    }
    failures.assert_none("the corpus");
}
