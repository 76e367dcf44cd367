//! The VS Code extension in `editors/vscode/`: its manifest points at files that exist and
//! contributes the language, the grammar and the `qindex.path` setting; the TextMate grammar's
//! regular expressions compile (in Node's engine, close to VS Code's for these patterns) and
//! its keywords are exactly the grammar's (`grammar/qindex.pest`'s `k_*` rules), so the two
//! cannot drift; the client passes `node --check`; the language configuration's comment is
//! the grammar's.
//!
//! Without Node the test fails when `CI=true` (`.ci/run` installs Debian's `nodejs`), and is
//! skipped with a note otherwise.

mod common;

use serde_json::Value;
use std::collections::BTreeSet;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

fn json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn node() -> Option<()> {
    let ok = Command::new("node")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    ok.then_some(())
}

/// Every `match`, `begin` and `end` pattern of a TextMate grammar, with where it is.
fn patterns(v: &Value, at: &str, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(map) => {
            for (k, x) in map {
                let here = format!("{at}/{k}");
                match (k.as_str(), x) {
                    ("match" | "begin" | "end", Value::String(p)) => out.push((here, p.clone())),
                    _ => patterns(x, &here, out),
                }
            }
        }
        Value::Array(items) => {
            for (i, x) in items.iter().enumerate() {
                patterns(x, &format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

/// The words of a `\b(?:a|b|c)\b` pattern.
fn alternatives(pattern: &str) -> BTreeSet<String> {
    let inner = pattern
        .strip_prefix("\\b(?:")
        .and_then(|p| p.strip_suffix(")\\b"))
        .unwrap_or_else(|| panic!("not a word list: {pattern}"));
    inner.split('|').map(str::to_string).collect()
}

#[test]
fn the_vscode_extension_is_consistent_with_the_grammar() {
    let root = common::root();
    let dir = root.join("editors/vscode");
    let manifest = json(&dir.join("package.json"));

    // The manifest: the language, its files, the grammar, activation, the setting.
    assert_eq!(manifest["main"], "./extension.js");
    assert!(dir.join("extension.js").is_file());
    let events: Vec<&str> = manifest["activationEvents"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(events, ["onLanguage:qindex"]);
    let language = &manifest["contributes"]["languages"][0];
    assert_eq!(language["id"], "qindex");
    assert_eq!(language["extensions"], serde_json::json!([".qi"]));
    let config = language["configuration"].as_str().unwrap();
    assert!(dir.join(config).is_file(), "{config}");
    let grammar = &manifest["contributes"]["grammars"][0];
    assert_eq!(grammar["language"], "qindex");
    let grammar_path = dir.join(grammar["path"].as_str().unwrap());
    assert!(grammar_path.is_file(), "{}", grammar_path.display());
    let setting = &manifest["contributes"]["configuration"]["properties"]["qindex.path"];
    assert_eq!(setting["default"], "qindex");
    assert!(manifest["dependencies"]["vscode-languageclient"].is_string());
    let lock = json(&dir.join("package-lock.json"));
    assert!(
        lock["packages"]["node_modules/vscode-languageclient"]["version"].is_string(),
        "package-lock.json locks the client library"
    );
    let ignored = std::fs::read_to_string(dir.join(".gitignore")).unwrap();
    assert!(ignored.lines().any(|l| l.trim() == "node_modules/"));

    // The comment syntax is the grammar's.
    let pest = std::fs::read_to_string(root.join("grammar/qindex.pest")).unwrap();
    let comment = pest
        .lines()
        .find_map(|l| l.strip_prefix("COMMENT"))
        .expect("the grammar's COMMENT rule");
    let language_config = json(&dir.join(config));
    let line_comment = language_config["comments"]["lineComment"].as_str().unwrap();
    assert!(
        comment.contains(&format!("\"{line_comment}\"")),
        "{line_comment} vs {comment}"
    );

    // The keywords: the grammar's `k_NAME = @{ "WORD" ...` rules.
    let keywords: BTreeSet<String> = pest
        .lines()
        .filter(|l| l.starts_with("k_"))
        .filter_map(|l| l.split('"').nth(1).map(str::to_string))
        .collect();
    assert!(keywords.len() > 40, "{keywords:?}");
    let tm = json(&grammar_path);
    assert_eq!(tm["scopeName"], grammar["scopeName"]);
    let kw = &tm["repository"]["keyword"]["patterns"];
    let control = kw
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "keyword.control.qindex")
        .expect("a keyword.control pattern");
    assert_eq!(alternatives(control["match"].as_str().unwrap()), keywords);
    let words = kw
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "keyword.operator.word.qindex")
        .expect("a keyword.operator.word pattern");
    let operator_words: BTreeSet<String> = ["not", "or", "and"]
        .into_iter()
        .filter(|w| pest.contains(&format!("@{{ \"{w}\" ~ !XID_CONTINUE }}")))
        .map(str::to_string)
        .collect();
    assert_eq!(
        alternatives(words["match"].as_str().unwrap()),
        operator_words
    );

    let Some(()) = node() else {
        let msg = "Node.js not found (install Debian's `nodejs`)";
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("{msg}: the extension cannot be checked");
        }
        eprintln!("skipped: {msg}");
        return;
    };
    // Every pattern compiles, and the main ones colour samples as meant.
    let mut all = Vec::new();
    patterns(&tm, "", &mut all);
    assert!(all.len() >= 8, "{all:?}");
    let samples = serde_json::json!({
        "patterns": all,
        "samples": [
            ["comment", "# 注释 comment", "# 注释 comment"],
            ["number", "weight 12.5%", "12.5%"],
            ["column", "x = `质量 投诉`", "`质量 投诉`"],
            ["keyword", "indicator a", "indicator"],
        ],
    });
    let script = r#"
        const input = JSON.parse(require('fs').readFileSync(0, 'utf8'));
        const bad = [];
        for (const [at, p] of input.patterns) {
            try { new RegExp(p, 'u'); } catch (e) { bad.push(`${at}: ${e.message}`); }
        }
        const tm = JSON.parse(require('fs').readFileSync(process.argv[1], 'utf8'));
        for (const [rule, text, want] of input.samples) {
            const r = tm.repository[rule];
            const p = r.match || r.patterns[0].match;
            const m = new RegExp(p, 'u').exec(text);
            if (!m || m[0] !== want) bad.push(`${rule} on ${JSON.stringify(text)}: ${m && m[0]}`);
        }
        if (bad.length) { console.error(bad.join('\n')); process.exit(1); }
    "#;
    let mut child = Command::new("node")
        .args(["-e", script])
        .arg(&grammar_path)
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(samples.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // The client parses (it cannot be loaded: the `vscode` module exists only inside VS Code).
    let out = Command::new("node")
        .arg("--check")
        .arg(dir.join("extension.js"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
