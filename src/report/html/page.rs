//! The HTML page: sections in order, each written only when it has content, the charts'
//! options gathered into one JSON block, ECharts and a few lines of script inline.

use super::charts::{self, shown, Spec};
use super::model::{Ranking, Report, Schemes, UnitProfile};
use super::text::{text, Text};
use super::{base64, escape, script_json, Attachment, ECHARTS};
use crate::analysis::compare::Mover;
use crate::report::methods::Cell;
use std::fmt::Write;

/// Anything a page loads must be inline: `default-src 'none'` forbids every fetch (images,
/// fonts, connections, frames), and scripts and styles are allowed only inline.
pub const CSP: &str = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'";

const STYLE: &str = include_str!("report.css");
const SCRIPT: &str = include_str!("report.js");

struct Page<'t> {
    t: &'t Text,
    body: String,
    toc: Vec<(&'static str, &'static str)>,
    specs: Vec<Spec>,
}

/// A table cell: its HTML, and the number it sorts by (right-aligned when there is one).
struct Td {
    html: String,
    sort: Option<Option<f64>>,
}

fn td(text: &str) -> Td {
    Td {
        html: escape(text),
        sort: None,
    }
}

fn td_num(x: Option<f64>, decimals: usize) -> Td {
    Td {
        html: num(x, decimals),
        sort: Some(x),
    }
}

fn td_opt(text: Option<&str>) -> Td {
    td(text.unwrap_or(""))
}

/// A number with fixed decimals, `—` when missing; one that rounds to zero has no sign.
fn num(x: Option<f64>, decimals: usize) -> String {
    match x {
        Some(x) if x.is_finite() => {
            let text = format!("{x:.decimals$}");
            match text.strip_prefix('-') {
                Some(rest) if rest.bytes().all(|b| b == b'0' || b == b'.') => rest.to_string(),
                _ => text,
            }
        }
        _ => "—".to_string(),
    }
}

/// A score as an in-cell bar over its scale.
fn td_bar(x: Option<f64>, scale: (f64, f64)) -> Td {
    let width = match x {
        Some(v) if scale.1 > scale.0 => {
            ((v - scale.0) / (scale.1 - scale.0) * 100.0).clamp(0.0, 100.0)
        }
        _ => 0.0,
    };
    Td {
        html: format!(
            "<span style=\"width:{width:.1}%\"></span><b>{}</b>",
            num(x, 2)
        ),
        sort: Some(x),
    }
}

fn td_change(change: Option<i64>) -> Td {
    let html = match change {
        Some(c) if c > 0 => format!("<span class=\"up\">▲{c}</span>"),
        Some(c) if c < 0 => format!("<span class=\"down\">▼{}</span>", -c),
        Some(_) => "=".to_string(),
        None => "—".to_string(),
    };
    Td {
        html,
        sort: Some(change.map(|c| c as f64)),
    }
}

impl Page<'_> {
    fn section(&mut self, id: &'static str, title: &'static str) {
        if !self.body.is_empty() {
            self.body.push_str("</section>\n");
        }
        self.toc.push((id, title));
        let _ = writeln!(
            self.body,
            "<section id=\"{id}\">\n<h2>{}</h2>",
            escape(title)
        );
    }

    fn h3(&mut self, text: &str) {
        let _ = writeln!(self.body, "<h3>{}</h3>", escape(text));
    }

    fn note(&mut self, text: &str) {
        let _ = writeln!(self.body, "<p class=\"note\">{}</p>", escape(text));
    }

    fn chart(&mut self, spec: Option<Spec>) {
        let Some(spec) = spec else { return };
        let _ = writeln!(
            self.body,
            "<div class=\"chart\" id=\"{}\" style=\"height:{}px\"></div>",
            escape(&spec.id),
            spec.height
        );
        self.specs.push(spec);
    }

    fn table(&mut self, sortable: bool, head: &[&str], rows: Vec<Vec<Td>>) {
        let numeric: Vec<bool> = (0..head.len())
            .map(|k| {
                rows.first()
                    .and_then(|r| r.get(k))
                    .is_some_and(|c| c.sort.is_some())
            })
            .collect();
        let class = if sortable { " class=\"sortable\"" } else { "" };
        let _ = write!(self.body, "<div class=\"wide\"><table{class}><thead><tr>");
        for (h, n) in head.iter().zip(&numeric) {
            let c = if *n { " class=\"n\"" } else { "" };
            let _ = write!(self.body, "<th{c}>{}</th>", escape(h));
        }
        self.body.push_str("</tr></thead>\n<tbody>\n");
        for row in rows {
            self.body.push_str("<tr>");
            for cell in row {
                match cell.sort {
                    Some(v) => {
                        let v = v.filter(|v| v.is_finite()).map(|v| v.to_string());
                        let bar = if cell.html.starts_with("<span style") {
                            " bar"
                        } else {
                            ""
                        };
                        let _ = write!(
                            self.body,
                            "<td class=\"n{bar}\" data-v=\"{}\">{}</td>",
                            v.unwrap_or_default(),
                            cell.html
                        );
                    }
                    None => {
                        let _ = write!(self.body, "<td>{}</td>", cell.html);
                    }
                }
            }
            self.body.push_str("</tr>\n");
        }
        self.body.push_str("</tbody></table></div>\n");
    }

    fn list(&mut self, title: &str, items: &[String]) {
        if items.is_empty() {
            return;
        }
        let _ = write!(self.body, "<p><strong>{}</strong>: ", escape(title));
        let items: Vec<String> = items.iter().map(|i| escape(i)).collect();
        let _ = writeln!(self.body, "{}</p>", items.join("、"));
    }
}

/// The page of a report.
pub fn render(r: &Report, attachments: &[Attachment]) -> String {
    let t = text(r.lang);
    let mut page = Page {
        t,
        body: String::new(),
        toc: Vec::new(),
        specs: Vec::new(),
    };
    overview(&mut page, r);
    if !attachments.is_empty() {
        let links: Vec<String> = attachments
            .iter()
            .map(|a| {
                format!(
                    "<a download=\"{}\" href=\"data:{};base64,{}\">{}</a>",
                    escape(&a.name),
                    a.mime,
                    base64(&a.bytes),
                    escape(&a.name)
                )
            })
            .collect();
        let _ = writeln!(
            page.body,
            "<p class=\"downloads\">{}: {}</p>",
            escape(page.t.downloads),
            links.join(" · ")
        );
    }
    if let Some(ranking) = &r.ranking {
        rank_section(&mut page, ranking);
    }
    if let Some(s) = &r.schemes {
        schemes(&mut page, s);
    }
    orientation(&mut page, r);
    robustness(&mut page, r);
    coherence(&mut page, r);
    profiles(&mut page, r);
    methods(&mut page, r);
    if !r.warnings.is_empty() {
        page.section("warnings", t.warnings);
        page.body.push_str("<ul class=\"warnings\">\n");
        for w in &r.warnings {
            let _ = writeln!(page.body, "<li>{}</li>", escape(w));
        }
        page.body.push_str("</ul>\n");
    }
    page.body.push_str("</section>\n");
    assemble(r, page)
}

fn assemble(r: &Report, page: Page) -> String {
    let t = page.t;
    let o = &r.overview;
    let title = o.label.clone().unwrap_or_else(|| o.index.clone());
    let mut html = String::with_capacity(ECHARTS.len() + page.body.len() + (1 << 16));
    let _ = write!(
        html,
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"qindex {}\">\n<title>{} — {}</title>\n\
         <style>\n{STYLE}</style>\n</head>\n<body>\n",
        t.html_lang,
        escape(&o.version),
        escape(&title),
        escape(t.report)
    );
    let _ = writeln!(
        html,
        "<header><h1>{}</h1><p>{}</p></header>",
        escape(&title),
        escape(t.report)
    );
    let _ = write!(html, "<nav aria-label=\"{}\">", escape(t.contents));
    for (id, name) in &page.toc {
        let _ = write!(html, "<a href=\"#{id}\">{}</a>", escape(name));
    }
    html.push_str("</nav>\n<main>\n");
    html.push_str(&page.body);
    html.push_str("</main>\n");
    let _ = writeln!(
        html,
        "<script type=\"application/json\" id=\"qi-charts\">{}</script>",
        script_json(&page.specs)
    );
    let _ = writeln!(html, "<script>{ECHARTS}</script>");
    let _ = writeln!(html, "<script>\n{SCRIPT}</script>\n</body>\n</html>");
    html
}

fn overview(page: &mut Page, r: &Report) {
    let t = page.t;
    let o = &r.overview;
    page.section("overview", t.overview);
    let mut items: Vec<(&str, String)> = vec![(
        t.index,
        match &o.label {
            Some(l) => format!("{} ({})", escape(l), escape(&o.index)),
            None => escape(&o.index),
        },
    )];
    for (k, v) in [
        (t.description, &o.description),
        (t.source, &o.source),
        (t.period, &o.period),
    ] {
        if let Some(v) = v {
            items.push((k, escape(v)));
        }
    }
    items.push((t.scheme, escape(&o.scheme)));
    items.push((t.units, o.units.to_string()));
    items.push((t.ranked, o.ranked.to_string()));
    items.push((
        t.rules_hash,
        format!("<code>{}</code>", escape(&o.rules_hash)),
    ));
    items.push((
        t.data_hash,
        format!("<code>{}</code>", escape(&o.data_hash)),
    ));
    items.push((t.version, escape(&o.version)));
    if let Some(s) = &o.stamp {
        items.push((t.written, escape(s)));
    }
    page.body.push_str("<dl class=\"kv\">\n");
    for (k, v) in items {
        let _ = writeln!(page.body, "<dt>{}</dt><dd>{v}</dd>", escape(k));
    }
    page.body.push_str("</dl>\n");
}

fn rank_section(page: &mut Page, r: &Ranking) {
    let t = page.t;
    if !r.rows.is_empty() {
        page.section("ranking", t.ranking);
        page.chart(Some(charts::ranking_bar(r, t)));
        page.note(t.ranking_note);
        let group_names: Vec<String> = r
            .groups
            .iter()
            .map(|g| shown(&g.id, g.label.as_deref()))
            .collect();
        let adjusted = r.rows.iter().any(|u| u.adjustments.is_some());
        let mut head: Vec<&str> = vec![t.rank, t.unit, t.label, t.score];
        head.extend(group_names.iter().map(String::as_str));
        if r.previous_period.is_some() {
            head.push(t.change);
        }
        if adjusted {
            head.push(t.adjustments);
        }
        let rows = r
            .rows
            .iter()
            .map(|u| {
                let mut row = vec![
                    td_num(Some(f64::from(u.rank)), 0),
                    td(&u.unit),
                    td_opt(u.label.as_deref()),
                    td_bar(u.score, r.scale),
                ];
                for (v, scale) in u.groups.iter().zip(&r.group_scales) {
                    row.push(td_bar(*v, *scale));
                }
                if r.previous_period.is_some() {
                    row.push(td_change(u.change));
                }
                if adjusted {
                    row.push(td_opt(u.adjustments.as_deref()));
                }
                row
            })
            .collect();
        page.table(true, &head, rows);
    }
    if !r.apart.is_empty() {
        page.h3(t.apart);
        let rows = r
            .apart
            .iter()
            .map(|u| {
                let reason = match (&u.reason, u.vetoed) {
                    (Some(text), _) => text.clone(),
                    (None, true) => t.vetoed.to_string(),
                    (None, false) => t.no_score.to_string(),
                };
                vec![
                    td(&u.unit),
                    td_opt(u.label.as_deref()),
                    td_num(u.score, 2),
                    td(&reason),
                ]
            })
            .collect();
        page.table(false, &[t.unit, t.label, t.score, t.reason], rows);
    }
    if let Some(spec) = charts::group_heatmap(r) {
        page.section("heatmap", t.heatmap);
        page.chart(Some(spec));
    }
}

fn schemes(page: &mut Page, s: &Schemes) {
    let (c, explained) = (&s.comparison, &s.explained);
    let names: Vec<String> = (0..c.schemes.len())
        .map(|k| shown(&c.schemes[k], s.labels.get(k).and_then(|l| l.as_deref())))
        .collect();
    let name = |id: &str| {
        let k = c.schemes.iter().position(|s| s == id);
        k.map_or_else(|| id.to_string(), |k| names[k].clone())
    };
    let t = page.t;
    page.section("schemes", t.schemes);
    for k in 1..c.schemes.len() {
        page.h3(&format!("{}: {} → {}", t.slope, names[0], names[k]));
        page.chart(Some(charts::slope(c, k, [&names[0], &names[k]], t)));
    }
    let rows = c
        .pairs
        .iter()
        .map(|p| {
            vec![
                td(&format!("{} — {}", p.a, p.b)),
                td_num(p.spearman, 3),
                td_num(p.kendall, 3),
                td_num(p.mean_abs_shift, 2),
            ]
        })
        .collect();
    page.table(false, &[t.pair, t.spearman, t.kendall, t.mean_shift], rows);
    let movers: Vec<&Mover> = c.movers.up.iter().chain(&c.movers.down).collect();
    if !movers.is_empty() {
        page.h3(t.movers);
        let rows = movers
            .iter()
            .map(|m| {
                vec![
                    td(&shown(&m.unit, m.label.as_deref())),
                    td(&name(&m.scheme)),
                    td_num(Some(f64::from(m.from)), 0),
                    td_num(Some(f64::from(m.to)), 0),
                    td_change(Some(m.shift)),
                ]
            })
            .collect();
        page.table(false, &[t.unit, t.scheme, t.from, t.to, t.change], rows);
    }
    for d in explained {
        let label = c
            .units
            .iter()
            .find(|u| u.unit == d.unit)
            .and_then(|u| u.label.as_deref());
        page.h3(&format!(
            "{}: {} ({} → {}; {} {} → {})",
            t.why_moved,
            shown(&d.unit, label),
            d.a,
            d.b,
            t.score,
            num(d.score_a, 2),
            num(d.score_b, 2)
        ));
        let mut rows: Vec<Vec<Td>> = d
            .parts
            .iter()
            .map(|p| {
                vec![
                    td(&shown(&p.node, p.label.as_deref())),
                    td_num(Some(p.weight_effect), 3),
                    td_num(Some(p.value_effect), 3),
                ]
            })
            .collect();
        if d.adjustments != 0.0 {
            rows.push(vec![
                td(t.adjustment_effect),
                td_num(None, 3),
                td_num(Some(d.adjustments), 3),
            ]);
        }
        if !rows.is_empty() {
            page.table(false, &[t.node, t.weight_effect, t.value_effect], rows);
        }
        if !d.not_split.is_empty() {
            page.note(&format!(
                "{} {}: {}",
                t.not_split,
                d.not_split.join(", "),
                num(Some(d.not_split_change), 3)
            ));
        }
    }
}

fn orientation(page: &mut Page, r: &Report) {
    let t = page.t;
    let shown_any = r.orientation.iter().any(|o| !o.tags.is_empty());
    if !shown_any {
        return;
    }
    page.section("orientation", t.orientation);
    page.note(t.orientation_note);
    for (k, o) in r.orientation.iter().enumerate() {
        if o.tags.is_empty() {
            continue;
        }
        page.h3(&format!("{} {}", t.scheme, o.scheme));
        page.chart(Some(charts::orientation(o, k, t)));
        let rows = o
            .tags
            .iter()
            .map(|s| {
                vec![
                    td(s.tag.as_deref().unwrap_or(t.untagged)),
                    td_num(Some(s.nominal), 3),
                    td_num(Some(s.importance), 3),
                ]
            })
            .collect();
        page.table(false, &[t.tag, t.nominal, t.importance], rows);
    }
}

fn robustness(page: &mut Page, r: &Report) {
    let t = page.t;
    let Some(rb) = &r.robustness else { return };
    let s = &rb.uncertainty;
    page.section("robustness", t.robustness);
    page.note(t.robustness_note);
    let _ = writeln!(
        page.body,
        "<dl class=\"kv\"><dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{}</dd></dl>",
        escape(t.samples),
        s.samples,
        escape(t.marc),
        num(s.marc, 3)
    );
    for n in &s.notes {
        page.note(n);
    }
    page.chart(Some(charts::intervals(s, t)));
    let rows = s
        .units
        .iter()
        .map(|u| {
            vec![
                td(&u.unit),
                td_opt(u.label.as_deref()),
                td_num(u.nominal_rank.map(f64::from), 0),
                td_num(u.median_rank, 1),
                td_num(u.p05_rank, 1),
                td_num(u.p95_rank, 1),
            ]
        })
        .collect();
    page.table(
        true,
        &[t.unit, t.label, t.nominal_rank, t.median_rank, t.p05, t.p95],
        rows,
    );
    if let Some(alone) = &s.survey_alone {
        page.h3(t.survey_alone);
        page.note(t.survey_alone_note);
        let label = |unit: &str| {
            s.units
                .iter()
                .find(|u| u.unit == unit)
                .and_then(|u| u.label.as_deref())
        };
        let rows = alone
            .swaps
            .iter()
            .map(|w| {
                vec![
                    td_num(Some(f64::from(w.higher_rank)), 0),
                    td(&w.higher),
                    td_opt(label(&w.higher)),
                    td_num(Some(f64::from(w.lower_rank)), 0),
                    td(&w.lower),
                    td_opt(label(&w.lower)),
                    td_num(Some(w.share * 100.0), 0),
                ]
            })
            .collect();
        page.table(
            true,
            &[
                t.nominal_rank,
                t.unit,
                t.label,
                t.swaps_with,
                t.unit,
                t.label,
                t.share,
            ],
            rows,
        );
    }
    if let Some(sens) = &rb.sensitivity {
        if let Some(e) = sens.entries.first() {
            page.h3(t.sobol);
            page.chart(charts::sobol(sens, t));
            let defined = |x: &f64| x.is_finite().then_some(*x);
            let rows = sens
                .factors
                .iter()
                .enumerate()
                .map(|(k, f)| {
                    vec![
                        td(f),
                        td_num(e.s1.get(k).and_then(defined), 3),
                        td_num(e.st.get(k).and_then(defined), 3),
                    ]
                })
                .collect();
            page.table(false, &[t.factor, t.first_order, t.total], rows);
            for n in &sens.notes {
                page.note(n);
            }
        }
    }
}

fn coherence(page: &mut Page, r: &Report) {
    let t = page.t;
    let Some(c) = &r.coherence else { return };
    page.section("coherence", t.coherence);
    if let Some(spec) = charts::correlations(c) {
        page.h3(t.correlations);
        page.chart(Some(spec));
    }
    let rows: Vec<Vec<Td>> = c
        .groups
        .iter()
        .filter(|g| g.alpha.is_some())
        .map(|g| vec![td(&shown(&g.id, g.label.as_deref())), td_num(g.alpha, 3)])
        .collect();
    if !rows.is_empty() {
        page.table(false, &[t.group, t.alpha], rows);
    }
    if !c.flags.is_empty() {
        page.h3(t.flags);
        page.body.push_str("<ul>\n");
        for f in &c.flags {
            let _ = writeln!(
                page.body,
                "<li><code>{}</code> {}</li>",
                escape(f.code),
                escape(&f.message)
            );
        }
        page.body.push_str("</ul>\n");
    }
}

fn profiles(page: &mut Page, r: &Report) {
    let t = page.t;
    if r.profiles.is_empty() {
        return;
    }
    page.section("profiles", t.profiles);
    let groups: Vec<(String, Option<String>, (f64, f64))> = match &r.ranking {
        Some(k) => k
            .groups
            .iter()
            .zip(&k.group_scales)
            .map(|(g, s)| (g.id.clone(), g.label.clone(), *s))
            .collect(),
        None => Vec::new(),
    };
    page.body.push_str("<div class=\"cards\">\n");
    for (k, u) in r.profiles.iter().enumerate() {
        card(page, u, k, &groups);
    }
    page.body.push_str("</div>\n");
}

fn card(
    page: &mut Page,
    u: &UnitProfile,
    k: usize,
    groups: &[(String, Option<String>, (f64, f64))],
) {
    let t = page.t;
    let p = &u.profile;
    let _ = writeln!(
        page.body,
        "<div class=\"card\">\n<h3>{}</h3>\n<p>{} {} · {} {}</p>",
        escape(&shown(&p.unit, p.label.as_deref())),
        escape(t.score),
        num(p.score, 2),
        escape(t.rank),
        p.rank
            .map_or("—".to_string(), |r| format!("{r}/{}", p.units_ranked))
    );
    page.chart(charts::radar(u, k, groups, t));
    let names = |ids: &[String]| -> Vec<String> {
        ids.iter()
            .map(|id| {
                let label = p.node(id).and_then(|n| n.label.as_deref());
                shown(id, label)
            })
            .collect()
    };
    page.list(t.strengths, &names(&p.strengths));
    page.list(t.weaknesses, &names(&p.weaknesses));
    page.list(t.improvements, &names(&p.improvements));
    page.body.push_str("</div>\n");
}

fn methods(page: &mut Page, r: &Report) {
    let t = page.t;
    page.section("methods", t.methods);
    let head: Vec<&str> = r.methods.headings.iter().map(String::as_str).collect();
    let rows = r
        .methods
        .rows
        .iter()
        .map(|row| {
            row.iter()
                .map(|c| match c {
                    Cell::Empty => td(""),
                    Cell::Text(s) => td(s),
                    Cell::Number(x) => td_num(Some(*x), if x.fract() == 0.0 { 0 } else { 4 }),
                })
                .collect()
        })
        .collect();
    page.table(false, &head, rows);
}

#[cfg(test)]
mod tests {
    use super::num;

    #[test]
    fn numbers_round_without_a_negative_zero() {
        assert_eq!(num(Some(-0.0001), 3), "0.000");
        assert_eq!(num(Some(-0.0), 0), "0");
        assert_eq!(num(Some(-0.0006), 3), "-0.001");
        assert_eq!(num(Some(2.5), 2), "2.50");
        assert_eq!(num(Some(f64::NAN), 2), "—");
        assert_eq!(num(None, 2), "—");
    }
}
