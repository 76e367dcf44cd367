//! The layering of ARCHITECTURE.md, checked over the source: nothing in `methods/`, `eval/`,
//! `analysis/` or `sensitivity/` reaches `report/`, `cli/` or `lsp/`, so the engine never sits
//! above its renderers or its front ends.

use std::path::{Path, PathBuf};

/// The folders of `src/` that compute.
const LOWER: [&str; 4] = ["methods", "eval", "analysis", "sensitivity"];
/// The modules they must not use.
const UPPER: [&str; 3] = ["report", "cli", "lsp"];

/// The module path of a file under `src/`: `analysis/compare.rs` → `[analysis, compare]`,
/// `analysis/mod.rs` → `[analysis]`.
fn module_of(file: &str) -> Vec<String> {
    let file = file.trim_end_matches(".rs");
    let mut parts: Vec<String> = file.split('/').map(str::to_string).collect();
    if parts
        .last()
        .is_some_and(|p| p == "mod" || p == "lib" || p == "main")
    {
        parts.pop();
    }
    parts
}

/// The code of `text` without comments (line and block) and string literals, which may name
/// modules without using them.
fn code_only(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '/' if chars.peek() == Some(&'/') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut prev = ' ';
                for c in chars.by_ref() {
                    if prev == '*' && c == '/' {
                        break;
                    }
                    prev = c;
                }
                out.push(' ');
            }
            '"' => {
                let mut escaped = false;
                for c in chars.by_ref() {
                    if !escaped && c == '"' {
                        break;
                    }
                    escaped = !escaped && c == '\\';
                }
                out.push_str("\"\"");
            }
            _ => out.push(c),
        }
    }
    out
}

/// Every path a `use` tree names: `crate::{a, b::{c, d}}` → `crate::a`, `crate::b::c`,
/// `crate::b::d`.
fn expand_use(tree: &str) -> Vec<String> {
    // `x as y` names x.
    let mut tree = tree.replace(['\n', '\t', '\r'], " ");
    while let Some(i) = tree.find(" as ") {
        let rest = tree[i + 4..].trim_start();
        let name = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        let end = tree.len() - rest.len() + name;
        tree.replace_range(i..end, "");
    }
    let tree: String = tree.chars().filter(|c| !c.is_whitespace()).collect();
    let Some(open) = tree.find('{') else {
        return vec![tree];
    };
    let prefix = &tree[..open];
    let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
    let mut items = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    items.push(&inner[start..]);
    items
        .into_iter()
        .filter(|s| !s.is_empty())
        .flat_map(|item| expand_use(&format!("{prefix}{item}")))
        .collect()
}

/// `path` as seen from the module `module`, from the crate root: `super::report` in
/// `analysis/mod.rs` → `[report]`. `None` for paths outside the crate (`std::`, `serde::`).
fn resolve(module: &[String], path: &str) -> Option<Vec<String>> {
    let mut segments = path.split("::").filter(|s| !s.is_empty()).peekable();
    let mut at: Vec<String> = match segments.peek().copied() {
        Some("crate") | Some("qindex") => {
            segments.next();
            Vec::new()
        }
        Some("super") | Some("self") => module.to_vec(),
        _ => return None,
    };
    for s in segments {
        match s {
            "super" => {
                at.pop();
            }
            "self" => {}
            s => at.push(s.to_string()),
        }
    }
    Some(at)
}

/// The uses in `text`, the source of `file` (a path under `src/`), that break the layering,
/// as `line: path`.
fn violations(file: &str, text: &str) -> Vec<String> {
    let module = module_of(file);
    if !module.first().is_some_and(|m| LOWER.contains(&m.as_str())) {
        return Vec::new();
    }
    let code = code_only(text);
    let mut paths: Vec<(usize, String)> = Vec::new();
    // `use` trees, which may group several modules under one prefix.
    let mut rest = code.as_str();
    let mut offset = 0;
    while let Some(i) = find_word(rest, "use") {
        let start = i + 3;
        let end = rest[start..].find(';').map_or(rest.len(), |e| start + e);
        let line = code[..offset + i].matches('\n').count() + 1;
        for p in expand_use(&rest[start..end]) {
            paths.push((line, p));
        }
        offset += end;
        rest = &rest[end..];
    }
    // Paths written in the code (`crate::report::pad(...)`).
    for (n, line) in code.lines().enumerate() {
        for root in ["crate::", "super::", "self::", "qindex::"] {
            let mut from = 0;
            while let Some(i) = line[from..].find(root) {
                let start = from + i;
                let boundary = line[..start]
                    .chars()
                    .next_back()
                    .is_none_or(|c| !(c.is_alphanumeric() || c == '_' || c == ':'));
                let end = line[start..]
                    .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                    .map_or(line.len(), |e| start + e);
                if boundary {
                    paths.push((n + 1, line[start..end].to_string()));
                }
                from = end.max(start + 1);
            }
        }
    }
    let mut out: Vec<String> = paths
        .into_iter()
        .filter(|(_, p)| {
            resolve(&module, p)
                .and_then(|r| r.first().cloned())
                .is_some_and(|m| UPPER.contains(&m.as_str()))
        })
        .map(|(line, p)| format!("{file}:{line}: {p}"))
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The position of `word` in `text` as a whole word followed by a space.
fn find_word(text: &str, word: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = text[from..].find(word) {
        let at = from + i;
        let before = text[..at]
            .chars()
            .next_back()
            .is_none_or(|c| !(c.is_alphanumeric() || c == '_'));
        let after = text[at + word.len()..]
            .chars()
            .next()
            .is_some_and(char::is_whitespace);
        if before && after {
            return Some(at);
        }
        from = at + word.len();
    }
    None
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src/ is readable") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn computing_modules_do_not_use_renderers_or_front_ends() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut checked = 0;
    let mut found = Vec::new();
    for path in &files {
        let rel = path
            .strip_prefix(&src)
            .expect("under src/")
            .to_string_lossy()
            .replace('\\', "/");
        if LOWER.iter().any(|l| rel.starts_with(&format!("{l}/"))) {
            checked += 1;
        }
        let text = std::fs::read_to_string(path).expect("a source file reads");
        found.extend(violations(&rel, &text));
    }
    assert!(
        checked > 20,
        "only {checked} files checked: is src/ laid out as expected?"
    );
    assert!(
        found.is_empty(),
        "the engine uses the renderers or the front ends (ARCHITECTURE.md, \"Layering\"):\n{}",
        found.join("\n")
    );
}

#[test]
fn the_checker_finds_every_way_of_writing_a_use() {
    let bad = [
        ("analysis/a.rs", "use crate::report::pad;\n"),
        ("analysis/a.rs", "use crate::{eval, report::csv_field};\n"),
        (
            "analysis/a.rs",
            "use crate::{\n    eval::PeriodResult,\n    cli::{args, emit},\n};\n",
        ),
        ("analysis/a.rs", "use super::super::report;\n"),
        ("analysis/mod.rs", "pub use super::lsp::Server;\n"),
        (
            "sensitivity/sobol/tests.rs",
            "use super::super::super::cli::run;\n",
        ),
        (
            "methods/a.rs",
            "fn f() { let w = crate::report::pad(\"x\", 3); }\n",
        ),
        (
            "eval/a.rs",
            "fn f() -> String { qindex::report::explain_text(p) }\n",
        ),
        ("eval/a.rs", "use crate::report as r;\n"),
    ];
    for (file, text) in bad {
        assert!(
            !violations(file, text).is_empty(),
            "missed in {file}: {text}"
        );
    }
    let good = [
        // The renderers and the front ends may use anything.
        (
            "report/a.rs",
            "use crate::report::pad;\nuse crate::analysis::compare;\n",
        ),
        ("main.rs", "use qindex::report;\n"),
        // Comments and strings name modules without using them.
        (
            "analysis/a.rs",
            "// see crate::report::pad\n/// [`crate::cli`]\n",
        ),
        (
            "analysis/a.rs",
            "/* crate::report */ const S: &str = \"crate::report::x\";\n",
        ),
        // Other modules, and names that only start like one.
        (
            "analysis/a.rs",
            "use crate::reporting::x;\nuse super::report_card;\nuse std::cli;\n",
        ),
        (
            "sensitivity/a.rs",
            "use super::kernel::{Kernel, Plans};\nuse crate::eval::{self, flags};\n",
        ),
        (
            "analysis/a.rs",
            "fn f() { super::orientation::orientation(p, r) }\n",
        ),
    ];
    for (file, text) in good {
        assert_eq!(
            violations(file, text),
            Vec::<String>::new(),
            "in {file}: {text}"
        );
    }
}
