//! `qindex snapshot`: the results of a rules file as a stable, diff-friendly text, and the
//! review of what changed when the rules (or the data) change.
//!
//! A snapshot has a header (versions, files and content hashes), then one section per scheme:
//! the plan summary (`node` lines), every unit's score and rank at every level with fixed
//! decimals (`unit` lines), and the same values at full precision (`value` lines), which the
//! review reads so that float noise never counts as a change.

use crate::data::Frame;
use crate::eval::PeriodResult;
use crate::plan::{NodeKind, Plan, Weight};
use std::collections::BTreeMap;
use std::fmt::Write;

/// Decimals of the printed scores.
pub const DECIMALS: usize = 4;

/// One scheme's results, as the snapshot needs them.
pub struct SchemeRun<'a> {
    pub plan: &'a Plan,
    pub result: &'a PeriodResult<'a>,
}

/// The header lines: what the snapshot was made from.
pub struct Header {
    pub rules: Vec<(String, String)>,
    pub data: (String, String),
    pub period: Option<String>,
}

fn weight_text(w: Option<&Weight>) -> String {
    match w {
        None => "-".into(),
        Some(Weight::Fixed(x)) => format!("{x:.6}"),
        Some(Weight::Derived(m)) => format!("derived({})", m.replace(' ', "_")),
    }
}

/// Renders a snapshot.
pub fn render(header: &Header, frame: &Frame, runs: &[SchemeRun]) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# qindex snapshot: review changes with `qindex snapshot --check`, accept them with `--accept`");
    let _ = writeln!(s, "qindex {}", env!("CARGO_PKG_VERSION"));
    for (path, hash) in &header.rules {
        let _ = writeln!(s, "rules {path} {hash}");
    }
    let _ = writeln!(s, "data {} {}", header.data.0, header.data.1);
    let _ = writeln!(s, "period {}", header.period.as_deref().unwrap_or("-"));
    for run in runs {
        let plan = run.plan;
        let p = run.result;
        let _ = writeln!(s, "\n== scheme {}", plan.scheme);
        for id in plan.ids() {
            let n = plan.node(id);
            let method = match (&n.indicator, &n.group) {
                (Some(ind), _) => format!(
                    "formula={} normalise={} direction={}",
                    ind.formula
                        .text
                        .split_whitespace()
                        .collect::<Vec<_>>()
                        .join(""),
                    ind.normalise.to_string().replace(' ', ""),
                    ind.direction.to_string().replace(' ', "")
                ),
                (_, Some(g)) => format!(
                    "aggregate={} weights={}",
                    g.aggregate.to_string().replace(' ', ""),
                    g.weights
                        .to_string()
                        .split(" (")
                        .next()
                        .unwrap_or("")
                        .replace(' ', "")
                ),
                _ => String::new(),
            };
            let _ = writeln!(
                s,
                "node {} parent={} weight={} overall={} {method} tags={}",
                n.id,
                n.parent.map_or("-".into(), |q| plan.node(q).id.clone()),
                weight_text(n.weight.as_ref()),
                n.overall.map_or("-".into(), |o| format!("{o:.6}")),
                if n.tags.is_empty() {
                    "-".into()
                } else {
                    n.tags.join(",")
                }
            );
        }
        let groups: Vec<_> = plan
            .ids()
            .filter(|id| plan.node(*id).kind != NodeKind::Indicator)
            .skip(1)
            .collect();
        let mut order: Vec<usize> = (0..p.len()).collect();
        order.sort_by(|a, b| {
            frame
                .units()
                .get(p.rows[*a])
                .cmp(frame.units().get(p.rows[*b]))
        });
        for &i in &order {
            let mut line = format!(
                "unit {} score={} rank={}",
                frame.units().get(p.rows[i]),
                fixed(p.score[i]),
                rank(p.final_rank[i])
            );
            for g in &groups {
                let _ = write!(
                    line,
                    " {}={}:{}",
                    plan.node(*g).id,
                    fixed(p.value(*g, i)),
                    rank(p.rank[g.index()][i])
                );
            }
            let _ = writeln!(s, "{line}");
        }
        for &i in &order {
            let unit = frame.units().get(p.rows[i]);
            let _ = writeln!(s, "value {unit} score {}", full(p.score[i]));
            for id in plan.ids() {
                let _ = writeln!(
                    s,
                    "value {unit} {} {}",
                    plan.node(id).id,
                    full(p.value(id, i))
                );
            }
        }
    }
    s
}

fn fixed(x: f64) -> String {
    if x.is_finite() {
        format!("{x:.DECIMALS$}")
    } else {
        "-".into()
    }
}

fn full(x: f64) -> String {
    if x.is_finite() {
        format!("{x:?}")
    } else {
        "-".into()
    }
}

fn rank(r: u32) -> String {
    if r == 0 {
        "-".into()
    } else {
        r.to_string()
    }
}

/// A snapshot read back.
#[derive(Debug, Default)]
struct Parsed {
    header: Vec<String>,
    /// scheme → node id → node line
    nodes: BTreeMap<String, BTreeMap<String, String>>,
    /// scheme → unit → (printed score, printed rank, printed groups)
    units: BTreeMap<String, BTreeMap<String, BTreeMap<String, String>>>,
    /// scheme → (unit, node) → value
    values: BTreeMap<String, BTreeMap<(String, String), f64>>,
}

fn parse(text: &str) -> Parsed {
    let mut p = Parsed::default();
    let mut scheme = String::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("== scheme ") {
            scheme = rest.trim().to_string();
        } else if let Some(rest) = line.strip_prefix("node ") {
            let id = rest.split_whitespace().next().unwrap_or("").to_string();
            p.nodes
                .entry(scheme.clone())
                .or_default()
                .insert(id, rest.to_string());
        } else if let Some(rest) = line.strip_prefix("unit ") {
            let mut parts = rest.split_whitespace();
            let unit = parts.next().unwrap_or("").to_string();
            let fields: BTreeMap<String, String> = parts
                .filter_map(|f| {
                    f.split_once('=')
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                })
                .collect();
            p.units
                .entry(scheme.clone())
                .or_default()
                .insert(unit, fields);
        } else if let Some(rest) = line.strip_prefix("value ") {
            let parts: Vec<&str> = rest.split_whitespace().collect();
            if let [unit, node, v] = parts.as_slice() {
                let v = v.parse().unwrap_or(f64::NAN);
                p.values
                    .entry(scheme.clone())
                    .or_default()
                    .insert((unit.to_string(), node.to_string()), v);
            }
        } else if scheme.is_empty() && !line.starts_with('#') && !line.is_empty() {
            p.header.push(line.to_string());
        }
    }
    p
}

/// Whether two full-precision values differ by more than float noise (1e-9 relative).
fn differs(a: f64, b: f64) -> bool {
    match (a.is_nan(), b.is_nan()) {
        (true, true) => false,
        (false, false) => (a - b).abs() > 1e-9 * a.abs().max(b.abs()).max(1e-300),
        _ => true,
    }
}

/// The review of an old snapshot against a new one: `None` when nothing changed that is
/// visible at the printed precision and beyond float noise.
pub fn review(old: &str, new: &str) -> Option<String> {
    let (a, b) = (parse(old), parse(new));
    let mut out = String::new();
    for (x, y) in a.header.iter().zip(&b.header) {
        if x != y && !x.starts_with("qindex ") {
            let _ = writeln!(out, "  was: {x}\n  now: {y}");
        }
    }
    if !out.is_empty() {
        out.insert_str(0, "inputs:\n");
    }
    let schemes: Vec<&String> = a
        .nodes
        .keys()
        .chain(b.nodes.keys())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut any = false;
    for scheme in schemes {
        let mut section = String::new();
        let empty = BTreeMap::new();
        let (na, nb) = (
            a.nodes.get(scheme).unwrap_or(&empty),
            b.nodes.get(scheme).unwrap_or(&empty),
        );
        // A node's own settings; its overall weight changes whenever any weight above it does,
        // so it is counted apart.
        let own = |line: &str| -> String {
            line.split_whitespace()
                .filter(|f| !f.starts_with("overall="))
                .collect::<Vec<_>>()
                .join(" ")
        };
        let mut overall_changed = 0;
        for (id, line) in nb {
            match na.get(id) {
                None => {
                    let _ = writeln!(section, "  + node {line}");
                }
                Some(old) if own(old) != own(line) => {
                    let _ = writeln!(section, "  ~ node {}\n       → {}", own(old), own(line));
                }
                Some(old) if old != line => overall_changed += 1,
                _ => {}
            }
        }
        if overall_changed > 0 {
            let _ = writeln!(section, "  overall weights changed for {overall_changed} more nodes (their own settings did not)");
        }
        for (id, line) in na {
            if !nb.contains_key(id) {
                let _ = writeln!(section, "  - node {line}");
            }
        }
        let empty_u = BTreeMap::new();
        let (ua, ub) = (
            a.units.get(scheme).unwrap_or(&empty_u),
            b.units.get(scheme).unwrap_or(&empty_u),
        );
        let empty_v = BTreeMap::new();
        let (va, vb) = (
            a.values.get(scheme).unwrap_or(&empty_v),
            b.values.get(scheme).unwrap_or(&empty_v),
        );
        let mut moved: Vec<(i64, String, String, String)> = Vec::new();
        let mut score_changes: Vec<(f64, String, f64, f64)> = Vec::new();
        let mut group_changes = 0usize;
        for (unit, fb) in ub {
            let Some(fa) = ua.get(unit) else {
                let _ = writeln!(section, "  + unit {unit}");
                continue;
            };
            let (ra, rb) = (
                fa.get("rank").cloned().unwrap_or_default(),
                fb.get("rank").cloned().unwrap_or_default(),
            );
            if ra != rb {
                let d = match (ra.parse::<i64>(), rb.parse::<i64>()) {
                    (Ok(x), Ok(y)) => x - y,
                    _ => 0,
                };
                moved.push((d, unit.clone(), ra, rb));
            }
            let key = (unit.clone(), "score".to_string());
            let (sa, sb) = (
                va.get(&key).copied().unwrap_or(f64::NAN),
                vb.get(&key).copied().unwrap_or(f64::NAN),
            );
            if fa.get("score") != fb.get("score") && differs(sa, sb) {
                score_changes.push(((sb - sa).abs(), unit.clone(), sa, sb));
            }
            for (k, printed) in fb {
                if k == "score" || k == "rank" || fa.get(k) == Some(printed) {
                    continue;
                }
                let key = (unit.clone(), k.clone());
                let (ga, gb) = (
                    va.get(&key).copied().unwrap_or(f64::NAN),
                    vb.get(&key).copied().unwrap_or(f64::NAN),
                );
                if differs(ga, gb) || fa.get(k).is_none() {
                    group_changes += 1;
                }
            }
        }
        for unit in ua.keys() {
            if !ub.contains_key(unit) {
                let _ = writeln!(section, "  - unit {unit}");
            }
        }
        if !moved.is_empty() {
            moved.sort_by(|x, y| y.0.abs().cmp(&x.0.abs()).then(x.1.cmp(&y.1)));
            let _ = writeln!(section, "  rank changes ({} units):", moved.len());
            for (d, unit, ra, rb) in &moved {
                let _ = writeln!(section, "    {unit}: {ra} → {rb} ({d:+})");
            }
        }
        if !score_changes.is_empty() {
            score_changes.sort_by(|x, y| y.0.total_cmp(&x.0).then(x.1.cmp(&y.1)));
            let _ = writeln!(
                section,
                "  largest score changes ({} units):",
                score_changes.len()
            );
            for (_, unit, sa, sb) in score_changes.iter().take(10) {
                let _ = writeln!(
                    section,
                    "    {unit}: {} → {} ({:+.4})",
                    fixed(*sa),
                    fixed(*sb),
                    sb - sa
                );
            }
            if score_changes.len() > 10 {
                let _ = writeln!(section, "    … and {} more", score_changes.len() - 10);
            }
        }
        if group_changes > 0 {
            let _ = writeln!(
                section,
                "  group scores or ranks changed: {group_changes} (unit, group) pairs"
            );
        }
        if !section.is_empty() {
            any = true;
            let _ = writeln!(out, "scheme {scheme}:\n{section}");
        }
    }
    any.then_some(out)
}
