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
}

impl Client {
    fn start() -> Client {
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
        };
        let init = c.request("initialize", json!({"capabilities": {}}));
        assert!(init["result"]["capabilities"]["hoverProvider"]
            .as_bool()
            .unwrap());
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
