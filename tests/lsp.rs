//! `qindex lsp` at the protocol level: the real binary spawned, spoken to over stdio with
//! `Content-Length` framing, as an editor does. Each answer is checked against an independent
//! path: diagnostics against `qindex check --format json` (lines, and columns converted to
//! UTF-16 here), hover weights against `qindex explain --format json`, formatting against
//! `qindex fmt`; and the server survives malformed and unknown requests and broken edits
//! without ever publishing the diagnostics of an older version.

mod common;

use common::{qindex_ok, root};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

struct Client {
    child: Child,
    input: ChildStdin,
    output: BufReader<ChildStdout>,
    next: i64,
    /// Notifications received while waiting for a response, in order.
    notes: Vec<Value>,
    /// The server's answer to `initialize`.
    init: Value,
}

impl Client {
    fn start() -> Client {
        Client::start_with(json!(null))
    }

    /// Starts a server given `initializationOptions`.
    fn start_with(options: Value) -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_qindex"))
            .arg("lsp")
            .current_dir(root())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("qindex lsp starts");
        let input = child.stdin.take().unwrap();
        let output = BufReader::new(child.stdout.take().unwrap());
        let mut c = Client {
            child,
            input,
            output,
            next: 1,
            notes: Vec::new(),
            init: Value::Null,
        };
        let init = c.request(
            "initialize",
            json!({"capabilities": {}, "initializationOptions": options}),
        );
        assert!(init["result"]["capabilities"]["hoverProvider"]
            .as_bool()
            .unwrap());
        c.init = init["result"].clone();
        c.notify("initialized", json!({}));
        c
    }

    fn send(&mut self, v: &Value) {
        let body = v.to_string();
        write!(self.input, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        self.input.flush().unwrap();
    }

    fn send_raw(&mut self, body: &str) {
        write!(self.input, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        self.input.flush().unwrap();
    }

    fn recv(&mut self) -> Value {
        let mut length = None;
        loop {
            let mut line = String::new();
            let n = self.output.read_line(&mut line).unwrap();
            assert!(n > 0, "the server closed its output");
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some(v) = line.strip_prefix("Content-Length: ") {
                length = Some(v.parse::<usize>().unwrap());
            }
        }
        let mut body = vec![0; length.expect("a Content-Length header")];
        self.output.read_exact(&mut body).unwrap();
        serde_json::from_slice(&body).unwrap()
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next;
        self.next += 1;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        loop {
            let m = self.recv();
            if m.get("id") == Some(&json!(id)) {
                return m;
            }
            self.notes.push(m);
        }
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// The next diagnostics published for `uri` (waiting for them when none is queued).
    fn diagnostics(&mut self, uri: &str) -> Value {
        loop {
            if let Some(k) = self.notes.iter().position(|n| {
                n["method"] == "textDocument/publishDiagnostics" && n["params"]["uri"] == uri
            }) {
                return self.notes.remove(k)["params"].clone();
            }
            let m = self.recv();
            self.notes.push(m);
        }
    }

    fn open(&mut self, uri: &str, text: &str, version: i64) {
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": "qindex", "version": version, "text": text}}),
        );
    }

    fn change(&mut self, uri: &str, text: &str, version: i64) {
        self.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": text}]}),
        );
    }

    fn stop(mut self) {
        let r = self.request("shutdown", Value::Null);
        assert!(r.get("error").is_none(), "{r}");
        self.notify("exit", Value::Null);
        let status = self.child.wait().unwrap();
        assert!(status.success(), "{status}");
    }
}

fn uri(path: &Path) -> String {
    let abs = std::path::absolute(path).unwrap();
    format!("file://{}", abs.display())
}

/// The UTF-16 length of the first `chars` characters of `line`.
fn utf16(line: &str, chars: usize) -> u64 {
    line.chars().take(chars).map(|c| c.len_utf16() as u64).sum()
}

/// Every file of the error corpus: the server publishes the diagnostics `qindex check` gives,
/// at the same lines and (converted to UTF-16) columns.
#[test]
fn diagnostics_equal_check_on_the_error_corpus() {
    let mut client = Client::start();
    let dir = root().join("tests/corpus/err");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "qi"))
        .collect();
    files.sort();
    let mut compared = 0;
    for path in &files {
        // An editor sends text, never bytes: the corpus' file that is not UTF-8 stays out.
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        let u = uri(path);
        client.open(&u, &text, 1);
        let published = client.diagnostics(&u);
        assert_eq!(published["version"], 1);
        let rel = path.strip_prefix(root()).unwrap().display().to_string();
        let check: Value =
            serde_json::from_slice(&common::qindex(&["check", &rel, "--format", "json"]).stdout)
                .unwrap();
        let want: Vec<&Value> = check["files"][0]["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["file"].as_str() == Some(rel.as_str()))
            .collect();
        let got = published["diagnostics"].as_array().unwrap();
        for w in &want {
            // A diagnostic about the whole file (no line) is published at its start.
            let (Some(line), Some(column)) = (w["line"].as_u64(), w["column"].as_u64()) else {
                assert!(got.iter().any(|g| g["code"] == w["code"]), "{rel}: {w}");
                compared += 1;
                continue;
            };
            let (line, column) = (line - 1, column as usize - 1);
            let text_line = text.lines().nth(line as usize).unwrap_or("");
            let character = utf16(text_line, column);
            let found = got.iter().any(|g| {
                g["code"] == w["code"]
                    && g["range"]["start"]["line"] == line
                    && g["range"]["start"]["character"] == character
            });
            assert!(found, "{rel}: {w} not among {got:?}");
            compared += 1;
        }
        client.notify("textDocument/didClose", json!({"textDocument": {"uri": u}}));
    }
    assert!(compared >= files.len(), "{compared} diagnostics compared");
    client.stop();
}

/// Chinese labels, full-width punctuation and a character outside the BMP before the error on
/// its line: the range counts UTF-16 units.
#[test]
fn ranges_count_utf16_units() {
    let mut client = Client::start();
    let u = "file:///tmp/qindex-lsp-utf16.qi";
    let text = "index q \"质量，𝄞\" by city {\n    indicator a \"指标（甲）😀\" = nosuch(1)\n}\n";
    client.open(u, text, 1);
    let d = client.diagnostics(u);
    let first = &d["diagnostics"][0];
    let line = text.lines().nth(1).unwrap();
    let byte = line.find("nosuch").unwrap();
    let want = line[..byte].encode_utf16().count() as u64;
    assert_eq!(first["range"]["start"]["line"], 1, "{d}");
    assert_eq!(first["range"]["start"]["character"], want, "{d}");
    client.stop();
}

/// Hovering over each indicator and group id of the shipped system shows its overall weight,
/// equal to `qindex explain --format json`'s; derived weights say so.
#[test]
fn hover_shows_the_overall_weights_of_explain() {
    let path = root().join("rules/quality_city.qi");
    let text = std::fs::read_to_string(&path).unwrap();
    let explain: Value = serde_json::from_slice(&qindex_ok(&[
        "explain",
        "rules/quality_city.qi",
        "--format",
        "json",
    ]))
    .unwrap();
    let nodes = explain["plan"]["nodes"]
        .as_array()
        .or_else(|| explain["nodes"].as_array())
        .expect("explain lists the nodes");
    let mut client = Client::start();
    let u = uri(&path);
    client.open(&u, &text, 1);
    let mut checked = 0;
    for n in nodes.iter().skip(1) {
        let id = n["id"].as_str().unwrap();
        // The declaration `indicator ID` or `group ID`.
        let Some((line, col)) = text.lines().enumerate().find_map(|(k, l)| {
            let t = l.trim_start();
            let rest = t
                .strip_prefix("indicator ")
                .or_else(|| t.strip_prefix("group "))?;
            (rest.split([' ', '{', '=']).next() == Some(id)).then(|| (k, l.find(id).unwrap()))
        }) else {
            continue;
        };
        let character = text.lines().nth(line).unwrap()[..col]
            .encode_utf16()
            .count();
        let r = client.request(
            "textDocument/hover",
            json!({"textDocument": {"uri": u}, "position": {"line": line, "character": character + 1}}),
        );
        let value = r["result"]["contents"]["value"]
            .as_str()
            .unwrap_or_default();
        assert!(value.contains(&format!("**`{id}`**")), "{id}: {r}");
        match n["overall"].as_f64() {
            Some(w) => {
                let shown = value
                    .lines()
                    .find_map(|l| l.strip_prefix("- overall weight in the index: "))
                    .unwrap_or_else(|| panic!("{id}: {value}"));
                let shown: f64 = shown.parse().unwrap();
                assert!((shown - w).abs() < 1e-6, "{id}: {shown} vs explain {w}");
            }
            None => assert!(value.contains("derived from data"), "{id}: {value}"),
        }
        checked += 1;
    }
    assert!(checked >= 50, "{checked} nodes hovered");
    client.stop();
}

/// Go to definition from a scheme in `market_led.qi` lands on the node's declaration in the
/// `use`d `quality_city.qi`.
#[test]
fn definition_crosses_used_files() {
    let path = root().join("rules/market_led.qi");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut client = Client::start();
    let u = uri(&path);
    client.open(&u, &text, 1);
    // The `at quality_city` of the uncertainty block names the index of quality_city.qi.
    let (line, l) = text
        .lines()
        .enumerate()
        .find(|(_, l)| l.contains("at quality_city"))
        .unwrap();
    let character = l[..l.find("quality_city").unwrap()].encode_utf16().count() + 2;
    let r = client.request(
        "textDocument/definition",
        json!({"textDocument": {"uri": u}, "position": {"line": line, "character": character}}),
    );
    let target = &r["result"];
    assert_eq!(
        target["uri"],
        uri(&root().join("rules/quality_city.qi")),
        "{r}"
    );
    let qc = std::fs::read_to_string(root().join("rules/quality_city.qi")).unwrap();
    let at = target["range"]["start"]["line"].as_u64().unwrap() as usize;
    assert!(qc.lines().nth(at).unwrap().contains("quality_city"), "{r}");

    // Where else a name or a file is defined: (the line's text, the name in it) → the
    // declaration's (file, text on its line).
    let qc_uri = uri(&root().join("rules/quality_city.qi"));
    for (needle, name, file, declared) in [
        (
            "use \"quality_city.qi\"",
            "quality_city.qi",
            qc_uri.clone(),
            None,
        ),
        (
            "choose scheme [",
            "market_strong",
            u.clone(),
            Some("scheme market_strong"),
        ),
        (
            "vary survey citizens",
            "citizens",
            qc_uri.clone(),
            Some("survey citizens"),
        ),
    ] {
        let (line, l) = text
            .lines()
            .enumerate()
            .find(|(_, l)| l.contains(needle))
            .unwrap();
        let character = l[..l.find(name).unwrap()].encode_utf16().count() + 1;
        let r = client.request(
            "textDocument/definition",
            json!({"textDocument": {"uri": u}, "position": {"line": line, "character": character}}),
        );
        assert_eq!(r["result"]["uri"], file, "{needle}: {r}");
        let at = r["result"]["range"]["start"]["line"].as_u64().unwrap() as usize;
        let target_text = if file == qc_uri { &qc } else { &text };
        match declared {
            Some(d) => assert!(
                target_text.lines().nth(at).unwrap().contains(d),
                "{needle}: {r}"
            ),
            None => assert_eq!(at, 0, "{needle}: {r}"),
        }
    }
    // A `let` of the index, read by a formula.
    let qc_path = root().join("rules/quality_city.qi");
    client.open(&qc_uri, &qc, 1);
    let (line, l) = qc
        .lines()
        .enumerate()
        .find(|(_, l)| !l.trim_start().starts_with("let") && l.contains("/ per_10k"))
        .unwrap();
    let character = l[..l.find("per_10k").unwrap()].encode_utf16().count() + 1;
    let r = client.request(
        "textDocument/definition",
        json!({"textDocument": {"uri": uri(&qc_path)}, "position": {"line": line, "character": character}}),
    );
    let at = r["result"]["range"]["start"]["line"].as_u64().unwrap() as usize;
    assert!(qc.lines().nth(at).unwrap().contains("let per_10k ="), "{r}");
    client.stop();
}

/// Formatting gives exactly `qindex fmt`'s text; the outline is the hierarchy.
#[test]
fn formatting_equals_fmt_and_the_outline_is_the_hierarchy() {
    let messy = "index t   \"T\" by city{\n  group g{indicator a\n indicator   b # kept\n}\n}\n";
    let dir = std::env::temp_dir().join(format!("qindex-lsp-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("messy.qi");
    std::fs::write(&path, messy).unwrap();
    let want = String::from_utf8(qindex_ok(&["fmt", &path.display().to_string()])).unwrap();
    let mut client = Client::start();
    let u = uri(&path);
    client.open(&u, messy, 1);
    let r = client.request(
        "textDocument/formatting",
        json!({"textDocument": {"uri": u}, "options": {"tabSize": 4, "insertSpaces": true}}),
    );
    let edits = r["result"].as_array().unwrap();
    assert_eq!(edits.len(), 1, "{r}");
    assert_eq!(
        edits[0]["range"]["start"],
        json!({"line": 0, "character": 0})
    );
    assert_eq!(edits[0]["newText"], want);
    let s = client.request(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": u}}),
    );
    let index = &s["result"][0];
    assert_eq!(index["name"], "t");
    assert_eq!(index["children"][0]["name"], "g");
    let leaves: Vec<&str> = index["children"][0]["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(leaves, ["a", "b"]);
    client.stop();
    std::fs::remove_dir_all(&dir).ok();
}

/// Malformed and unknown requests get errors, broken edits get diagnostics of their own
/// version, and the server goes on; the last diagnostics published are the latest text's.
#[test]
fn the_server_survives_bad_requests_and_broken_edits() {
    let mut client = Client::start();
    let u = "file:///tmp/qindex-lsp-survive.qi";
    let good = "index t by city {\n    indicator a\n}\n";
    client.open(u, good, 1);
    assert_eq!(client.diagnostics(u)["diagnostics"], json!([]));

    let r = client.request("textDocument/hover", json!({"nonsense": true}));
    assert!(
        r["error"]["message"]
            .as_str()
            .unwrap()
            .contains("malformed"),
        "{r}"
    );
    let r = client.request("qindex/unknown", json!({}));
    assert_eq!(r["error"]["code"], -32601, "{r}");
    // The requests added later: malformed, or about a file that is not open.
    for method in [
        "textDocument/rename",
        "textDocument/prepareRename",
        "textDocument/references",
        "textDocument/semanticTokens/full",
    ] {
        let r = client.request(method, json!({"textDocument": 3}));
        assert!(r["error"]["message"].is_string(), "{method}: {r}");
        let r = client.request(
            method,
            json!({"textDocument": {"uri": "file:///nowhere.qi"}, "position": {"line": 0, "character": 0},
                   "newName": "x", "context": {"includeDeclaration": true}}),
        );
        assert!(
            r["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("is not open")),
            "{method}: {r}"
        );
    }
    client
        .send_raw("{\"jsonrpc\": \"2.0\", \"method\": \"textDocument/didChange\", \"params\": 5}");

    client.change(u, "index t by city {\n    indicator a = (\n", 2);
    let d = client.diagnostics(u);
    assert_eq!(d["version"], 2);
    assert!(!d["diagnostics"].as_array().unwrap().is_empty(), "{d}");
    // Two quick edits: whatever is published, the last is version 4's, and clean.
    client.change(u, "index t by city {\n    indicator a = nosuch(\n}\n", 3);
    client.change(u, good, 4);
    let r = client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": u}, "position": {"line": 1, "character": 15}}),
    );
    assert!(
        r["result"]["contents"]["value"]
            .as_str()
            .unwrap()
            .contains("`a`"),
        "{r}"
    );
    let mut last = client.diagnostics(u);
    while let Some(k) = client.notes.iter().position(|n| n["params"]["uri"] == u) {
        last = client.notes.remove(k)["params"].clone();
    }
    assert_eq!(last["version"], 4, "{last}");
    assert_eq!(last["diagnostics"], json!([]));
    client.stop();
}

/// Completion offers the data's columns in a formula (from the header of the file the rules
/// name), the methods after `normalise`, node ids after `at`, and the block's words at the
/// start of a line.
#[test]
fn completion_offers_columns_methods_nodes_and_words() {
    let path = root().join("rules/quality_city.qi");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut client = Client::start();
    let u = uri(&path);
    // A new indicator at the end of the first group: `indicator extra = ` and the cursor.
    let (line, _) = text
        .lines()
        .enumerate()
        .find(|(_, l)| l.trim_start().starts_with("indicator "))
        .unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    lines.insert(line, "    indicator extra = ".into());
    let edited = lines.join("\n");
    // Opened as it is (it compiles), then edited into text that does not parse, as when typing:
    // completion still knows the nodes of the last version that compiled.
    client.open(&u, &text, 1);
    client.change(&u, &edited, 2);
    let labels = |client: &mut Client, line: usize, character: usize| -> Vec<String> {
        let r = client.request(
            "textDocument/completion",
            json!({"textDocument": {"uri": u}, "position": {"line": line, "character": character}}),
        );
        r["result"]
            .as_array()
            .unwrap_or_else(|| panic!("{r}"))
            .iter()
            .map(|i| i["label"].as_str().unwrap().to_string())
            .collect()
    };
    let header = std::fs::read_to_string(root().join("rules/data/quality_city.csv")).unwrap();
    let columns: Vec<&str> = header.lines().next().unwrap().split(',').collect();
    let got = labels(&mut client, line, "    indicator extra = ".len());
    for c in &columns {
        assert!(
            got.iter().any(|g| g == c.trim()),
            "{c} not offered: {got:?}"
        );
    }
    // `    normalise ` → the methods; `choose aggregate [..] at ` → the node ids.
    let mut more = edited.clone();
    more.push_str("\nscheme s {\n    normalise \n    exclude \n}\n");
    client.change(&u, &more, 3);
    let total = more.lines().count();
    let methods = labels(&mut client, total - 3, "    normalise ".len());
    assert!(methods.iter().any(|m| m == "minmax"), "{methods:?}");
    assert!(methods.iter().any(|m| m == "zscore"), "{methods:?}");
    let nodes = labels(&mut client, total - 2, "    exclude ".len());
    assert!(nodes.iter().any(|n| n == "quality_city"), "{nodes:?}");
    // At the start of a line in the scheme: setting words; at the top level: declarations.
    let words = labels(&mut client, total - 2, 4);
    assert!(words.iter().any(|w| w == "normalise"), "{words:?}");
    let top = labels(&mut client, total, 0);
    assert!(
        top.iter().any(|w| w == "scheme") && top.iter().any(|w| w == "survey"),
        "{top:?}"
    );
    client.stop();
}

/// With the data file readable, a column the header lacks is a diagnostic at the formula that
/// reads it, with did-you-mean from the header; once the file is deleted, those go (nothing
/// else changes) and the server goes on.
#[test]
fn data_bound_diagnostics_follow_the_data_file() {
    let dir = std::env::temp_dir().join(format!("qindex-lsp-data-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("d.csv"), "city,population,gdp\na,1,2\nb,3,4\n").unwrap();
    let path = dir.join("r.qi");
    let text =
        "index t by city {\n    data \"d.csv\"\n    indicator per_head = gdp / populaton\n}\n";
    std::fs::write(&path, text).unwrap();
    let mut client = Client::start();
    let u = uri(&path);
    client.open(&u, text, 1);
    let d = client.diagnostics(&u);
    let found = d["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["code"] == "unknown-column")
        .unwrap_or_else(|| panic!("{d}"))
        .clone();
    assert_eq!(found["range"]["start"]["line"], 2, "{found}");
    let message = found["message"].as_str().unwrap();
    assert!(message.contains("populaton"), "{message}");
    assert!(message.contains("did you mean `population`?"), "{message}");
    // Hover over a column: its figures in the data.
    let character = text.lines().nth(2).unwrap().find("gdp").unwrap() + 1;
    let r = client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": u}, "position": {"line": 2, "character": character}}),
    );
    let value = r["result"]["contents"]["value"]
        .as_str()
        .unwrap_or_default();
    assert!(value.contains("- rows: 2; missing: 0 (0.0%)"), "{r}");
    assert!(value.contains("- min 2, median 3, max 4"), "{r}");
    // The figures are kept for the file as it was: a new version of it is read again.
    std::fs::write(
        dir.join("d.csv"),
        "city,population,gdp\na,1,2\nb,3,4\nc,5,60\n",
    )
    .unwrap();
    let r = client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": u}, "position": {"line": 2, "character": character}}),
    );
    let value = r["result"]["contents"]["value"]
        .as_str()
        .unwrap_or_default();
    assert!(value.contains("- rows: 3; missing: 0 (0.0%)"), "{r}");
    assert!(value.contains("- min 2, median 4, max 60"), "{r}");

    std::fs::remove_file(dir.join("d.csv")).unwrap();
    client.change(&u, text, 2);
    let d = client.diagnostics(&u);
    assert_eq!(d["version"], 2);
    assert_eq!(d["diagnostics"], json!([]), "{d}");
    let r = client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": u}, "position": {"line": 2, "character": 16}}),
    );
    assert!(
        r["result"]["contents"]["value"]
            .as_str()
            .unwrap()
            .contains("per_head"),
        "{r}"
    );
    client.stop();
    std::fs::remove_dir_all(&dir).ok();
}

/// A position (line, UTF-16 character) in `text` as a byte offset.
fn byte_of(text: &str, line: u64, character: u64) -> usize {
    let start: usize = text
        .split_inclusive('\n')
        .take(line as usize)
        .map(str::len)
        .sum();
    let mut units = 0;
    for (i, c) in text[start..].char_indices() {
        if units >= character || c == '\n' {
            return start + i;
        }
        units += c.len_utf16() as u64;
    }
    text.len()
}

/// `text` with the LSP `TextEdit`s applied (last first, so earlier positions hold).
fn apply_edits(text: &str, edits: &[Value]) -> String {
    let mut spans: Vec<(usize, usize, &str)> = edits
        .iter()
        .map(|e| {
            let r = &e["range"];
            let at = |p: &Value| {
                byte_of(
                    text,
                    p["line"].as_u64().unwrap(),
                    p["character"].as_u64().unwrap(),
                )
            };
            (
                at(&r["start"]),
                at(&r["end"]),
                e["newText"].as_str().unwrap(),
            )
        })
        .collect();
    spans.sort_by_key(|s| std::cmp::Reverse(s.0));
    let mut out = text.to_string();
    for (a, b, t) in spans {
        out.replace_range(a..b, t);
    }
    out
}

/// The position of the `nth` occurrence of `name` as a word on a line containing `needle`.
fn position_of(text: &str, needle: &str, name: &str) -> Value {
    let (line, l) = text
        .lines()
        .enumerate()
        .find(|(_, l)| l.contains(needle))
        .unwrap_or_else(|| panic!("{needle} not found"));
    let from = l.find(needle).unwrap();
    let at = from + l[from..].find(name).unwrap();
    json!({"line": line, "character": l[..at].encode_utf16().count() + 1})
}

/// What `qindex run` computes, without the names: every unit's score and each node's value,
/// in the rules' order (a rename changes the keys, never these).
fn scores(dir: &Path, file: &str, scheme: &str) -> Vec<String> {
    let out = Command::new(env!("CARGO_BIN_EXE_qindex"))
        .current_dir(dir)
        .args(["run", file, "--scheme", scheme, "--format", "json"])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{file} {scheme}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let nodes: Vec<String> = r["nodes"]
                .as_object()
                .unwrap()
                .values()
                .map(|n| n["value"].to_string())
                .collect();
            format!("{} {} {}", r["unit"], r["score"], nodes.join(","))
        })
        .collect()
}

fn check_ok(dir: &Path, file: &str) {
    let out = Command::new(env!("CARGO_BIN_EXE_qindex"))
        .current_dir(dir)
        .args(["check", file])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{file}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A copy of the shipped quality-city rules and their data in a fresh directory.
fn copy_rules(tag: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("qindex-lsp-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("data")).unwrap();
    for f in ["quality_city.qi", "market_led.qi"] {
        std::fs::copy(root().join("rules").join(f), dir.join(f)).unwrap();
    }
    for f in ["quality_city.csv", "citizens.csv"] {
        std::fs::copy(root().join("rules/data").join(f), dir.join("data").join(f)).unwrap();
    }
    dir
}

/// Writes the edits of a rename to the files (to the editor's text of those in `buffers`,
/// then saved) and returns how many files changed.
fn write_edits(result: &Value, buffers: &[(&str, &str)]) -> usize {
    let changes = result["changes"].as_object().unwrap();
    for (u, edits) in changes {
        let path = u.strip_prefix("file://").unwrap();
        let text = match buffers.iter().find(|(b, _)| b == u) {
            Some((_, t)) => t.to_string(),
            None => std::fs::read_to_string(path).unwrap(),
        };
        std::fs::write(path, apply_edits(&text, edits.as_array().unwrap())).unwrap();
    }
    changes.len()
}

/// References of a group id and a `let` reach both `quality_city.qi` and the open
/// `market_led.qi` that uses it; renaming them edits both files, after which both still check
/// and `qindex run` gives the same scores under every scheme.
#[test]
fn references_and_rename_across_used_files_keep_the_results() {
    let dir = copy_rules("rename");
    let qc_path = dir.join("quality_city.qi");
    let ml_path = dir.join("market_led.qi");
    let before: Vec<Vec<String>> = ["default", "market_led", "market_strong"]
        .iter()
        .map(|s| scores(&dir, "market_led.qi", s))
        .collect();
    let qc = std::fs::read_to_string(&qc_path).unwrap();
    let ml = std::fs::read_to_string(&ml_path).unwrap();
    let (qu, mu) = (uri(&qc_path), uri(&ml_path));
    let mut client = Client::start();
    client.open(&mu, &ml, 1);
    client.open(&qu, &qc, 1);
    // quality_city.qi edited and not saved: market_led.qi reads the editor's text, and the
    // rename's edits are positions in it.
    let qc = format!("# not saved yet\n{qc}");
    client.change(&qu, &qc, 2);

    // `weight strategy = 4` in market_led.qi: the group's declaration and every mention.
    let at = position_of(&ml, "weight strategy = 4", "strategy");
    let r = client.request(
        "textDocument/references",
        json!({"textDocument": {"uri": mu}, "position": at, "context": {"includeDeclaration": true}}),
    );
    let found = r["result"].as_array().unwrap_or_else(|| panic!("{r}"));
    let in_file = |u: &str| found.iter().filter(|l| l["uri"] == u).count();
    // `weight strategy = 4` and `= 2` (the comments that mention it are not references).
    assert_eq!(in_file(&mu), 2, "{r}");
    assert!(in_file(&qu) >= 1, "{r}");
    let decl = found.iter().find(|l| l["uri"] == qu).unwrap();
    let line = decl["range"]["start"]["line"].as_u64().unwrap() as usize;
    assert!(
        qc.lines().nth(line).unwrap().contains("group strategy"),
        "{decl}"
    );

    let r = client.request(
        "textDocument/prepareRename",
        json!({"textDocument": {"uri": mu}, "position": at}),
    );
    assert_eq!(r["result"]["placeholder"], "strategy", "{r}");
    let r = client.request(
        "textDocument/rename",
        json!({"textDocument": {"uri": mu}, "position": at, "newName": "strategy_规划"}),
    );
    assert_eq!(write_edits(&r["result"], &[(&qu, &qc)]), 2, "{r}");

    // `per_10k`, a let of quality_city.qi that market_led.qi's added indicators read.
    let qc = std::fs::read_to_string(&qc_path).unwrap();
    let ml = std::fs::read_to_string(&ml_path).unwrap();
    assert!(qc.starts_with("# not saved yet\n"));
    client.change(&qu, &qc, 3);
    client.change(&mu, &ml, 2);
    let at = position_of(&qc, "let per_10k", "per_10k");
    let r = client.request(
        "textDocument/references",
        json!({"textDocument": {"uri": qu}, "position": at, "context": {"includeDeclaration": false}}),
    );
    let found = r["result"].as_array().unwrap_or_else(|| panic!("{r}"));
    let uses_qc = qc
        .match_indices("/ per_10k")
        .filter(|(i, m)| !qc[i + m.len()..].starts_with('_'))
        .count();
    assert!(
        found.iter().filter(|l| l["uri"] == qu).count() >= uses_qc,
        "{r}"
    );
    assert!(found.iter().any(|l| l["uri"] == mu), "{r}");
    let r = client.request(
        "textDocument/rename",
        json!({"textDocument": {"uri": qu}, "position": at, "newName": "per_ten_thousand"}),
    );
    assert_eq!(write_edits(&r["result"], &[]), 2, "{r}");

    // `metrology`, compared in the AHP judgements of its group: those name it too.
    let qc = std::fs::read_to_string(&qc_path).unwrap();
    client.change(&qu, &qc, 4);
    let at = position_of(&qc, "indicator metrology", "metrology");
    let r = client.request(
        "textDocument/rename",
        json!({"textDocument": {"uri": qu}, "position": at, "newName": "计量"}),
    );
    let edits = r["result"]["changes"][&qu]
        .as_array()
        .unwrap_or_else(|| panic!("{r}"));
    // The declaration and the four judgements (the comment is not a reference).
    assert_eq!(edits.len(), 5, "{r}");
    assert_eq!(write_edits(&r["result"], &[]), 1, "{r}");
    let qc = std::fs::read_to_string(&qc_path).unwrap();
    assert!(qc.contains("standards > 计量 : 2") && qc.contains("计量 = testing_labs"));
    assert!(!qc.contains("per_10k ") && qc.contains("let per_ten_thousand ="));
    assert!(qc.contains("group strategy_规划"));

    check_ok(&dir, "quality_city.qi");
    check_ok(&dir, "market_led.qi");
    let after: Vec<Vec<String>> = ["default", "market_led", "market_strong"]
        .iter()
        .map(|s| scores(&dir, "market_led.qi", s))
        .collect();
    assert_eq!(before, after);
    client.stop();
    std::fs::remove_dir_all(&dir).ok();
}

/// An indicator without a formula reads the column of its id: renamed, it gets `` = `OLD` ``
/// and reads the same column. Names that are not names, or are taken, or would hide a data
/// column, are refused with a message and no edit; so is a rename where no name is.
#[test]
fn rename_keeps_an_implicit_column_and_refuses_what_would_break() {
    let dir = std::env::temp_dir().join(format!("qindex-lsp-implicit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("d.csv"),
        "city,gdp,population\na,10,2\nb,30,3\nc,20,5\n",
    )
    .unwrap();
    let text = "let per_head = gdp / population\nindex t by city {\n    data \"d.csv\"\n    indicator gdp \"国内生产总值\" weight 2\n    indicator wealth = per_head weight 1\n}\n";
    let path = dir.join("r.qi");
    std::fs::write(&path, text).unwrap();
    let before = scores(&dir, "r.qi", "default");
    let u = uri(&path);
    let mut client = Client::start();
    client.open(&u, text, 1);
    let at = position_of(text, "indicator gdp", "gdp");
    let refuse = |client: &mut Client, at: &Value, name: &str, want: &str| {
        let r = client.request(
            "textDocument/rename",
            json!({"textDocument": {"uri": u}, "position": at, "newName": name}),
        );
        let message = r["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(want), "{name}: {r}");
        assert!(r.get("result").is_none(), "{r}");
    };
    refuse(&mut client, &at, "1abc", "is not a name");
    refuse(&mut client, &at, "and", "is not a name");
    refuse(&mut client, &at, "wealth", "already a node id");
    let let_at = position_of(text, "let per_head", "per_head");
    refuse(
        &mut client,
        &let_at,
        "population",
        "data column the rules read",
    );
    let nothing = json!({"line": 0, "character": 1});
    refuse(&mut client, &nothing, "x", "only a node id or a `let` name");
    let r = client.request(
        "textDocument/prepareRename",
        json!({"textDocument": {"uri": u}, "position": nothing}),
    );
    assert!(r["error"]["message"].is_string(), "{r}");

    let r = client.request(
        "textDocument/rename",
        json!({"textDocument": {"uri": u}, "position": at, "newName": "output"}),
    );
    let edits = r["result"]["changes"][&u]
        .as_array()
        .unwrap_or_else(|| panic!("{r}"));
    let edited = apply_edits(text, edits);
    assert!(
        edited.contains("indicator output \"国内生产总值\" = `gdp` weight 2"),
        "{edited}"
    );
    std::fs::write(&path, &edited).unwrap();
    check_ok(&dir, "r.qi");
    assert_eq!(scores(&dir, "r.qi", "default"), before);
    client.stop();
    std::fs::remove_dir_all(&dir).ok();
}

/// `SURVEY.NAME`: definition on the survey's name lands on `survey ID`, on a dimension's on
/// `dimension ID`, on an item's on its `item` line.
#[test]
fn definition_of_survey_names() {
    let path = root().join("rules/quality_city.qi");
    let text = std::fs::read_to_string(&path).unwrap();
    // An indicator reading one item's estimate, for the item's case.
    let text = text.replacen(
        "        indicator citizen_satisfaction",
        "        indicator s15_item = citizens.s15\n        indicator citizen_satisfaction",
        1,
    );
    let u = uri(&path);
    let mut client = Client::start();
    client.open(&u, &text, 1);
    for (needle, name, declared) in [
        ("= citizens.satisfaction", "citizens", "survey citizens"),
        (
            "= citizens.satisfaction",
            "satisfaction",
            "dimension satisfaction",
        ),
        ("= citizens.s15", "s15", "item s15"),
    ] {
        let r = client.request(
            "textDocument/definition",
            json!({"textDocument": {"uri": u}, "position": position_of(&text, needle, name)}),
        );
        assert_eq!(r["result"]["uri"], u, "{needle}: {r}");
        let line = r["result"]["range"]["start"]["line"].as_u64().unwrap() as usize;
        assert!(
            text.lines().nth(line).unwrap().contains(declared),
            "{name}: {r}"
        );
    }
    client.stop();
}

/// Semantic tokens decoded (relative lines and UTF-16 columns, the legend's types) land on
/// their text on lines with Chinese labels and characters outside the BMP.
#[test]
fn semantic_tokens_land_on_their_text() {
    let text = "# 质量 𝄞 评价\nlet 人均 = gdp / 1e4  # 😀\nindex q \"质量，𝄞\" by city {\n    indicator a \"指标（甲）😀\" = log(人均) + `质量 投诉` {\n        normalise zscore 100, 10\n    }\n}\nscheme s {\n    weight a = 2\n}\n";
    let mut client = Client::start();
    let u = "file:///tmp/qindex-lsp-tokens.qi";
    client.open(u, text, 1);
    let legend: Vec<String> = client.init["capabilities"]["semanticTokensProvider"]["legend"]
        ["tokenTypes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap().to_string())
        .collect();
    let r = client.request(
        "textDocument/semanticTokens/full",
        json!({"textDocument": {"uri": u}}),
    );
    let data: Vec<u64> = r["result"]["data"]
        .as_array()
        .unwrap_or_else(|| panic!("{r}"))
        .iter()
        .map(|x| x.as_u64().unwrap())
        .collect();
    assert_eq!(data.len() % 5, 0);
    let (mut line, mut character) = (0, 0);
    let mut seen: Vec<(String, String, bool)> = Vec::new();
    for t in data.chunks(5) {
        if t[0] > 0 {
            character = 0;
        }
        line += t[0];
        character += t[1];
        let start = byte_of(text, line, character);
        let end = byte_of(text, line, character + t[2]);
        seen.push((
            text[start..end].to_string(),
            legend[t[3] as usize].clone(),
            t[4] & 1 == 1,
        ));
    }
    for (word, kind, declaration) in [
        ("# 质量 𝄞 评价", "comment", false),
        ("let", "keyword", false),
        ("人均", "parameter", true),
        ("gdp", "property", false),
        ("/", "operator", false),
        ("1e4", "number", false),
        ("# 😀", "comment", false),
        ("q", "variable", true),
        ("\"质量，𝄞\"", "string", false),
        ("city", "property", false),
        ("a", "variable", true),
        ("\"指标（甲）😀\"", "string", false),
        ("log", "function", false),
        ("人均", "parameter", false),
        ("`质量 投诉`", "property", false),
        ("normalise", "keyword", false),
        ("zscore", "enumMember", false),
        ("s", "class", true),
        ("a", "variable", false),
    ] {
        let want = (word.to_string(), kind.to_string(), declaration);
        assert!(seen.contains(&want), "{want:?} not in {seen:?}");
    }
    client.stop();
}

/// Diagnostics wait for a pause in the changes (here a long one, set by the client), while
/// requests are answered from the latest text; then only the last version's are published.
#[test]
fn diagnostics_wait_for_a_pause_and_requests_do_not() {
    let mut client = Client::start_with(json!({"debounceMs": 1500}));
    let u = "file:///tmp/qindex-lsp-debounce.qi";
    client.open(u, "index t by city {\n    indicator a\n}\n", 1);
    assert_eq!(client.diagnostics(u)["version"], 1);
    for v in 2..=6 {
        // Each version adds an indicator named after it; a hover on it answers at once.
        let mut text = String::from("index t by city {\n    indicator a\n");
        for k in 2..=v {
            text.push_str(&format!("    indicator v{k} = x{k}\n"));
        }
        text.push_str("}\n");
        client.change(u, &text, v);
        let r = client.request(
            "textDocument/hover",
            json!({"textDocument": {"uri": u}, "position": {"line": v, "character": 15}}),
        );
        let value = r["result"]["contents"]["value"]
            .as_str()
            .unwrap_or_default();
        assert!(value.contains(&format!("`v{v}`")), "{v}: {r}");
        assert!(
            !client
                .notes
                .iter()
                .any(|n| n["method"] == "textDocument/publishDiagnostics"),
            "published during the burst: {:?}",
            client.notes
        );
    }
    let d = client.diagnostics(u);
    assert_eq!(d["version"], 6, "{d}");
    assert_eq!(d["diagnostics"], json!([]), "{d}");
    client.stop();
}

/// An error in a `use`d file is published under that file's URI as well, and cleared there
/// once the file is fixed.
#[test]
fn diagnostics_of_used_files_under_their_own_uris() {
    let dir = std::env::temp_dir().join(format!("qindex-lsp-used-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let part = dir.join("part.qi");
    std::fs::write(&part, "# shared\nlet x = (1 + )\nlet y = 2\n").unwrap();
    let main = dir.join("main.qi");
    let text = "use \"part.qi\"\nindex t by city {\n    indicator a = b * x + y\n}\n";
    std::fs::write(&main, text).unwrap();
    let (mu, pu) = (uri(&main), uri(&part));
    let mut client = Client::start();
    client.open(&mu, text, 1);
    let own = client.diagnostics(&mu);
    assert!(!own["diagnostics"].as_array().unwrap().is_empty(), "{own}");
    let used = client.diagnostics(&pu);
    let first = &used["diagnostics"][0];
    assert_eq!(first["range"]["start"]["line"], 1, "{used}");
    assert_eq!(first["severity"], 1, "{used}");

    std::fs::write(&part, "# shared\nlet x = 1\nlet y = 2\n").unwrap();
    client.change(&mu, text, 2);
    assert_eq!(client.diagnostics(&mu)["diagnostics"], json!([]));
    assert_eq!(client.diagnostics(&pu)["diagnostics"], json!([]));
    client.stop();
    std::fs::remove_dir_all(&dir).ok();
}
