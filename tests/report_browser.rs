//! The report in a real browser: headless Chromium driven through the DevTools protocol over
//! a pipe (`--remote-debugging-pipe`: messages are JSON, each ended by a NUL byte, read on
//! file descriptor 3 and written on 4), so no port and no extra dependency. For the report of
//! `rules/market_led.qi` and of a rules file whose labels carry injection strings it asserts:
//! no console error, every chart container holds a rendered SVG of non-zero size, no request
//! leaves the file, and the injected labels are text in the DOM. Screenshots are written to
//! `target/report-browser/`; with `QINDEX_SCREENSHOT_DOCS=1` the one of market_led.qi also
//! replaces `docs/report.png`.
//!
//! Without Chromium the test fails when `CI=true` (`.ci/run` installs Debian's `chromium`),
//! and is skipped with a note otherwise.
#![cfg(unix)]

mod common;

use common::base64;

use serde_json::{json, Value};
use std::io::{Read, Write};
use std::os::fd::{FromRawFd, RawFd};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(60);

fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("QINDEX_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    for dir in std::env::split_paths(&path) {
        for name in ["chromium", "chromium-browser", "google-chrome"] {
            let p = dir.join(name);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

/// A pipe whose two ends are closed on exec (the child gets its ends by `dup2`).
fn pipe() -> (RawFd, RawFd) {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two descriptors pipe2 writes.
    let rc = unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) };
    assert_eq!(rc, 0, "pipe2: {}", std::io::Error::last_os_error());
    (fds[0], fds[1])
}

struct Browser {
    child: Child,
    to: std::fs::File,
    from: Receiver<Value>,
    next: u64,
    /// Every event received, in order.
    events: Vec<Value>,
    session: Option<String>,
    profile: PathBuf,
}

impl Browser {
    fn start(exe: &Path, profile: PathBuf) -> Browser {
        let (their_in, our_out) = pipe();
        let (our_in, their_out) = pipe();
        let mut cmd = Command::new(exe);
        cmd.args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-default-apps",
            "--disable-extensions",
            "--mute-audio",
            "--remote-debugging-pipe",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("about:blank")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
        // SAFETY: only async-signal-safe calls (fcntl, dup2) between fork and exec. The ends
        // are first moved above 10, so that neither is clobbered when the other lands on 3
        // or 4; dup2 leaves the new descriptors open across exec.
        unsafe {
            cmd.pre_exec(move || {
                let high_in = libc::fcntl(their_in, libc::F_DUPFD_CLOEXEC, 10);
                let high_out = libc::fcntl(their_out, libc::F_DUPFD_CLOEXEC, 10);
                if high_in < 0
                    || high_out < 0
                    || libc::dup2(high_in, 3) < 0
                    || libc::dup2(high_out, 4) < 0
                {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = cmd.spawn().expect("start chromium");
        // SAFETY: the descriptors are ours (from pipe2) and each is owned once.
        let (to, mut from_file) = unsafe {
            libc::close(their_in);
            libc::close(their_out);
            (
                std::fs::File::from_raw_fd(our_out),
                std::fs::File::from_raw_fd(our_in),
            )
        };
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let mut chunk = [0u8; 1 << 16];
            loop {
                let n = match from_file.read(&mut chunk) {
                    Ok(0) | Err(_) => return,
                    Ok(n) => n,
                };
                buf.extend_from_slice(&chunk[..n]);
                while let Some(end) = buf.iter().position(|b| *b == 0) {
                    let msg: Vec<u8> = buf.drain(..=end).collect();
                    if let Ok(v) = serde_json::from_slice::<Value>(&msg[..msg.len() - 1]) {
                        if tx.send(v).is_err() {
                            return;
                        }
                    }
                }
            }
        });
        Browser {
            child,
            to,
            from: rx,
            next: 0,
            events: Vec::new(),
            session: None,
            profile,
        }
    }

    /// Sends a command (to the attached page when there is one) and waits for its result.
    fn call(&mut self, method: &str, params: Value) -> Value {
        self.next += 1;
        let id = self.next;
        let mut msg = json!({"id": id, "method": method, "params": params});
        if let Some(s) = &self.session {
            msg["sessionId"] = json!(s);
        }
        let mut bytes = serde_json::to_vec(&msg).unwrap();
        bytes.push(0);
        self.to.write_all(&bytes).expect("write to chromium");
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.from.recv_timeout(left) {
                Ok(v) if v["id"] == json!(id) => {
                    assert!(v.get("error").is_none(), "{method}: {v}");
                    return v["result"].clone();
                }
                Ok(v) => self.events.push(v),
                Err(RecvTimeoutError::Timeout) => panic!("{method}: no answer from chromium"),
                Err(RecvTimeoutError::Disconnected) => panic!("{method}: chromium has gone"),
            }
        }
    }

    /// Waits for an event, keeping the others.
    fn wait_for(&mut self, method: &str) {
        if self.events.iter().any(|e| e["method"] == method) {
            return;
        }
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.from.recv_timeout(left) {
                Ok(v) => {
                    let found = v["method"] == method;
                    self.events.push(v);
                    if found {
                        return;
                    }
                }
                Err(_) => panic!("no {method} from chromium"),
            }
        }
    }

    /// Takes the events already sent.
    fn drain(&mut self) {
        while let Ok(v) = self.from.try_recv() {
            self.events.push(v);
        }
    }

    /// The value of a JavaScript expression.
    fn eval(&mut self, expression: &str) -> Value {
        let r = self.call(
            "Runtime.evaluate",
            json!({"expression": expression, "returnByValue": true}),
        );
        assert!(r.get("exceptionDetails").is_none(), "{expression}: {r}");
        r["result"]["value"].clone()
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// What the page did: console errors, requests, charts, and the injected labels.
struct Seen {
    errors: Vec<String>,
    requests: Vec<String>,
    charts: Vec<Value>,
    alerts: u64,
    text: String,
    elements: u64,
}

fn open(exe: &Path, html: &Path, shot: &Path) -> Seen {
    let profile = std::env::temp_dir().join(format!(
        "qindex-chromium-{}-{}",
        std::process::id(),
        shot.file_stem().unwrap().to_string_lossy()
    ));
    let _ = std::fs::remove_dir_all(&profile);
    std::fs::create_dir_all(&profile).unwrap();
    let mut b = Browser::start(exe, profile);
    let target = b.call("Target.createTarget", json!({"url": "about:blank"}));
    let attached = b.call(
        "Target.attachToTarget",
        json!({"targetId": target["targetId"], "flatten": true}),
    );
    b.session = attached["sessionId"].as_str().map(String::from);
    for domain in [
        "Runtime.enable",
        "Log.enable",
        "Network.enable",
        "Page.enable",
    ] {
        b.call(domain, json!({}));
    }
    // Count alerts instead of showing them (a dialog would stop the page).
    b.call(
        "Page.addScriptToEvaluateOnNewDocument",
        json!({"source": "window.__alerts = 0; window.alert = function () { window.__alerts += 1; };"}),
    );
    b.call(
        "Emulation.setDeviceMetricsOverride",
        json!({"width": 1200, "height": 1500, "deviceScaleFactor": 1, "mobile": false}),
    );
    let url = format!("file://{}", html.display());
    b.call("Page.navigate", json!({"url": url}));
    b.wait_for("Page.loadEventFired");
    // The charts are drawn by the page's last script, before the load event; give a late one
    // a moment.
    let count = "document.querySelectorAll('.chart').length";
    let drawn = "document.querySelectorAll('.chart svg').length";
    let deadline = Instant::now() + Duration::from_secs(10);
    while b.eval(drawn) != b.eval(count) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    let charts = b.eval(
        "Array.from(document.querySelectorAll('.chart')).map(function (el) {
            var s = el.querySelector('svg, canvas');
            var r = s ? s.getBoundingClientRect() : {width: 0, height: 0};
            return {id: el.id, kind: s ? s.tagName.toLowerCase() : null, width: r.width,
                    height: r.height, marks: el.querySelectorAll('path, rect, text').length};
        })",
    );
    let alerts = b.eval("window.__alerts").as_u64().unwrap_or(u64::MAX);
    let text = b
        .eval("document.body.innerText")
        .as_str()
        .unwrap_or("")
        .to_string();
    let elements = b
        .eval("document.querySelectorAll('img, iframe, object, embed, [onmouseover], [onerror], [onload], main script').length")
        .as_u64()
        .unwrap_or(u64::MAX);
    let shot_data = b.call("Page.captureScreenshot", json!({"format": "png"}));
    let png = base64(shot_data["data"].as_str().unwrap_or(""));
    assert!(png.starts_with(b"\x89PNG"), "a PNG screenshot");
    std::fs::create_dir_all(shot.parent().unwrap()).unwrap();
    std::fs::write(shot, &png).unwrap();
    // Each section on its own, for looking at (target/report-browser/NAME-SECTION.png).
    let rects = b.eval(
        "Array.from(document.querySelectorAll('section')).map(function (s) {
            var r = s.getBoundingClientRect();
            return {id: s.id, x: r.left, y: r.top + window.scrollY, width: r.width,
                    height: Math.min(r.height, 4000)};
        })",
    );
    for r in rects.as_array().cloned().unwrap_or_default() {
        let clip = json!({"x": r["x"], "y": r["y"], "width": r["width"], "height": r["height"], "scale": 1});
        let data = b.call(
            "Page.captureScreenshot",
            json!({"format": "png", "clip": clip, "captureBeyondViewport": true}),
        );
        let stem = shot.file_stem().unwrap().to_string_lossy();
        let name = format!("{stem}-{}.png", r["id"].as_str().unwrap_or("section"));
        std::fs::write(
            shot.with_file_name(name),
            base64(data["data"].as_str().unwrap_or("")),
        )
        .unwrap();
    }
    // "Save as PDF" on A4: the print stylesheet starts each section on a page of its own.
    let pdf = b.call(
        "Page.printToPDF",
        json!({"paperWidth": 8.27, "paperHeight": 11.69, "printBackground": true}),
    );
    let pdf = base64(pdf["data"].as_str().unwrap_or(""));
    assert!(pdf.starts_with(b"%PDF"), "a PDF");
    let sections = b
        .eval("document.querySelectorAll('section').length")
        .as_u64()
        .unwrap_or(0);
    let pages = pdf.windows(10).filter(|w| *w == b"/Type /Pag").count()
        + pdf.windows(9).filter(|w| *w == b"/Type/Pag").count();
    assert!(
        pages as u64 > sections,
        "{pages} PDF objects of type Page(s) for {sections} sections"
    );
    std::fs::write(shot.with_extension("pdf"), &pdf).unwrap();
    b.drain();
    let mut errors = Vec::new();
    let mut requests = Vec::new();
    for e in &b.events {
        let p = &e["params"];
        match e["method"].as_str().unwrap_or("") {
            "Runtime.consoleAPICalled"
                if matches!(p["type"].as_str(), Some("error" | "assert")) =>
            {
                errors.push(p["args"].to_string())
            }
            "Runtime.exceptionThrown" => errors.push(p["exceptionDetails"].to_string()),
            "Log.entryAdded" if p["entry"]["level"] == "error" => {
                errors.push(p["entry"]["text"].to_string())
            }
            "Page.javascriptDialogOpening" => errors.push(format!("a dialog: {p}")),
            "Network.requestWillBeSent" => {
                requests.push(p["request"]["url"].as_str().unwrap_or("").to_string())
            }
            _ => {}
        }
    }
    requests.retain(|u| *u != url && !u.starts_with("data:") && u != "about:blank");
    let _ = b.call("Browser.close", json!({}));
    Seen {
        errors,
        requests,
        charts: charts.as_array().cloned().unwrap_or_default(),
        alerts,
        text,
        elements,
    }
}

fn write_report(rules: &str, out: &Path, extra: &[&str]) {
    let mut args = vec!["report", rules, "-q", "-o", out.to_str().unwrap()];
    args.extend_from_slice(extra);
    let o = common::qindex(&args);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

fn check_page(seen: &Seen, what: &str) {
    assert!(
        seen.errors.is_empty(),
        "{what}: console errors {:#?}",
        seen.errors
    );
    assert!(
        seen.requests.is_empty(),
        "{what}: requests {:#?}",
        seen.requests
    );
    assert_eq!(seen.alerts, 0, "{what}: a script ran");
    assert!(!seen.charts.is_empty(), "{what}: no charts");
    for c in &seen.charts {
        assert_eq!(c["kind"], "svg", "{what}: {c}");
        assert!(c["width"].as_f64().unwrap_or(0.0) > 0.0, "{what}: {c}");
        assert!(c["height"].as_f64().unwrap_or(0.0) > 0.0, "{what}: {c}");
        assert!(
            c["marks"].as_u64().unwrap_or(0) > 2,
            "{what}: an empty chart {c}"
        );
    }
}

#[test]
fn the_report_renders_offline_in_chromium_with_labels_as_text() {
    let Some(exe) = chromium() else {
        let msg = "Chromium not found (install Debian's `chromium`, or set QINDEX_CHROMIUM)";
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("{msg}: the browser test cannot run");
        }
        eprintln!("skipped: {msg}");
        return;
    };
    let root = common::root();
    let out = root.join("target").join("report-browser");
    std::fs::create_dir_all(&out).unwrap();

    let market = out.join("market_led.html");
    write_report("rules/market_led.qi", &market, &[]);
    let seen = open(&exe, &market, &out.join("market_led.png"));
    check_page(&seen, "market_led.qi");
    let ids: Vec<&str> = seen
        .charts
        .iter()
        .filter_map(|c| c["id"].as_str())
        .collect();
    for id in [
        "chart-ranking",
        "chart-heatmap",
        "chart-slope-1",
        "chart-orientation-0",
        "chart-intervals",
        "chart-sobol",
        "chart-correlations",
        "chart-radar-0",
    ] {
        assert!(ids.contains(&id), "no {id} in {ids:?}");
    }
    assert!(seen.text.contains("质量强市示范城市评价"));
    if std::env::var("QINDEX_SCREENSHOT_DOCS").is_ok_and(|v| v == "1") {
        std::fs::copy(
            out.join("market_led.png"),
            root.join("docs").join("report.png"),
        )
        .unwrap();
    }

    let evil = out.join("injection.html");
    write_report(
        "tests/fixtures/report/injection.qi",
        &evil,
        &["--lang", "en"],
    );
    let seen = open(&exe, &evil, &out.join("injection.png"));
    check_page(&seen, "injection.qi");
    assert_eq!(seen.elements, 0, "an injected element is in the DOM");
    for label in [
        "<img src=x onerror=alert(1)>",
        "</script><script>alert(6)</script>",
        "<b onmouseover=alert(2)>一</b>",
        "=1+2",
    ] {
        assert!(seen.text.contains(label), "{label} is not text in the page");
    }
}
