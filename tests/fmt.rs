//! The formatter: snapshots of messy files, and its three guarantees — idempotent, meaning
//! unchanged (same plans and diagnostics, spans aside), every comment kept in order — over the
//! corpus, the shipped rules and random programs; plus the `qindex fmt` command line.

mod common;

use proptest::prelude::*;
use qindex::check;
use qindex::source::FileId;
use qindex::syntax::fmt::format_source;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

// ---------------------------------------------------------------------- the guarantees

/// Source text quoted in a plan or a message, without the layout: comments and whitespace
/// outside strings and backticks dropped, and empty parameter lists (`rank()` prints `rank`).
fn squash(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars().peekable();
    let mut quote: Option<char> = None;
    while let Some(c) = chars.next() {
        match quote {
            Some(q) => {
                out.push(c);
                if c == '\\' && q == '"' {
                    if let Some(n) = chars.next() {
                        out.push(n);
                    }
                } else if c == q {
                    quote = None;
                }
            }
            None => match c {
                '"' | '`' => {
                    quote = Some(c);
                    out.push(c);
                }
                '#' => {
                    while chars.peek().is_some_and(|n| *n != '\n') {
                        chars.next();
                    }
                }
                c if c.is_whitespace() => {}
                c => out.push(c),
            },
        }
    }
    out.replace("()", "")
}

/// A plan as JSON without spans, and without `text`: the source as written, quoted for
/// messages (layout, by definition; an uncertainty line even has its spaces collapsed, so a
/// comment inside it cannot be told from code). The compiled instructions carry the meaning.
fn strip(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.remove("span");
            m.remove("text");
            m.values_mut().for_each(strip);
        }
        Value::Array(a) => a.iter_mut().for_each(strip),
        _ => {}
    }
}

/// Everything the checker makes of a text: every scheme's plan and every diagnostic, spans aside.
fn meaning(path: &Path, text: &str) -> Value {
    let (program, mut diags) = check::load_text(path, text.to_string()).expect("loads");
    let checked = check::check(&program);
    diags.extend(checked.diagnostics.iter().cloned());
    let mut plans: Vec<Value> = checked
        .plans
        .iter()
        .map(|p| serde_json::to_value(p).expect("plan serialises"))
        .collect();
    plans.iter_mut().for_each(strip);
    let diags: Vec<Value> = diags
        .iter()
        .map(|d| Value::String(format!("{} {}", d.code, squash(&d.message))))
        .collect();
    serde_json::json!({ "plans": plans, "diagnostics": diags })
}

fn comments(text: &str) -> Vec<String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let file = qindex::syntax::parse(FileId(0), text)
        .unwrap_or_else(|d| panic!("does not parse: {}\n{text}", d.message));
    file.comments
        .iter()
        .map(|c| c.text.trim_end().to_string())
        .collect()
}

/// Formats `text` (from `path`, for `use`) and checks the three guarantees; returns the output.
fn assert_guarantees(path: &Path, text: &str) -> String {
    let once = format_source(text).unwrap_or_else(|d| panic!("{}: {}", path.display(), d.message));
    let twice = format_source(&once).unwrap_or_else(|d| {
        panic!(
            "{}: the formatted text does not parse: {}\n{once}",
            path.display(),
            d.message
        )
    });
    assert_eq!(
        once,
        twice,
        "{}: formatting is not idempotent",
        path.display()
    );
    assert_eq!(
        comments(text),
        comments(&once),
        "{}: comments lost or reordered:\n{once}",
        path.display()
    );
    assert_eq!(
        meaning(path, text),
        meaning(path, &once),
        "{}: the meaning changed:\n{once}",
        path.display()
    );
    assert!(once.is_empty() || once.ends_with('\n') && !once.ends_with("\n\n"));
    assert!(!once.contains("\n\n\n") && !once.starts_with('\n'));
    assert!(once
        .lines()
        .all(|l| l == l.trim_end() && !l.starts_with('\t')));
    once
}

fn qi_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).expect("a directory") {
        let p = e.expect("an entry").path();
        if p.is_dir() {
            qi_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "qi") {
            out.push(p);
        }
    }
}

#[test]
fn corpus_and_shipped_rules_keep_the_guarantees() {
    let root = common::root();
    let mut files = Vec::new();
    for dir in ["tests/corpus/ok", "tests/corpus/err", "rules", "tests/fmt"] {
        qi_files(&root.join(dir), &mut files);
    }
    files.sort();
    let mut formatted = 0;
    for path in files {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue; // not UTF-8: never formatted
        };
        if format_source(&text).is_err() {
            assert!(path.starts_with(root.join("tests/corpus/err")));
            continue;
        }
        assert_guarantees(&common::relative(&path), &text);
        formatted += 1;
    }
    assert!(formatted > 80, "only {formatted} files formatted");
}

#[test]
fn shipped_rules_are_formatted() {
    for f in ["rules/quality_city.qi", "rules/market_led.qi"] {
        let text = std::fs::read_to_string(common::root().join(f)).unwrap();
        assert_eq!(format_source(&text).unwrap(), text, "{f} is not formatted");
    }
}

#[test]
fn messy_files() {
    insta::glob!("fmt/*.qi", |path| {
        let text = std::fs::read_to_string(path).unwrap();
        let out = assert_guarantees(&common::relative(path), &text);
        insta::assert_snapshot!(out);
    });
}

// ---------------------------------------------------------------------- random programs

/// A small deterministic generator driven by a proptest seed.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        common::xorshift(&mut self.0)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
    fn pick<'s>(&mut self, xs: &[&'s str]) -> &'s str {
        xs[self.below(xs.len())]
    }
}

/// Tokens of a program; the layout between them is chosen later.
#[derive(Default)]
struct Tokens(Vec<String>);

impl Tokens {
    /// Space-separated tokens; `~` stands for a space inside a token (a string, a column).
    fn t(&mut self, s: &str) {
        self.0.extend(
            s.split(' ')
                .filter(|x| !x.is_empty())
                .map(|x| x.replace('~', " ")),
        );
    }
    /// One token that may contain spaces (a string literal).
    fn lit(&mut self, s: &str) {
        self.0.push(s.to_string());
    }
}

const COLUMNS: &[&str] = &[
    "pop",
    "gdp",
    "area",
    "weight",
    "unit",
    "rank",
    "`质量~x`",
    "`a#b`",
];
const LABELS: &[&str] = &[
    "\"产品质量\"",
    "\"a \\\"quoted\\\" label\"",
    "\"back\\\\slash # not a comment\"",
    "\"\"",
    "\"Market quality (市场质量)\"",
];
const NUMBERS: &[&str] = &["2", "1e4", "10_000", "0.5", "60%", "3"];

fn num_expr(g: &mut Gen, lets: usize, depth: usize) -> String {
    let atom = |g: &mut Gen| -> String {
        match g.below(if lets > 0 { 3 } else { 2 }) {
            0 => g.pick(COLUMNS).to_string(),
            1 => g.pick(NUMBERS).to_string(),
            _ => format!("l{}", g.below(lets) + 1),
        }
    };
    if depth == 0 {
        return atom(g);
    }
    match g.below(9) {
        0 | 1 => atom(g),
        2 => format!(
            "{} {} {}",
            num_expr(g, lets, depth - 1),
            g.pick(&["+", "-", "*", "/", "^"]),
            num_expr(g, lets, depth - 1)
        ),
        3 => format!("( {} )", num_expr(g, lets, depth - 1)),
        4 => format!("- {}", num_expr(g, lets, depth - 1)),
        5 => format!(
            "{} ( {} )",
            g.pick(&["log", "sqrt", "abs", "share"]),
            num_expr(g, lets, depth - 1)
        ),
        6 => format!(
            "{} ( {} , {} )",
            g.pick(&["max", "min", "coalesce"]),
            num_expr(g, lets, depth - 1),
            num_expr(g, lets, depth - 1)
        ),
        7 => format!(
            "if {} then {} else {}",
            bool_expr(g, lets, depth - 1),
            num_expr(g, lets, depth - 1),
            num_expr(g, lets, depth - 1)
        ),
        _ => format!(
            "{} {} {}",
            num_expr(g, lets, depth - 1),
            g.pick(&["*", "+"]),
            atom(g)
        ),
    }
}

fn bool_expr(g: &mut Gen, lets: usize, depth: usize) -> String {
    let cmp = |g: &mut Gen| {
        format!(
            "{} {} {}",
            num_expr(g, lets, depth.saturating_sub(1)),
            g.pick(&["==", "!=", "<", "<=", ">", ">="]),
            num_expr(g, lets, depth.saturating_sub(1))
        )
    };
    match g.below(5) {
        0 if depth > 0 => format!(
            "{} {} {}",
            cmp(g),
            g.pick(&["and", "or"]),
            bool_expr(g, lets, depth - 1)
        ),
        1 if depth > 0 => format!("not ( {} )", bool_expr(g, lets, depth - 1)),
        _ => cmp(g),
    }
}

const INDICATOR_SETTINGS: &[&str] = &[
    "direction negative",
    "direction optimum 4",
    "transform log1p",
    "unit \"%\"",
    "winsorise 5% .. 95%",
    "missing carry , median",
    "tag market",
    "description \"a~#~in~a~string\"",
];
const NORMALISATIONS: &[&str] = &[
    "goalposts 0 .. 100",
    "normalise bands { >= 10 : 100 , >= 1 : 60 else : 20 }",
    "normalise zscore ( 100 , 10 )",
    "normalise zscore 100 , 10",
    "normalise rank",
    "normalise target 90",
];

/// A random `survey` block `sv` with dimensions `d1`.. and items `q1`..: every setting, scales
/// at each level, reverse and weighted items, don't-know codes alone or as a list.
fn survey(g: &mut Gen, t: &mut Tokens) -> Vec<String> {
    t.t("survey sv");
    if g.chance(50) {
        t.lit(g.pick(LABELS));
    }
    t.t("{ data \"r.csv\" by code over year");
    for s in [
        "weight weight",
        "strata `区~县`",
        "cluster community",
        "scale 1 .. 5",
        "min_respondents 30",
    ] {
        if g.chance(50) {
            t.t(s);
        }
    }
    match g.below(3) {
        0 => t.t("dont_know 9"),
        1 => t.t("dont_know [ 8 , 9 , ]"),
        _ => {}
    }
    let mut names = Vec::new();
    let mut item = 0;
    for d in 1..=1 + g.below(3) {
        t.t(&format!("dimension d{d}"));
        if g.chance(50) {
            t.lit(g.pick(LABELS));
        }
        t.t("{");
        if g.chance(30) {
            t.t("scale 0 .. 10");
        }
        names.push(format!("sv.d{d}"));
        for _ in 0..1 + g.below(3) {
            item += 1;
            t.t(&format!("item q{item}"));
            if g.chance(40) {
                t.lit(g.pick(LABELS));
            }
            if g.chance(30) {
                t.t("reverse");
            }
            if g.chance(30) {
                t.t("weight 2");
            }
            if g.chance(20) {
                t.t("{ scale -2 .. 2 }");
            }
            names.push(format!("sv.q{item}"));
        }
        t.t("}");
    }
    t.t("}");
    names
}

/// A random valid program: unique ids, names that resolve.
fn program(g: &mut Gen) -> Tokens {
    let mut t = Tokens::default();
    let estimates = if g.chance(40) {
        survey(g, &mut t)
    } else {
        Vec::new()
    };
    let mut lets = 0;
    if g.chance(30) {
        lets += 1;
        t.t(&format!("let l{lets} = {}", num_expr(g, 0, 2)));
    }
    t.t("index ix");
    if g.chance(70) {
        t.lit(g.pick(LABELS));
    }
    t.t("by code");
    if g.chance(50) {
        t.t("label name");
    }
    t.t("over year {");
    for s in [
        "scale 0 .. 100",
        "coverage 60%",
        "missing skip",
        "aggregate arithmetic",
    ] {
        if g.chance(30) {
            t.t(s);
        }
    }
    for _ in 0..g.below(3) {
        lets += 1;
        let e = num_expr(g, lets - 1, 2);
        t.t(&format!("let l{lets} = {e}"));
    }
    let groups = 1 + g.below(3);
    let group_weights = g.chance(50);
    let mut indicators = Vec::new();
    let mut g1_weights = false;
    for gi in 1..=groups {
        t.t(&format!("group g{gi}"));
        if g.chance(60) {
            t.lit(g.pick(LABELS));
        }
        if group_weights {
            t.t(&format!("weight {}", g.pick(&["10", "2.5", "30"])));
        }
        t.t("{");
        let n = 2 + g.below(2);
        let ids: Vec<String> = (1..=n).map(|k| format!("i{gi}_{k}")).collect();
        // g1 never weighs by AHP: the scheme below adds to it.
        match g.below(if gi == 1 { 2 } else { 5 }) {
            0 => t.t("aggregate geometric"),
            1 => t.t("weights equal"),
            2 => {
                t.t("weights ahp {");
                for a in 0..n {
                    for b in a + 1..n {
                        t.t(&format!("{} = {}", ids[a], ids[b]));
                    }
                }
                t.t("}");
            }
            3 => t.t("aggregate power ( 2 )"),
            _ => {}
        }
        let weights = g.chance(30);
        if gi == 1 {
            g1_weights = weights;
        }
        for id in &ids {
            t.t(&format!("indicator {id}"));
            if g.chance(50) {
                t.lit(g.pick(LABELS));
            }
            if !estimates.is_empty() && g.chance(30) {
                let name = &estimates[g.below(estimates.len())];
                t.t(&format!("= {name} * {}", num_expr(g, lets, 1)));
            } else if g.chance(80) {
                t.t(&format!("= {}", num_expr(g, lets, 3)));
            }
            if weights {
                t.t(&format!("weight {}", g.pick(&["1", "2", "0.5"])));
            }
            if g.chance(60) {
                t.t("{");
                if g.chance(50) {
                    t.t(g.pick(NORMALISATIONS));
                }
                let mut used = Vec::new();
                for _ in 0..g.below(3) {
                    let s = g.pick(INDICATOR_SETTINGS);
                    let key = s.split(' ').next().unwrap();
                    if !used.contains(&key) {
                        used.push(key);
                        t.t(s);
                    }
                }
                t.t("}");
            }
            indicators.push(id.clone());
        }
        t.t("}");
    }
    if g.chance(50) {
        t.t(&format!(
            "adjust {{ penalty {} * 2 max 10 veto {} }}",
            g.pick(COLUMNS),
            bool_expr(g, lets, 1)
        ));
    }
    t.t("}");
    let scheme = g.chance(60);
    if scheme {
        t.t("scheme s1");
        if g.chance(50) {
            t.lit(g.pick(LABELS));
        }
        t.t("{");
        t.t(&format!("weight g1 = {}", g.pick(&["3", "40"])));
        t.t(&format!("exclude {}", indicators[0]));
        t.t("normalise g1 = zscore ( 100 , 10 )");
        if g.chance(50) {
            let weight = if g1_weights { "weight 1" } else { "" };
            t.t(&format!(
                "add to g1 {{ indicator extra = {} {weight} {{ direction negative }} }}",
                num_expr(g, lets, 1)
            ));
        }
        t.t("}");
    }
    if g.chance(60) {
        t.t("uncertainty { samples 64 seed 7 vary weights 10%");
        t.t("choose normalise [ minmax , zscore ( 100 , 10 ) , rank ]");
        if scheme {
            t.t("choose scheme [ default , s1 ]");
        }
        t.t("drop indicator in g1 }");
    }
    if g.chance(30) {
        lets += 1;
        t.t(&format!("let l{lets} = {}", num_expr(g, lets - 1, 1)));
    }
    t
}

fn word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '%' || c == '`' || c == '"'
}

/// Joins tokens with random layout: spaces, tabs, newlines, blank lines and comments.
fn layout(g: &mut Gen, t: &Tokens) -> String {
    let mut out = String::new();
    let mut comment = 0;
    if g.chance(30) {
        out.push_str("# a file comment\n\n");
    }
    for (k, tok) in t.0.iter().enumerate() {
        if k > 0 {
            let prev = out.chars().last().unwrap_or(' ');
            let next = tok.chars().next().unwrap_or(' ');
            let sep = match g.below(24) {
                0 if !(word_char(prev) && word_char(next)) => "".to_string(),
                1 | 2 => "\n".to_string(),
                3 => "\n\n".to_string(),
                4 => "\n\n\n".to_string(),
                5 => "\t".to_string(),
                6 => "   ".to_string(),
                7 => "\r\n".to_string(),
                8 | 9 => {
                    comment += 1;
                    let text = ["trailing", "中文注释 `x` \"y\"", "", "spaces   "][comment % 4];
                    format!("  # c{comment} {text}\n")
                }
                10 => {
                    comment += 1;
                    format!("\n\n#c{comment}\n")
                }
                _ => " ".to_string(),
            };
            out.push_str(&sep);
        }
        out.push_str(tok);
    }
    if g.chance(30) {
        out.push_str("\n# the end\n");
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_programs_keep_the_guarantees(seed in any::<u64>()) {
        let mut g = Gen(seed | 1);
        let tokens = program(&mut g);
        let text = layout(&mut g, &tokens);
        assert_guarantees(Path::new("random.qi"), &text);
    }
}

// ---------------------------------------------------------------------- command line

fn qindex(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_qindex"))
        .args(args)
        .current_dir(common::root())
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run qindex");
    {
        use std::io::Write;
        let mut input = child.stdin.take().expect("stdin");
        input
            .write_all(stdin.unwrap_or("").as_bytes())
            .expect("write stdin");
    }
    child.wait_with_output().expect("qindex output")
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn check_passes_on_the_shipped_rules() {
    let o = qindex(
        &[
            "fmt",
            "--check",
            "rules/quality_city.qi",
            "rules/market_led.qi",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(0), "{}{}", out(&o), err(&o));
    assert_eq!(out(&o), "");
}

#[test]
fn check_lists_unformatted_files_and_exits_1() {
    let o = qindex(
        &[
            "fmt",
            "--check",
            "rules/quality_city.qi",
            "tests/fmt/odd_spacing.qi",
            "rules/examples/language_reference.qi",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(1), "{}", err(&o));
    assert_eq!(
        out(&o),
        "tests/fmt/odd_spacing.qi\nrules/examples/language_reference.qi\n"
    );
}

#[test]
fn syntax_error_exits_1_and_missing_file_2() {
    let o = qindex(&["fmt", "tests/corpus/err/let_missing_equals.qi"], None);
    assert_eq!(o.status.code(), Some(1));
    assert!(err(&o).contains("error"), "{}", err(&o));
    assert_eq!(out(&o), "");
    let o = qindex(&["fmt", "--check", "tests/fmt/no_such_file.qi"], None);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn stdin_is_formatted_to_stdout() {
    let o = qindex(&["fmt", "-"], Some("index i by c{indicator x=a/b}"));
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert_eq!(out(&o), "index i by c {\n    indicator x = a / b\n}\n");
    let o = qindex(&["fmt", "--check", "-"], Some("index i by c {}\n"));
    assert_eq!((o.status.code(), out(&o)), (Some(0), String::new()));
    let o = qindex(&["fmt", "-"], Some("index i by c {"));
    assert_eq!(o.status.code(), Some(1));
    assert!(err(&o).contains("<stdin>"), "{}", err(&o));
}

#[test]
fn write_rewrites_in_place() {
    let dir = std::env::temp_dir().join(format!("qindex-fmt-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let messy = dir.join("messy.qi");
    let original =
        std::fs::read_to_string(common::root().join("tests/fmt/odd_spacing.qi")).unwrap();
    std::fs::write(&messy, &original).unwrap();
    let path = messy.to_str().unwrap();
    let o = qindex(&["fmt", "--write", path], None);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert_eq!(out(&o), "");
    let written = std::fs::read_to_string(&messy).unwrap();
    assert_eq!(written, format_source(&original).unwrap());
    let o = qindex(&["fmt", "--check", path], None);
    assert_eq!(o.status.code(), Some(0));
    // Only the file itself is left in the directory: the temporary file was renamed.
    let names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["messy.qi"]);
    std::fs::remove_dir_all(&dir).unwrap();
}
