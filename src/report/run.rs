//! Renderers of `qindex run`: a ranked table, CSV and JSON.

use super::table::Table;
use super::{csv_field, formula_like, guard_formula, truncate_to_width};
use crate::data::Frame;
use crate::eval::{flags, PeriodResult, Results};
use crate::plan::{NodeId, NodeKind, Plan};
use std::io::Write;

/// What to put in the output.
#[derive(Debug, Clone, Default)]
pub struct RunView {
    /// Group levels to include below the index (`--depth`); all when `None`.
    pub depth: Option<u32>,
    /// Add the indicators' values (`--indicators`).
    pub indicators: bool,
    /// Only the first N ranked rows (`--top`).
    pub top: Option<usize>,
    /// Exactly these nodes as columns, in this order (`--columns`), instead of `depth` and
    /// `indicators`.
    pub only: Option<Vec<NodeId>>,
    /// The widest a table's line may be (the terminal's width): wider tables are split into
    /// blocks that repeat the rank and the unit. No limit when `None`.
    pub width: Option<usize>,
    /// Name the nodes' columns by their labels (ids when a node has none) instead of ids
    /// (`--headers labels`, for spreadsheets).
    pub labels: bool,
}

/// Everything a renderer needs.
pub struct RunOutput<'a> {
    pub plan: &'a Plan,
    pub frame: &'a Frame,
    pub results: &'a Results<'a>,
    pub rules_hash: String,
    pub view: RunView,
}

impl RunView {
    /// The nodes shown as columns: those of `--columns` in their order, else in plan order
    /// the groups within the depth, then indicators when asked for.
    pub fn shown(&self, plan: &Plan) -> Vec<NodeId> {
        if let Some(only) = &self.only {
            return only.clone();
        }
        plan.ids()
            .skip(1)
            .filter(|id| {
                let n = plan.node(*id);
                match n.kind {
                    NodeKind::Indicator => {
                        self.indicators && self.depth.is_none_or(|d| n.depth <= d + 1)
                    }
                    _ => self.depth.is_none_or(|d| n.depth <= d),
                }
            })
            .collect()
    }
}

impl RunOutput<'_> {
    /// The nodes shown as columns ([`RunView::shown`]).
    pub(crate) fn columns(&self) -> Vec<NodeId> {
        self.view.shown(self.plan)
    }

    /// The headings of the CSV (and of the spreadsheet's results sheet).
    pub(crate) fn header(&self, cols: &[NodeId]) -> Vec<String> {
        let index = &self.plan.index;
        let mut head: Vec<String> = vec![index.unit_column.clone()];
        if self.frame.labels().is_some() {
            head.push(index.label_column.clone().unwrap_or_else(|| "label".into()));
        }
        if let Some(p) = &index.period_column {
            head.push(p.clone());
        }
        head.push("score".into());
        head.push("rank".into());
        if !self.plan.adjustments.is_empty() {
            head.push("adjustments".into());
        }
        for c in cols {
            let n = self.plan.node(*c);
            let name = self.name(*c);
            if n.kind != NodeKind::Indicator {
                let rank = if self.view.labels {
                    format!("{name} rank")
                } else {
                    format!("{name}_rank")
                };
                head.push(name);
                head.push(rank);
            } else {
                head.push(name);
            }
        }
        head
    }

    /// A node's column name: its label with `labels`, else (or without a label) its id.
    pub(crate) fn name(&self, id: NodeId) -> String {
        let n = self.plan.node(id);
        match &n.label {
            Some(l) if self.view.labels && !l.is_empty() => l.clone(),
            _ => n.id.clone(),
        }
    }

    /// Rows in rank order (the table), for `--top N` the first N ranks.
    pub(crate) fn ranked_rows(&self, p: &PeriodResult) -> Vec<usize> {
        let mut order = p.order(self.frame);
        if let Some(top) = self.view.top {
            order.retain(|i| p.final_rank[*i] != 0 && p.final_rank[*i] as usize <= top);
        }
        order
    }

    /// Rows for the data formats (CSV, JSON): in the data's order, so that results line up
    /// with the input; with `--top N`, the first N ranks in rank order.
    pub(crate) fn data_rows(&self, p: &PeriodResult) -> Vec<usize> {
        match self.view.top {
            Some(_) => self.ranked_rows(p),
            None => (0..p.len()).collect(),
        }
    }
}

fn push_num(out: &mut Vec<u8>, x: f64, buf: &mut zmij::Buffer) {
    if x.is_finite() {
        push_short(out, buf.format_finite(x).as_bytes());
    }
}

fn push_rank(out: &mut Vec<u8>, r: u32, buf: &mut itoa::Buffer) {
    if r != 0 {
        push_short(out, buf.format(r).as_bytes());
    }
}

/// Appends a short run of bytes (a formatted number, at most 32) with two overlapping copies
/// of fixed size instead of a call to `memcpy` for each of the 23 million cells of a large
/// table; longer runs are appended as usual.
#[inline(always)]
fn push_short(out: &mut Vec<u8>, s: &[u8]) {
    let n = s.len();
    if !(4..=32).contains(&n) {
        out.extend_from_slice(s);
        return;
    }
    out.reserve(n);
    let len = out.len();
    let spare = &mut out.spare_capacity_mut()[..n];
    // The first and the last `k` bytes, k = the largest of 16, 8, 4 that fits: together they
    // cover all n bytes (n ≤ 2k), and only bytes of `s` are read.
    let k = if n >= 16 {
        16
    } else if n >= 8 {
        8
    } else {
        4
    };
    let copy = |dst: &mut [std::mem::MaybeUninit<u8>], src: &[u8]| {
        for (d, b) in dst.iter_mut().zip(src) {
            d.write(*b);
        }
    };
    match k {
        16 => {
            let (a, b): ([u8; 16], [u8; 16]) = (
                s[..16].try_into().unwrap_or([0; 16]),
                s[n - 16..].try_into().unwrap_or([0; 16]),
            );
            copy(&mut spare[..16], &a);
            copy(&mut spare[n - 16..], &b);
        }
        8 => {
            let (a, b): ([u8; 8], [u8; 8]) = (
                s[..8].try_into().unwrap_or([0; 8]),
                s[n - 8..].try_into().unwrap_or([0; 8]),
            );
            copy(&mut spare[..8], &a);
            copy(&mut spare[n - 8..], &b);
        }
        _ => {
            let (a, b): ([u8; 4], [u8; 4]) = (
                s[..4].try_into().unwrap_or([0; 4]),
                s[n - 4..].try_into().unwrap_or([0; 4]),
            );
            copy(&mut spare[..4], &a);
            copy(&mut spare[n - 4..], &b);
        }
    }
    // SAFETY: the `n` bytes after `len` were all written just above (the two copies cover
    // them), and `reserve` made room for them.
    unsafe { out.set_len(len + n) };
}

fn push_text(out: &mut Vec<u8>, text: &str) {
    let plain = !formula_like(text)
        && !text
            .bytes()
            .any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r'));
    if plain {
        out.extend_from_slice(text.as_bytes());
    } else {
        out.extend_from_slice(csv_field(&guard_formula(text)).as_bytes());
    }
}

/// CSV (RFC 4180, CRLF): unit, [label], [period], score, rank, then each shown node's score
/// and rank in plan order (indicators: their normalised value).
pub fn csv(o: &RunOutput, w: &mut dyn Write) -> std::io::Result<()> {
    let cols = o.columns();
    let has_period = o.plan.index.period_column.is_some();
    let head = o.header(&cols);
    let head: Vec<String> = head.iter().map(|h| csv_field(&guard_formula(h))).collect();
    let mut out: Vec<u8> = Vec::with_capacity(1 << 16);
    out.extend_from_slice(head.join(",").as_bytes());
    out.extend_from_slice(b"\r\n");
    w.write_all(&out)?;
    let kinds: Vec<bool> = cols
        .iter()
        .map(|c| o.plan.node(*c).kind != NodeKind::Indicator)
        .collect();
    for p in &o.results.periods {
        let rows = o.data_rows(p);
        let chunks: Vec<&[usize]> = rows.chunks(CSV_CHUNK_ROWS).collect();
        let threads = crate::threads().min(8).min(chunks.len());
        if threads <= 1 {
            let mut buf = Vec::new();
            for part in &chunks {
                buf.clear();
                csv_rows(&mut buf, o, p, part, &cols, &kinds, has_period);
                w.write_all(&buf)?;
            }
            continue;
        }
        csv_parallel(o, p, &chunks, threads, &cols, &kinds, has_period, w)?;
    }
    Ok(())
}

/// Rows per chunk of CSV output formatted by one thread.
const CSV_CHUNK_ROWS: usize = 16_384;

/// Formats the chunks on `threads` threads while this thread writes the finished ones in
/// order, so that formatting and writing overlap and the bytes are those of a single thread.
/// Buffers go round a pool of two per thread: bounded memory, and no fresh pages per chunk.
#[allow(clippy::too_many_arguments)]
fn csv_parallel(
    o: &RunOutput,
    p: &PeriodResult,
    chunks: &[&[usize]],
    threads: usize,
    cols: &[NodeId],
    kinds: &[bool],
    has_period: bool,
    w: &mut dyn Write,
) -> std::io::Result<()> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{mpsc, Mutex};
    let next = AtomicUsize::new(0);
    let (free_tx, free_rx) = mpsc::channel::<Vec<u8>>();
    for _ in 0..2 * threads {
        let _ = free_tx.send(Vec::new());
    }
    let free_rx = Mutex::new(free_rx);
    let (done_tx, done_rx) = mpsc::channel::<(usize, Vec<u8>)>();
    std::thread::scope(|s| {
        for _ in 0..threads {
            let (free_rx, done_tx, next) = (&free_rx, done_tx.clone(), &next);
            s.spawn(move || loop {
                // A buffer first, then a chunk: the earliest chunk not written always has a
                // buffer, so the writer never waits for a chunk that cannot be formatted.
                let Ok(mut buf) = free_rx
                    .lock()
                    .map_err(|_| ())
                    .and_then(|r| r.recv().map_err(|_| ()))
                else {
                    return;
                };
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(part) = chunks.get(i) else { return };
                buf.clear();
                csv_rows(&mut buf, o, p, part, cols, kinds, has_period);
                if done_tx.send((i, buf)).is_err() {
                    return;
                }
            });
        }
        drop(done_tx);
        let mut pending: std::collections::BTreeMap<usize, Vec<u8>> = Default::default();
        let mut want = 0;
        let mut result = Ok(());
        'receive: for (i, buf) in done_rx.iter() {
            pending.insert(i, buf);
            while let Some(buf) = pending.remove(&want) {
                if let Err(e) = w.write_all(&buf) {
                    result = Err(e);
                    break 'receive;
                }
                let _ = free_tx.send(buf);
                want += 1;
            }
        }
        // On an error, the workers stop when the pool and the queue are gone.
        drop(free_tx);
        drop(done_rx);
        result
    })
}

fn csv_rows(
    out: &mut Vec<u8>,
    o: &RunOutput,
    p: &PeriodResult,
    rows: &[usize],
    cols: &[NodeId],
    group: &[bool],
    has_period: bool,
) {
    let mut nb = zmij::Buffer::new();
    let mut ib = itoa::Buffer::new();
    for &i in rows {
        let row = p.rows[i];
        push_text(out, o.frame.units().get(row));
        if let Some(labels) = o.frame.labels() {
            out.push(b',');
            push_text(out, labels.get(row));
        }
        if has_period {
            out.push(b',');
            push_text(out, p.period.as_deref().unwrap_or(""));
        }
        out.push(b',');
        push_num(out, p.score[i], &mut nb);
        out.push(b',');
        push_rank(out, p.final_rank[i], &mut ib);
        if !o.plan.adjustments.is_empty() {
            out.push(b',');
            push_text(out, &p.adjustments_text(o.plan, i));
        }
        for (c, is_group) in cols.iter().zip(group) {
            out.push(b',');
            push_num(out, p.value(*c, i), &mut nb);
            if *is_group {
                out.push(b',');
                push_rank(out, p.rank[c.index()][i], &mut ib);
            }
        }
        out.extend_from_slice(b"\r\n");
    }
}

/// A number for JSON: `null` when missing.
fn json_num(x: f64, buf: &mut zmij::Buffer) -> String {
    if x.is_finite() {
        buf.format_finite(x).to_string()
    } else {
        "null".into()
    }
}

fn json_str(s: &str) -> String {
    serde_json::to_string(s).expect("a string serialises")
}

fn json_rank(r: u32) -> String {
    if r == 0 {
        "null".into()
    } else {
        r.to_string()
    }
}

/// JSON `qindex.run/1`, documented in `docs/run-json.md`; object keys in plan order.
pub fn json(o: &RunOutput, w: &mut dyn Write) -> std::io::Result<()> {
    let mut nb = zmij::Buffer::new();
    let plan = o.plan;
    let mut s = String::with_capacity(1 << 16);
    s.push_str("{\n  \"format\": \"qindex.run/1\",\n");
    s.push_str(&format!(
        "  \"qindex\": {},\n",
        json_str(env!("CARGO_PKG_VERSION"))
    ));
    s.push_str(&format!("  \"index\": {},\n", json_str(&plan.index.id)));
    s.push_str(&format!("  \"scheme\": {},\n", json_str(&plan.scheme)));
    s.push_str(&format!("  \"rules_hash\": {},\n", json_str(&o.rules_hash)));
    s.push_str(&format!(
        "  \"data_hash\": {},\n",
        json_str(o.frame.content_hash())
    ));
    s.push_str("  \"results\": [");
    let mut first = true;
    for p in &o.results.periods {
        for i in o.data_rows(p) {
            let row = p.rows[i];
            s.push_str(if first { "\n" } else { ",\n" });
            first = false;
            s.push_str("    {");
            s.push_str(&format!(
                "\"unit\": {}, ",
                json_str(o.frame.units().get(row))
            ));
            let label = o
                .frame
                .labels()
                .map(|l| json_str(l.get(row)))
                .unwrap_or_else(|| "null".into());
            s.push_str(&format!("\"label\": {label}, "));
            let period = p
                .period
                .as_deref()
                .map(json_str)
                .unwrap_or_else(|| "null".into());
            s.push_str(&format!("\"period\": {period}, "));
            s.push_str(&format!("\"score\": {}, ", json_num(p.score[i], &mut nb)));
            s.push_str(&format!("\"rank\": {}, ", json_rank(p.final_rank[i])));
            let first = p.vetoes.partition_point(|(r, _)| *r < i);
            let vetoes: Vec<String> = p.vetoes[first..]
                .iter()
                .take_while(|(r, _)| *r == i)
                .map(|(_, k)| json_str(&plan.adjustments[*k].code.text))
                .collect();
            s.push_str(&format!(
                "\"adjustments\": {{\"bonus\": {}, \"penalty\": {}, \"vetoed\": {}, \"vetoes\": [{}]}}, ",
                json_num(p.bonus[i], &mut nb),
                json_num(p.penalty[i], &mut nb),
                p.vetoed[i],
                vetoes.join(", ")
            ));
            s.push_str(&format!("\"unit_of_ranking\": {}, ", p.is_unit[i]));
            s.push_str("\"nodes\": {");
            for (k, id) in plan.ids().enumerate() {
                let node = plan.node(id);
                if k > 0 {
                    s.push_str(", ");
                }
                s.push_str(&format!(
                    "{}: {{\"value\": {}",
                    json_str(&node.id),
                    json_num(p.value(id, i), &mut nb)
                ));
                if node.kind == NodeKind::Indicator {
                    s.push_str(&format!(
                        ", \"raw\": {}, \"treated\": {}",
                        json_num(p.raw[id.index()][i], &mut nb),
                        json_num(p.treated(id)[i], &mut nb)
                    ));
                } else {
                    s.push_str(&format!(", \"rank\": {}", json_rank(p.rank[id.index()][i])));
                }
                let fl = flags::names(p.flag(id, i));
                let fl: Vec<String> = fl.iter().map(|f| json_str(f)).collect();
                s.push_str(&format!(", \"flags\": [{}]}}", fl.join(", ")));
            }
            s.push_str("}}");
        }
        if s.len() > 1 << 20 {
            w.write_all(s.as_bytes())?;
            s.clear();
        }
    }
    s.push_str("\n  ],\n");
    let weights_of = |p: &PeriodResult, nb: &mut zmij::Buffer| -> String {
        let parts: Vec<String> = plan
            .ids()
            .map(|id| {
                format!(
                    "{}: {{\"weight\": {}, \"overall\": {}}}",
                    json_str(&plan.node(id).id),
                    json_num(p.weights[id.index()], nb),
                    json_num(p.overall[id.index()], nb)
                )
            })
            .collect();
        format!("{{{}}}", parts.join(", "))
    };
    match o.results.periods.last() {
        Some(p) => s.push_str(&format!("  \"weights\": {},\n", weights_of(p, &mut nb))),
        None => s.push_str("  \"weights\": {},\n"),
    }
    if o.results.periods.iter().any(|p| p.period.is_some()) {
        let parts: Vec<String> = o
            .results
            .periods
            .iter()
            .map(|p| {
                format!(
                    "    {}: {}",
                    json_str(p.period.as_deref().unwrap_or("")),
                    weights_of(p, &mut nb)
                )
            })
            .collect();
        s.push_str(&format!(
            "  \"weights_by_period\": {{\n{}\n  }},\n",
            parts.join(",\n")
        ));
    }
    s.push_str("  \"warnings\": [");
    for (k, wn) in o.results.warnings.iter().enumerate() {
        s.push_str(if k == 0 { "\n" } else { ",\n" });
        let opt = |x: &Option<String>| x.as_deref().map(json_str).unwrap_or_else(|| "null".into());
        s.push_str(&format!(
            "    {{\"code\": {}, \"message\": {}, \"node\": {}, \"unit\": {}, \"period\": {}, \"count\": {}}}",
            json_str(wn.code),
            json_str(&wn.message),
            opt(&wn.node),
            opt(&wn.unit),
            opt(&wn.period),
            wn.count
        ));
    }
    if !o.results.warnings.is_empty() {
        s.push_str("\n  ");
    }
    s.push_str("]\n}\n");
    w.write_all(s.as_bytes())
}

/// The ranked table for a terminal: rank, unit, label, score and the shown groups' scores,
/// aligned by display width (CJK labels count two columns).
pub fn table(o: &RunOutput, w: &mut dyn Write) -> std::io::Result<()> {
    let plan = o.plan;
    let cols: Vec<NodeId> = o
        .columns()
        .into_iter()
        .filter(|c| {
            let n = plan.node(*c);
            let chosen = o.view.only.is_some() || o.view.depth.is_some() || o.view.indicators;
            (o.view.indicators || o.view.only.is_some() || n.kind != NodeKind::Indicator)
                && (chosen || n.depth <= 1)
        })
        .collect();
    let mut out = String::new();
    for p in &o.results.periods {
        let decimals = table_decimals(plan, p, &o.ranked_rows(p));
        let mut table = Table::new()
            .key_right("rank")
            .key_left(plan.index.unit_column.clone());
        if o.frame.labels().is_some() {
            table = table
                .left(plan.index.label_column.clone().unwrap_or_default())
                .max_width(24);
        }
        table = table.right("score");
        for c in &cols {
            let n = plan.node(*c);
            table = table.right(truncate_to_width(n.label.as_deref().unwrap_or(&n.id), 16));
        }
        for i in o.ranked_rows(p) {
            let row = p.rows[i];
            let rank = match (p.final_rank[i], p.vetoed[i], p.is_unit[i]) {
                (0, true, _) => "vetoed".to_string(),
                (0, _, false) => "—".to_string(),
                (0, _, _) => "-".to_string(),
                (r, _, _) => r.to_string(),
            };
            let mut cells = vec![rank, o.frame.units().get(row).to_string()];
            if let Some(l) = o.frame.labels() {
                cells.push(l.get(row).to_string());
            }
            cells.push(fixed(p.score[i], decimals));
            for c in &cols {
                cells.push(fixed(p.value(*c, i), decimals));
            }
            table.row(cells);
        }
        if let Some(period) = &p.period {
            out.push_str(&format!(
                "{} {period}\n",
                plan.index.period_column.as_deref().unwrap_or("period")
            ));
        }
        out.push_str(&table.render_text(o.view.width));
        // Why a unit is vetoed or capped: the condition that fired.
        let shown = o.ranked_rows(p);
        let mut seen = Vec::new();
        for (i, _) in &p.vetoes {
            if seen.contains(i) || !shown.contains(i) {
                continue;
            }
            seen.push(*i);
            let row = p.rows[*i];
            let name = match o.frame.labels() {
                Some(l) => format!("{} {}", o.frame.units().get(row), l.get(row)),
                None => o.frame.units().get(row).to_string(),
            };
            let status = if p.vetoed[*i] { "vetoed" } else { "capped" };
            // Outside the table, so escaped here: labels and conditions never reach a
            // terminal with their control characters.
            out.push_str(&format!(
                "{status}: {} ({})\n",
                super::one_line(&name),
                super::code_text(&p.adjustments_text(plan, *i))
            ));
        }
        out.push('\n');
    }
    w.write_all(out.as_bytes())
}

/// The decimals of the table's scores: three significant digits of the index's scale at least
/// (two decimals on 0..100, three on 0..1), and more, up to six, until scores that differ and
/// stand next to each other in the table read differently. CSV and JSON keep full precision.
fn table_decimals(plan: &crate::plan::Plan, p: &PeriodResult, shown: &[usize]) -> usize {
    let (lo, hi) = plan.node(NodeId::ROOT).scale;
    let range = (hi - lo).abs();
    let base = if range.is_finite() && range > 0.0 {
        (3 - range.log10().ceil() as i64).clamp(2, 6) as usize
    } else {
        2
    };
    let scores: Vec<f64> = shown
        .iter()
        .map(|i| p.score[*i])
        .filter(|x| x.is_finite())
        .collect();
    (base..=6)
        .find(|d| {
            scores
                .windows(2)
                .all(|w| w[0] == w[1] || format!("{:.d$}", w[0]) != format!("{:.d$}", w[1]))
        })
        .unwrap_or(6)
}

fn fixed(x: f64, decimals: usize) -> String {
    if x.is_finite() {
        format!("{x:.decimals$}")
    } else {
        "—".into()
    }
}
