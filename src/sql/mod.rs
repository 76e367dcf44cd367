//! The Plan compiled to one SQL query (`qindex sql`, `qindex run --engine datafusion`).
//!
//! The query reads one table (the data file's columns) and returns one row per unit and period:
//! `unit`, `period` (when the index has `over`), `score`, `rank`, then one column per node id
//! with its value. It is built as a chain of CTEs, one per stage of the native engine
//! (`src/eval`): the formulas, the statistics of each step over the units of a block (a period,
//! or the whole panel), the treated and normalised values, each level of groups, the
//! adjustments and the ranks. Missing values are NULLs.
//!
//! What the SQL cannot compute as the native engine does is refused with a diagnostic at the
//! setting (see [`not_covered`]), never compiled to something different.

#[cfg(feature = "datafusion")]
pub mod engine;
mod expr;

use crate::diagnostics::Diagnostic;
use crate::eval::PeriodChoice;
use crate::plan::{
    AdjustKind, Aggregate, Code, Direction, MissingPolicy, Node, NodeId, NodeKind, Normalise, Plan,
    RatioTo, Reference, SettingKey, Transform, Weight, Weights, Winsorise,
};
use crate::Error;
use expr::{Counting, ExprCx, Sql};
use std::fmt::Write as _;

/// The SQL dialect to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Dialect {
    /// Apache DataFusion (also Ballista).
    Datafusion,
    /// Spark SQL (spark-sql, PySpark, Hive tables).
    Spark,
    Postgres,
    Duckdb,
}

impl Dialect {
    /// A quoted identifier.
    pub fn ident(self, name: &str) -> String {
        match self {
            Dialect::Spark => format!("`{}`", name.replace('`', "``")),
            _ => format!("\"{}\"", name.replace('"', "\"\"")),
        }
    }

    fn double(self) -> &'static str {
        match self {
            Dialect::Postgres => "DOUBLE PRECISION",
            _ => "DOUBLE",
        }
    }

    fn text(self) -> &'static str {
        match self {
            Dialect::Spark => "STRING",
            _ => "VARCHAR",
        }
    }

    /// A double literal (never a decimal or an integer: `7 / 2` must be 3.5).
    pub fn num(self, x: f64) -> String {
        if !x.is_finite() {
            return format!("CAST(NULL AS {})", self.double());
        }
        let mut s = format!("{x:?}");
        if !s.contains(['.', 'e', 'E']) {
            s.push_str(".0");
        }
        match self {
            Dialect::Datafusion => s,
            Dialect::Spark => format!("{s}D"),
            Dialect::Postgres => format!("CAST({s} AS DOUBLE PRECISION)"),
            Dialect::Duckdb => format!("CAST({s} AS DOUBLE)"),
        }
    }

    fn string(self, s: &str) -> String {
        match self {
            Dialect::Spark => format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'")),
            _ => format!("'{}'", s.replace('\'', "''")),
        }
    }

    /// A text cell read as a number: missing when it is not one.
    fn to_double(self, x: &str) -> String {
        match self {
            Dialect::Postgres => format!(
                "CASE WHEN TRIM(CAST({x} AS VARCHAR)) ~ '^[-+]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][-+]?[0-9]+)?$' \
                 THEN CAST(TRIM(CAST({x} AS VARCHAR)) AS DOUBLE PRECISION) END"
            ),
            Dialect::Spark => format!("TRY_CAST(TRIM(CAST({x} AS STRING)) AS DOUBLE)"),
            _ => format!("TRY_CAST(TRIM(CAST({x} AS VARCHAR)) AS DOUBLE)"),
        }
    }

    /// The median aggregate (type 7: the mean of the two middle values).
    fn median(self, x: &str) -> String {
        self.percentile(x, 0.5)
    }

    /// The type-7 quantile aggregate (linear interpolation, R's default, `stats::quantile`).
    /// DataFusion's `PERCENTILE_CONT` is approximate (a t-digest: 96.224599948 for 96.2246),
    /// so there the sorted values are gathered and the two order statistics interpolated as
    /// `stats::quantile_sorted` does: x₍ₗ₎ + (h − l)(x₍ₗ₊₁₎ − x₍ₗ₎), h = (n − 1)p, l = ⌊h⌋.
    fn percentile(self, x: &str, p: f64) -> String {
        let ps = format!("{p:?}");
        match self {
            Dialect::Spark => format!("PERCENTILE({x}, {ps})"),
            Dialect::Duckdb => format!("QUANTILE_CONT({x}, {ps})"),
            Dialect::Postgres => format!("PERCENTILE_CONT({ps}) WITHIN GROUP (ORDER BY {x})"),
            Dialect::Datafusion => {
                let sorted = format!("ARRAY_AGG({x} ORDER BY {x}) FILTER (WHERE {x} IS NOT NULL)");
                let n = format!("COUNT({x})");
                let h = format!("(CAST({n} - 1 AS DOUBLE) * {ps})");
                let l = format!("CAST(FLOOR({h}) AS BIGINT)");
                let at = |i: String| format!("ARRAY_ELEMENT({sorted}, {i})");
                let lo = at(format!("{l} + 1"));
                let hi = at(format!("LEAST({l} + 2, {n})"));
                format!(
                    "CASE WHEN {n} > 0 THEN {lo} + ({h} - CAST({l} AS DOUBLE)) * ({hi} - {lo}) END"
                )
            }
        }
    }
}

/// What to compile.
#[derive(Debug, Clone)]
pub struct SqlOptions {
    pub dialect: Dialect,
    /// The table the query reads.
    pub table: String,
    pub period: PeriodChoice,
    /// `--where`: rows that fail it are neither ranked nor returned.
    pub filter: Option<Code>,
    /// The table of each survey's respondents (survey id, table); a survey not listed is
    /// read from the table named like it.
    pub survey_tables: Vec<(String, String)>,
}

impl SqlOptions {
    /// The table holding survey `id`'s respondents.
    pub fn survey_table(&self, id: &str) -> String {
        self.survey_tables
            .iter()
            .find(|(s, _)| s == id)
            .map_or_else(|| id.to_string(), |(_, t)| t.clone())
    }
}

impl Default for SqlOptions {
    fn default() -> Self {
        SqlOptions {
            dialect: Dialect::Datafusion,
            table: "data".into(),
            period: PeriodChoice::Latest,
            filter: None,
            survey_tables: Vec::new(),
        }
    }
}

/// Columns added to CTE levels one after another (the lets, `units where`, and window
/// arguments that contain window functions themselves).
#[derive(Default)]
pub(crate) struct Layers {
    /// `levels[k]` holds the columns of level k + 1: (name, SQL).
    levels: Vec<Vec<(String, String)>>,
    hoisted: usize,
}

impl Layers {
    fn place(&mut self, level: usize, name: String, sql: String) {
        let level = level.max(1);
        while self.levels.len() < level {
            self.levels.push(Vec::new());
        }
        self.levels[level - 1].push((name, sql));
    }

    fn hoist(&mut self, level: usize, sql: String) -> String {
        self.hoisted += 1;
        let name = format!("_h{}", self.hoisted);
        self.place(level, name.clone(), sql);
        name
    }
}

/// Compiles `plan` to one SQL query; a diagnostic for each setting it cannot compile.
pub fn compile(plan: &Plan, opts: &SqlOptions) -> Result<String, Error> {
    let diagnostics = not_covered(plan);
    if !diagnostics.is_empty() {
        return Err(Error::Diagnostics(diagnostics));
    }
    Ok(Compiler::new(plan, opts).query())
}

/// The settings the SQL does not compile, each at its span with what to use instead.
pub fn not_covered(plan: &Plan) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let code = "sql-not-covered";
    for l in plan
        .lets
        .iter()
        .map(|l| &l.code)
        .chain(plan.adjustments.iter().map(|a| &a.code))
        .chain(plan.units_where.iter())
        .chain(
            plan.nodes
                .iter()
                .filter_map(|n| n.indicator.as_ref().map(|i| &i.formula)),
        )
    {
        if let Some(d) = formula_not_covered(l) {
            out.push(d);
        }
    }
    for node in &plan.nodes {
        if let Some(ind) = &node.indicator {
            if ind.winsorise == Winsorise::Auto {
                out.push(node.setting_error(
                    SettingKey::Winsorise,
                    code,
                    format!("`winsorise auto` of `{}` is not compiled to SQL: COINr's rule (skew and kurtosis, clipping one value at a time) is iterative", node.id),
                ).with_hint("use `winsorise P1..P2` (percentile clipping, e.g. `winsorise 5%..95%`), or the native engine"));
            }
            if let Normalise::Ratio(RatioTo::Unit(name)) = &ind.normalise {
                out.push(
                    node.setting_error(
                        SettingKey::Normalise,
                        code,
                        format!(
                            "`normalise ratio unit \"{name}\"` of `{}` is not compiled to SQL",
                            node.id
                        ),
                    )
                    .with_hint(
                        "use `normalise ratio mean|max|min`, or divide by the unit's value in a `let`, or the native engine",
                    ),
                );
            }
        }
        if let Some(g) = &node.group {
            let what = match g.aggregate {
                Aggregate::Copeland { .. } => {
                    Some("Copeland's pairwise count compares every pair of units")
                }
                Aggregate::Grey(_) => Some("grey relational analysis"),
                Aggregate::MazziottaPareto => Some("the Mazziotta–Pareto index"),
                _ => None,
            };
            if let Some(what) = what {
                out.push(
                    node.setting_error(
                        SettingKey::Aggregate,
                        code,
                        format!(
                            "`aggregate {}` of `{}` is not compiled to SQL ({what})",
                            g.aggregate, node.id
                        ),
                    )
                    .with_hint("use `aggregate arithmetic`, `geometric`, `harmonic`, `power P`, `min` or `topsis`, or the native engine"),
                );
            }
            let derived = node
                .children
                .iter()
                .any(|c| !matches!(plan.node(*c).weight, Some(Weight::Fixed(_))));
            let bad = match &g.weights {
                Weights::Pca { .. } => Some("PCA weights need an eigendecomposition"),
                Weights::Combine { parts, .. }
                    if parts.iter().any(|(w, _)| matches!(w, Weights::Pca { .. })) =>
                {
                    Some("PCA weights need an eigendecomposition")
                }
                _ => None,
            };
            if let (Some(what), true) = (bad, derived) {
                out.push(
                    node.setting_error(
                        SettingKey::Weights,
                        code,
                        format!("`weights {}` of `{}` is not compiled to SQL ({what})", g.weights, node.id),
                    )
                    .with_hint("use `weights entropy`, `critic`, `sd` or `cv`, fixed weights, or the native engine"),
                );
            }
        }
    }
    out
}

/// `round(x, d)` with a digits argument that is not a constant.
fn formula_not_covered(code: &Code) -> Option<Diagnostic> {
    let tree = expr::tree(code)?;
    fn walk(e: &expr::Expr) -> bool {
        use expr::Expr::*;
        match e {
            Const(_) | Column(_) | Let(_) => true,
            Neg(a) | Not(a) => walk(a),
            Binary(_, a, b) => walk(a) && walk(b),
            Select(a, b, c) => walk(a) && walk(b) && walk(c),
            Call(f, args) => {
                let constant_second = matches!(
                    f,
                    crate::plan::Func::Round | crate::plan::Func::Lag | crate::plan::Func::Growth
                );
                (!constant_second || args.len() < 2 || matches!(args[1], Const(_)))
                    && args.iter().all(walk)
            }
        }
    }
    (!walk(&tree)).then(|| {
        Diagnostic::error(
            "sql-not-covered",
            format!(
                "`{}`: the digits of `round` and the periods of `lag` and `growth` must be numbers to compile to SQL",
                code.text
            ),
        )
        .with_span(code.span)
    })
}

struct Compiler<'a> {
    plan: &'a Plan,
    opts: &'a SqlOptions,
    d: Dialect,
    ctes: Vec<(String, String, String)>,
    has_period: bool,
    /// Statistics are per period (`reference period`) or over the panel.
    per_period: bool,
    /// The columns every stage after the formulas carries.
    carry: Vec<String>,
}

impl<'a> Compiler<'a> {
    fn new(plan: &'a Plan, opts: &'a SqlOptions) -> Self {
        let has_period = plan.index.period_column.is_some();
        let mut carry = vec!["_u".to_string(), "_p".into(), "_unit".into()];
        if has_period {
            carry.push("_pidx".into());
        }
        for k in 0..plan.adjustments.len() {
            carry.push(format!("_adj{k}"));
        }
        Compiler {
            plan,
            opts,
            d: opts.dialect,
            ctes: Vec::new(),
            has_period,
            per_period: has_period && plan.index.reference == Reference::Period,
            carry,
        }
    }

    fn q(&self, name: &str) -> String {
        self.d.ident(name)
    }

    /// The columns `missing mean by` and `median by` read categories from, in first use.
    fn categories(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for id in self.plan.indicators() {
            for p in &self.plan.node(id).indicator.as_ref().expect("ind").missing {
                if let MissingPolicy::MeanBy(c) | MissingPolicy::MedianBy(c) = p {
                    if !out.contains(c) {
                        out.push(c.clone());
                    }
                }
            }
        }
        out
    }

    fn cte(&mut self, name: &str, comment: String, body: String) {
        self.ctes.push((name.to_string(), comment, body));
    }

    fn last(&self) -> String {
        self.ctes.last().map(|c| c.0.clone()).unwrap_or_default()
    }

    /// `GROUP BY` of a statistics CTE and its join back.
    fn group_by(&self) -> &'static str {
        if self.per_period {
            " GROUP BY _p"
        } else {
            ""
        }
    }

    fn join(&self, stats: &str, alias: &str) -> String {
        if self.per_period {
            format!(" LEFT JOIN {stats} {alias} ON {alias}._p = k._p")
        } else {
            format!(" CROSS JOIN {stats} {alias}")
        }
    }

    fn block_partition(&self) -> &'static str {
        if self.per_period {
            "PARTITION BY k._p"
        } else {
            ""
        }
    }

    fn stats_key(&self) -> &'static str {
        if self.per_period {
            "_p, "
        } else {
            ""
        }
    }

    fn carried(&self) -> String {
        self.carry
            .iter()
            .map(|c| format!("k.{c}"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn query(mut self) -> String {
        let plan = self.plan;
        let d = self.d;
        let surveys = self.surveys();
        self.base(&surveys);
        self.formulas();
        let indicators: Vec<NodeId> = plan.indicators().collect();
        self.impute(&indicators);
        self.transform(&indicators);
        self.winsorise(&indicators);
        self.normalise(&indicators);
        self.groups();
        self.adjust();
        self.rank();

        let mut out = String::new();
        let _ = writeln!(
            out,
            "-- qindex: index `{}`{}, scheme `{}`, dialect {:?}; table {}",
            plan.index.id,
            label_comment(plan.index.label.as_deref()),
            plan.scheme,
            self.d,
            self.opts.table
        );
        let _ = writeln!(
            out,
            "-- One row per unit and period: unit, period, score (with adjustments), rank (0 = unranked), then each node's value."
        );
        for (i, (name, comment, body)) in self.ctes.iter().enumerate() {
            let _ = writeln!(out, "-- {comment}");
            let _ = writeln!(
                out,
                "{}{name} AS (\n{body}\n){}",
                if i == 0 { "WITH " } else { "" },
                if i + 1 == self.ctes.len() { "" } else { "," }
            );
        }
        let mut cols = vec!["_u AS unit".to_string()];
        if self.has_period {
            cols.push("_p AS period".into());
        }
        cols.push("_s AS score".into());
        cols.push("_rank AS rank".into());
        for id in plan.ids() {
            let n = plan.node(id);
            // A node called like a leading column is returned as `node:ID`.
            let name = if ["unit", "period", "score", "rank"].contains(&n.id.as_str()) {
                format!("{} AS {}", self.q(&n.id), self.q(&format!("node:{}", n.id)))
            } else {
                self.q(&n.id)
            };
            cols.push(format!("{name}{}", label_comment(n.label.as_deref())));
        }
        let mut filter = Vec::new();
        match &self.opts.period {
            _ if !self.has_period => {}
            PeriodChoice::Latest => {
                filter.push("_pidx = (SELECT MAX(_pidx) FROM base)".to_string())
            }
            PeriodChoice::One(p) => filter.push(format!("_p = {}", d.string(p))),
            PeriodChoice::All => {}
        }
        let _ = write!(
            out,
            "SELECT\n  {}\nFROM ranked{}\nORDER BY {}CASE WHEN _rank = 0 THEN 1 ELSE 0 END, _rank, _u",
            cols.join(",\n  "),
            if filter.is_empty() {
                String::new()
            } else {
                format!("\nWHERE {}", filter.join(" AND "))
            },
            if self.has_period { "_pidx, " } else { "" }
        );
        out.push('\n');
        out
    }

    /// The surveys the formulas read, each as a CTE of estimates per unit and period from its
    /// respondent table: item scores, respondents' dimension scores, then the weighted means
    /// (LANGUAGE.md "Surveys"). Returns (survey id, CTE name, its estimates read) in order.
    fn surveys(&mut self) -> Vec<(String, String, Vec<String>)> {
        let plan = self.plan;
        let d = self.d;
        let mut read: Vec<(String, Vec<String>)> = Vec::new();
        for c in &plan.columns {
            let Some(r) = &c.survey else { continue };
            match read.iter_mut().find(|(s, _)| *s == r.survey) {
                Some((_, names)) if !names.contains(&r.estimate) => names.push(r.estimate.clone()),
                Some(_) => {}
                None => read.push((r.survey.clone(), vec![r.estimate.clone()])),
            }
        }
        let mut out = Vec::new();
        for (id, estimates) in read {
            let Some(sp) = plan.surveys.iter().find(|s| s.design.id == id) else {
                continue;
            };
            let design = &sp.design;
            let table = self.opts.survey_table(&id);
            let text = |col: &str| format!("CAST(r.{} AS {})", d.ident(col), d.text());
            // The dimensions read, and the items read alone or through them.
            let dims: Vec<&crate::analysis::survey::SurveyDimension> = design
                .dimensions
                .iter()
                .filter(|dim| estimates.contains(&dim.id))
                .collect();
            let mut items: Vec<(
                &crate::analysis::survey::SurveyDimension,
                &crate::analysis::survey::SurveyItem,
            )> = Vec::new();
            for dim in &design.dimensions {
                for item in &dim.items {
                    if dims.iter().any(|x| x.id == dim.id) || estimates.contains(&item.id) {
                        items.push((dim, item));
                    }
                }
            }
            let mut cols = vec![format!("{} AS _su", text(&design.by))];
            cols.push(match &design.over {
                Some(p) => format!("{} AS _sp", text(p)),
                None => format!("CAST(NULL AS {}) AS _sp", d.text()),
            });
            cols.push(match &design.weight {
                Some(w) => {
                    let w = d.to_double(&format!("r.{}", d.ident(w)));
                    format!("CASE WHEN {w} > 0.0 THEN {w} END AS _sw")
                }
                None => format!("{} AS _sw", d.num(1.0)),
            });
            for (dim, item) in &items {
                let x = d.to_double(&format!("r.{}", d.ident(&item.id)));
                let score = match design.scale_of(dim, item) {
                    Some(sc) if sc.is_valid() => {
                        let (lo, hi) = (d.num(sc.lo), d.num(sc.hi));
                        let mut no_answer = vec![format!("{x} IS NULL")];
                        for k in &design.dont_know {
                            no_answer.push(format!("{x} = {}", d.num(*k)));
                        }
                        no_answer.push(format!("{x} < {lo} OR {x} > {hi}"));
                        let v = if item.reverse {
                            format!("{lo} + {hi} - {x}")
                        } else {
                            x.clone()
                        };
                        format!(
                            "CASE WHEN {} THEN CAST(NULL AS {}) ELSE ({v} - {lo}) / ({hi} - {lo}) * {} END",
                            no_answer.join(" OR "),
                            d.double(),
                            d.num(100.0)
                        )
                    }
                    _ => format!("CAST(NULL AS {})", d.double()),
                };
                cols.push(format!(
                    "{score} AS {}{}",
                    d.ident(&item.id),
                    label_comment(item.label.as_deref())
                ));
            }
            let items_cte = format!("survey_{}_items", out.len());
            self.cte(
                &items_cte,
                format!(
                    "survey `{id}`{}: each respondent's item scores on 0..100 (no answer: empty, not a number, a `dont_know` code or outside the scale)",
                    label_comment(design.label.as_deref())
                ),
                format!("  SELECT {}\n  FROM {table} r", cols.join(",\n    ")),
            );
            let mut cols = vec!["i._su".to_string(), "i._sp".into(), "i._sw".into()];
            for (_, item) in &items {
                if estimates.contains(&item.id) {
                    cols.push(format!("i.{}", d.ident(&item.id)));
                }
            }
            for dim in &dims {
                let total: f64 = dim.items.iter().map(|i| i.weight).sum();
                let mut answered = Vec::new();
                let mut sum = vec![d.num(0.0)];
                for item in &dim.items {
                    let s = format!("i.{}", d.ident(&item.id));
                    let w = d.num(item.weight);
                    answered.push(format!(
                        "CASE WHEN {s} IS NULL THEN {} ELSE {w} END",
                        d.num(0.0)
                    ));
                    sum.push(format!("COALESCE({w} * {s}, {})", d.num(0.0)));
                }
                let answered = format!("({})", answered.join(" + "));
                cols.push(format!(
                    "CASE WHEN {answered} > 0.0 AND {} * {answered} >= {} THEN ({}) / {answered} END AS {}{}",
                    d.num(2.0),
                    d.num(total),
                    sum.join(" + "),
                    d.ident(&dim.id),
                    label_comment(dim.label.as_deref())
                ));
            }
            let answers_cte = format!("survey_{}_answers", out.len());
            self.cte(
                &answers_cte,
                format!("survey `{id}`: each respondent's dimension scores (the weighted mean of the answered items, when they carry at least half of the dimension's item weight)"),
                format!("  SELECT {}\n  FROM {items_cte} i", cols.join(",\n    ")),
            );
            let mut cols = vec!["_su".to_string(), "_sp".into()];
            for e in &estimates {
                let y = d.ident(e);
                let mean = format!(
                    "SUM(CASE WHEN {y} IS NOT NULL THEN _sw * {y} END) / SUM(CASE WHEN {y} IS NOT NULL THEN _sw END)"
                );
                let mean = match design.min_respondents {
                    Some(m) => format!("CASE WHEN COUNT(*) >= {m} THEN {mean} END"),
                    None => mean,
                };
                cols.push(format!("{mean} AS {y}"));
            }
            let name = format!("survey_{}", out.len());
            self.cte(
                &name,
                format!(
                    "survey `{id}`: the estimates per unit and period, Σw·y / Σw over the respondents with a value{}",
                    match design.min_respondents {
                        Some(m) => format!(" (none below {m} respondents)"),
                        None => String::new(),
                    }
                ),
                format!(
                    "  SELECT {}\n  FROM {answers_cte}\n  GROUP BY _su, _sp",
                    cols.join(",\n    ")
                ),
            );
            out.push((id, name, estimates));
        }
        out
    }

    /// The table's columns, read as numbers; the unit and period as text.
    fn base(&mut self, surveys: &[(String, String, Vec<String>)]) {
        let plan = self.plan;
        let d = self.d;
        let idx = &plan.index;
        let t = |name: &str| format!("t.{}", d.ident(name));
        let mut cols = vec![format!(
            "CAST({} AS {}) AS _u",
            t(&idx.unit_column),
            d.text()
        )];
        match &idx.period_column {
            Some(p) => {
                cols.push(format!("CAST({} AS {}) AS _p", t(p), d.text()));
                // The periods in order: numerically when they are numbers, else as text.
                cols.push(format!(
                    "DENSE_RANK() OVER (ORDER BY {} NULLS LAST, CAST({} AS {})) AS _pidx",
                    d.to_double(&t(p)),
                    t(p),
                    d.text()
                ));
            }
            None => cols.push(format!("CAST(NULL AS {}) AS _p", d.text())),
        }
        if plan.units_where.is_none() && self.opts.filter.is_none() {
            cols.push("TRUE AS _unit".into());
        }
        if self.opts.filter.is_none() {
            cols.push("TRUE AS _inc".into());
        }
        for c in self.categories() {
            cols.push(format!(
                "COALESCE(TRIM(CAST({} AS {})), '') AS {}",
                t(&c),
                d.text(),
                self.q(&format!("cat:{c}"))
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for c in &plan.columns {
            if !seen.insert(c.name.as_str()) {
                continue;
            }
            let value = match &c.survey {
                Some(r) => match surveys.iter().position(|(id, ..)| *id == r.survey) {
                    Some(k) => format!("s{k}.{}", d.ident(&r.estimate)),
                    None => format!("CAST(NULL AS {})", d.double()),
                },
                None => d.to_double(&t(&c.name)),
            };
            cols.push(format!("{value} AS {}", self.q(&c.name)));
        }
        let mut from = format!("{} t", self.opts.table);
        for (k, (id, cte, _)) in surveys.iter().enumerate() {
            let over = plan
                .surveys
                .iter()
                .find(|s| s.design.id == *id)
                .is_some_and(|s| s.design.over.is_some());
            let _ = write!(
                from,
                "\n  LEFT JOIN {cte} s{k} ON s{k}._su = CAST({} AS {})",
                t(&idx.unit_column),
                d.text()
            );
            if let (true, Some(p)) = (over, &idx.period_column) {
                let _ = write!(from, " AND s{k}._sp = CAST({} AS {})", t(p), d.text());
            }
        }
        self.cte(
            "base",
            "the data: unit and period as text, every column the rules read as a number (missing when not one)".into(),
            format!("  SELECT {}\n  FROM {from}", cols.join(",\n    ")),
        );
    }

    /// Lets, `units where`, `--where`, then every indicator's formula and the adjustments'
    /// values.
    fn formulas(&mut self) {
        let plan = self.plan;
        let d = self.d;
        let mut layers = Layers::default();
        let mut let_level = Vec::with_capacity(plan.lets.len());
        let mut unit_level = 0;
        let has_period = self.has_period;
        let compile = |layers: &mut Layers,
                       let_level: &[usize],
                       unit_level: usize,
                       counting: Counting,
                       code: &Code|
         -> Sql {
            let mut cx = ExprCx {
                plan,
                d,
                layers,
                let_level,
                unit_level,
                counting,
                has_period,
            };
            match expr::tree(code) {
                Some(t) => cx.compile(&t),
                None => Sql {
                    text: d.num(f64::NAN),
                    level: 1,
                    window: false,
                    boolean: false,
                },
            }
        };
        for l in &plan.lets {
            let s = compile(&mut layers, &let_level, 0, Counting::AllRows, &l.code);
            let s = num_of(s);
            let_level.push(s.level.max(1));
            layers.place(s.level, expr::let_column(&l.name), s.text);
        }
        let condition = |s: Sql| -> Sql {
            let text = if s.boolean {
                format!("COALESCE({}, FALSE)", s.text)
            } else {
                format!("COALESCE({} <> 0.0, FALSE)", s.text)
            };
            Sql {
                text,
                boolean: true,
                ..s
            }
        };
        let mut inc_level = 0;
        if let Some(f) = &self.opts.filter {
            let s = condition(compile(&mut layers, &let_level, 0, Counting::AllRows, f));
            inc_level = s.level.max(1);
            layers.place(inc_level, "_inc".into(), s.text);
        }
        match &plan.units_where {
            Some(u) => {
                let s = condition(compile(&mut layers, &let_level, 0, Counting::AllRows, u));
                let level = s.level.max(inc_level + 1).max(1);
                layers.place(level, "_unit".into(), format!("({} AND _inc)", s.text));
                unit_level = level;
            }
            None if self.opts.filter.is_some() => {
                let level = inc_level + 1;
                layers.place(level, "_unit".into(), "_inc".into());
                unit_level = level;
            }
            None => {}
        }
        // The formulas of the indicators and the adjustments, over the units.
        let mut outputs: Vec<(String, String)> = Vec::new();
        for id in plan.indicators() {
            let n = plan.node(id);
            let ind = n.indicator.as_ref().expect("an indicator");
            let s = num_of(compile(
                &mut layers,
                &let_level,
                unit_level,
                Counting::Units,
                &ind.formula,
            ));
            outputs.push((n.id.clone(), s.text));
        }
        for (k, a) in plan.adjustments.iter().enumerate() {
            let s = compile(
                &mut layers,
                &let_level,
                unit_level,
                Counting::Units,
                &a.code,
            );
            let s = num_of(s);
            outputs.push((format!("_adj{k}"), s.text));
        }
        let mut prev = "base".to_string();
        for (i, cols) in layers.levels.iter().enumerate() {
            let name = format!("step{}", i + 1);
            let list: Vec<String> = cols
                .iter()
                .map(|(n, s)| format!("{s} AS {}", d.ident(n)))
                .collect();
            let what: Vec<String> = cols
                .iter()
                .filter(|(n, _)| !n.starts_with("_h"))
                .map(|(n, _)| n.strip_prefix("let:").unwrap_or(n).to_string())
                .collect();
            self.cte(
                &name,
                format!(
                    "derived values, step {}{}",
                    i + 1,
                    if what.is_empty() {
                        String::new()
                    } else {
                        format!(": {}", what.join(", "))
                    }
                ),
                format!("  SELECT *,\n    {}\n  FROM {prev}", list.join(",\n    ")),
            );
            prev = name;
        }
        let mut cols: Vec<String> = vec!["_u".into(), "_p".into()];
        if self.has_period {
            cols.push("_pidx".into());
        }
        cols.push("_unit".into());
        cols.push("_inc".into());
        for c in self.categories() {
            cols.push(self.q(&format!("cat:{c}")));
        }
        for (name, sql) in &outputs {
            let label = plan
                .find(name)
                .map(|id| {
                    let n = plan.node(id);
                    label_comment(n.label.as_deref())
                })
                .unwrap_or_default();
            cols.push(format!("{sql} AS {}{label}", self.q(name)));
        }
        // `missing carry`: the unit's value of the previous period.
        let carries: Vec<&Node> = plan
            .indicators()
            .map(|id| plan.node(id))
            .filter(|n| {
                n.indicator
                    .as_ref()
                    .is_some_and(|i| i.missing.contains(&MissingPolicy::Carry))
            })
            .collect();
        self.cte(
            "formulas",
            "each indicator's formula (its value before treatment) and the adjustments' values"
                .into(),
            format!("  SELECT {}\n  FROM {prev}", cols.join(",\n    ")),
        );
        let mut list = vec!["k.*".to_string()];
        for n in &carries {
            let prev = if self.has_period {
                format!(
                    "FIRST_VALUE({}) OVER (PARTITION BY _u ORDER BY _pidx RANGE BETWEEN 1 PRECEDING AND 1 PRECEDING)",
                    self.q(&n.id)
                )
            } else {
                d.num(f64::NAN)
            };
            list.push(format!("{prev} AS {}", self.q(&format!("prev:{}", n.id))));
        }
        self.cte(
            "kept",
            "the rows kept (`--where`), with the previous period's values that `missing carry` reads".into(),
            format!("  SELECT {}\n  FROM formulas k\n  WHERE _inc", list.join(", ")),
        );
    }

    /// `missing`: the policies in order over the units (COALESCE: the first that gives a
    /// value), with the statistics of the values observed in the block.
    fn impute(&mut self, indicators: &[NodeId]) {
        let plan = self.plan;
        let d = self.d;
        let mut stats: Vec<String> = Vec::new();
        let categories = self.categories();
        let mut by_stats: Vec<Vec<String>> = vec![Vec::new(); categories.len()];
        let mut values: Vec<String> = Vec::new();
        let mut any = false;
        let carries_prev: Vec<String> = indicators
            .iter()
            .map(|id| plan.node(*id))
            .filter(|n| {
                n.indicator
                    .as_ref()
                    .is_some_and(|i| i.missing.contains(&MissingPolicy::Carry))
            })
            .map(|n| format!("k.{}", self.q(&format!("prev:{}", n.id))))
            .collect();
        for id in indicators {
            let n = plan.node(*id);
            let ind = n.indicator.as_ref().expect("an indicator");
            let x = format!("k.{}", self.q(&n.id));
            let unit_x = format!("CASE WHEN _unit THEN {} END", self.q(&n.id));
            let mut chain: Vec<String> = Vec::new();
            for p in &ind.missing {
                let stat = |name: &str| format!("s.{}", self.q(&format!("{}:{name}", n.id)));
                match p {
                    MissingPolicy::Skip => break,
                    MissingPolicy::Mean => {
                        stats.push(format!(
                            "AVG({unit_x}) AS {}",
                            self.q(&format!("{}:mean", n.id))
                        ));
                        chain.push(stat("mean"));
                    }
                    MissingPolicy::Median => {
                        stats.push(format!(
                            "{} AS {}",
                            d.median(&unit_x),
                            self.q(&format!("{}:median", n.id))
                        ));
                        chain.push(stat("median"));
                    }
                    MissingPolicy::Worst => {
                        let dir = ind.direction.transformed(ind.transform);
                        let (lo, hi) = (format!("{}:min", n.id), format!("{}:max", n.id));
                        stats.push(format!("MIN({unit_x}) AS {}", self.q(&lo)));
                        stats.push(format!("MAX({unit_x}) AS {}", self.q(&hi)));
                        let (lo, hi) = (format!("s.{}", self.q(&lo)), format!("s.{}", self.q(&hi)));
                        chain.push(match dir {
                            Direction::Positive => lo,
                            Direction::Negative => hi,
                            // The farthest from the optimum (the lower one on a tie).
                            Direction::Optimum(o) => {
                                let o = d.num(o);
                                format!("CASE WHEN {hi} - {o} > {o} - {lo} THEN {hi} ELSE {lo} END")
                            }
                        });
                    }
                    MissingPolicy::Zero => chain.push(d.num(0.0)),
                    MissingPolicy::Carry => {
                        chain.push(format!("k.{}", self.q(&format!("prev:{}", n.id))))
                    }
                    // The category's statistic, else (a category without observed values)
                    // the block's.
                    MissingPolicy::MeanBy(c) | MissingPolicy::MedianBy(c) => {
                        let mean = matches!(p, MissingPolicy::MeanBy(_));
                        let what = if mean { "mean" } else { "median" };
                        let k = categories.iter().position(|x| x == c).expect("listed");
                        let by = format!("{}:{what} by {c}", n.id);
                        let agg = if mean {
                            format!("AVG({unit_x})")
                        } else {
                            d.median(&unit_x)
                        };
                        by_stats[k].push(format!("{agg} AS {}", self.q(&by)));
                        let all = format!("{}:{what}", n.id);
                        let agg = if mean {
                            format!("AVG({unit_x})")
                        } else {
                            d.median(&unit_x)
                        };
                        stats.push(format!("{agg} AS {}", self.q(&all)));
                        chain.push(format!("COALESCE(b{k}.{}, {})", self.q(&by), stat(what)));
                    }
                }
            }
            if chain.is_empty() {
                values.push(format!("{x} AS {}", self.q(&n.id)));
            } else {
                any = true;
                values.push(format!(
                    "CASE WHEN k._unit THEN COALESCE({x}, {}) ELSE {x} END AS {}",
                    chain.join(", "),
                    self.q(&n.id)
                ));
            }
        }
        if !any {
            return;
        }
        let _ = carries_prev;
        // One column per statistic (`missing mean by c, mean` reads the mean twice).
        let mut seen = std::collections::HashSet::new();
        stats.retain(|s| seen.insert(s.clone()));
        let from = if stats.is_empty() {
            "kept k".to_string()
        } else {
            self.cte(
                "impute_stats",
                "the statistics `missing` imputes from: the values observed among the units of each block".into(),
                format!(
                    "  SELECT {}{}\n  FROM kept{}",
                    self.stats_key(),
                    stats.join(",\n    "),
                    self.group_by()
                ),
            );
            format!("kept k{}", self.join("impute_stats", "s"))
        };
        let mut from = from;
        for (k, (c, stats)) in categories.iter().zip(&by_stats).enumerate() {
            let name = format!("impute_by{k}");
            let cat = self.q(&format!("cat:{c}"));
            self.cte(
                &name,
                format!("the statistics `missing ... by {c}` imputes from: the values observed among the units of each category of each block"),
                format!(
                    "  SELECT {}{cat},\n    {}\n  FROM kept\n  GROUP BY {}{cat}",
                    self.stats_key(),
                    stats.join(",\n    "),
                    self.stats_key(),
                ),
            );
            let period = if self.per_period {
                format!(" AND b{k}._p = k._p")
            } else {
                String::new()
            };
            let _ = write!(
                from,
                " LEFT JOIN {name} b{k} ON b{k}.{cat} = k.{cat}{period}"
            );
        }
        self.cte(
            "imputed",
            "missing values imputed (units only; the policies in order)".into(),
            format!(
                "  SELECT {},\n    {}\n  FROM {from}",
                self.carried(),
                values.join(",\n    ")
            ),
        );
    }

    /// `transform`: undefined values become missing.
    fn transform(&mut self, indicators: &[NodeId]) {
        let plan = self.plan;
        if indicators
            .iter()
            .all(|id| plan.node(*id).indicator.as_ref().expect("ind").transform == Transform::None)
        {
            return;
        }
        let prev = self.last();
        let values: Vec<String> = indicators
            .iter()
            .map(|id| {
                let n = plan.node(*id);
                let x = format!("k.{}", self.q(&n.id));
                let t = match n.indicator.as_ref().expect("ind").transform {
                    Transform::None => x,
                    Transform::Log => format!("CASE WHEN {x} > 0.0 THEN LN({x}) END"),
                    Transform::Log1p => format!("CASE WHEN {x} > -1.0 THEN LN(1.0 + {x}) END"),
                    Transform::Sqrt => format!("CASE WHEN {x} >= 0.0 THEN SQRT({x}) END"),
                };
                format!("{t} AS {}", self.q(&n.id))
            })
            .collect();
        self.cte(
            "transformed",
            "`transform` (missing where undefined)".into(),
            format!(
                "  SELECT {},\n    {}\n  FROM {prev} k",
                self.carried(),
                values.join(",\n    ")
            ),
        );
    }

    /// `winsorise P1..P2`: clipped at the quantiles of the units' values.
    fn winsorise(&mut self, indicators: &[NodeId]) {
        let plan = self.plan;
        let d = self.d;
        let mut stats = Vec::new();
        let mut values = Vec::new();
        for id in indicators {
            let n = plan.node(*id);
            let x = format!("k.{}", self.q(&n.id));
            match n.indicator.as_ref().expect("ind").winsorise {
                Winsorise::Percentiles(lo, hi) => {
                    let unit_x = format!("CASE WHEN _unit THEN {} END", self.q(&n.id));
                    let (ql, qh) = (format!("{}:qlo", n.id), format!("{}:qhi", n.id));
                    stats.push(format!("{} AS {}", d.percentile(&unit_x, lo), self.q(&ql)));
                    stats.push(format!("{} AS {}", d.percentile(&unit_x, hi), self.q(&qh)));
                    let (ql, qh) = (format!("s.{}", self.q(&ql)), format!("s.{}", self.q(&qh)));
                    values.push(format!(
                        "CASE WHEN {x} < {ql} THEN {ql} WHEN {x} > {qh} THEN {qh} ELSE {x} END AS {}",
                        self.q(&n.id)
                    ));
                }
                _ => values.push(format!("{x} AS {}", self.q(&n.id))),
            }
        }
        if stats.is_empty() {
            return;
        }
        let prev = self.last();
        self.cte(
            "winsorise_stats",
            "the winsorising quantiles of the units' values in each block".into(),
            format!(
                "  SELECT {}{}\n  FROM {prev}{}",
                self.stats_key(),
                stats.join(",\n    "),
                self.group_by()
            ),
        );
        self.cte(
            "winsorised",
            "`winsorise P1..P2`: values clipped at the quantiles".into(),
            format!(
                "  SELECT {},\n    {}\n  FROM {prev} k{}",
                self.carried(),
                values.join(",\n    "),
                self.join("winsorise_stats", "s")
            ),
        );
    }

    /// Directions and normalisation, with the statistics of the units of each block.
    fn normalise(&mut self, indicators: &[NodeId]) {
        let plan = self.plan;
        let d = self.d;
        let prev = self.last();
        let mut stats: Vec<String> = Vec::new();
        let mut values: Vec<String> = Vec::new();
        // The treated values, for the weights derived from data (read by the parents).
        let mut treated: Vec<String> = Vec::new();
        for id in indicators {
            let n = plan.node(*id);
            let ind = n.indicator.as_ref().expect("ind");
            let xq = self.q(&n.id);
            let x = format!("k.{xq}");
            let dir = ind.direction.transformed(ind.transform);
            let method = ind.normalise.transformed(ind.transform);
            let y = orient(d, dir, &x);
            let unit_y = format!("CASE WHEN _unit THEN {} END", orient(d, dir, &xq));
            let unit_x = format!("CASE WHEN _unit THEN {xq} END");
            let stat = |s: &mut Vec<String>, name: &str, agg: String| -> String {
                let col = self.q(&format!("{}:{name}", n.id));
                s.push(format!("{agg} AS {col}"));
                format!("s.{col}")
            };
            let (lo, hi) = (n.scale.0, n.scale.1);
            let map = |u: &str| format!("{} + {u} * {}", d.num(lo), d.num(hi - lo));
            let mid = d.num(lo + 0.5 * (hi - lo));
            let clamp01 = |u: &str| format!("LEAST(GREATEST({u}, 0.0), 1.0)");
            let v = match &method {
                Normalise::MinMax => {
                    let mn = stat(&mut stats, "min", format!("MIN({unit_y})"));
                    let mx = stat(&mut stats, "max", format!("MAX({unit_y})"));
                    format!(
                        "CASE WHEN {x} IS NULL THEN NULL WHEN {mn} = {mx} THEN {mid} ELSE {} END",
                        map(&format!("(({y} - {mn}) / ({mx} - {mn}))"))
                    )
                }
                Normalise::Goalposts(glo, ghi) => {
                    let (l, h) = (d.num(*glo), d.num(*ghi));
                    let u = match dir {
                        Direction::Positive => format!("({x} - {l}) / {}", d.num(ghi - glo)),
                        Direction::Negative => format!("({h} - {x}) / {}", d.num(ghi - glo)),
                        Direction::Optimum(o) => format!(
                            "CASE WHEN {x} = {on} THEN 1.0 WHEN {x} < {on} THEN ({x} - {l}) / {} ELSE ({h} - {x}) / {} END",
                            d.num(o - glo),
                            d.num(ghi - o),
                            on = d.num(o)
                        ),
                    };
                    format!(
                        "CASE WHEN {x} IS NULL THEN NULL ELSE {} END",
                        map(&format!("({})", clamp01(&u)))
                    )
                }
                Normalise::ZScore { mean, sd } => {
                    let m = stat(&mut stats, "mean", format!("AVG({unit_y})"));
                    let s = stat(&mut stats, "sd", format!("STDDEV_SAMP({unit_y})"));
                    format!(
                        "CASE WHEN {x} IS NULL THEN NULL WHEN {m} IS NOT NULL AND ({s} IS NULL OR {s} = 0.0) THEN {mn} \
                         ELSE {mn} + {sdn} * ({y} - {m}) / {s} END",
                        mn = d.num(*mean),
                        sdn = d.num(*sd)
                    )
                }
                Normalise::Rank | Normalise::Percentile => {
                    // 1 + the number of the units' values below: those at or below, minus
                    // those equal.
                    let yk = orient(d, dir, &xq);
                    let u = format!("CASE WHEN _unit AND {xq} IS NOT NULL THEN 1.0 ELSE 0.0 END");
                    let bp = self.block_partition();
                    let eq = if self.per_period {
                        format!("PARTITION BY k._p, {yk}")
                    } else {
                        format!("PARTITION BY {yk}")
                    };
                    let r = format!(
                        "(1.0 + SUM({u}) OVER ({bp} ORDER BY {yk} \
                         RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) - SUM({u}) OVER ({eq}))"
                    );
                    if method == Normalise::Rank {
                        format!("CASE WHEN {x} IS NULL THEN NULL ELSE {r} END")
                    } else {
                        let c = stat(&mut stats, "n", format!("COUNT({unit_x})"));
                        format!(
                            "CASE WHEN {x} IS NULL THEN NULL ELSE {} END",
                            map(&format!("LEAST({r} / {c}, 1.0)"))
                        )
                    }
                }
                Normalise::Target(t) => {
                    let tn = d.num(*t);
                    let u = match dir {
                        Direction::Negative => {
                            format!("CASE WHEN {x} <= 0.0 THEN 1.0 ELSE {tn} / {x} END")
                        }
                        _ => format!("{x} / {tn}"),
                    };
                    format!(
                        "CASE WHEN {x} IS NULL THEN NULL ELSE {} END",
                        map(&format!("({})", clamp01(&u)))
                    )
                }
                Normalise::Ratio(to) => {
                    let r = match to {
                        RatioTo::Mean => stat(&mut stats, "mean", format!("AVG({unit_x})")),
                        RatioTo::Max => stat(&mut stats, "max", format!("MAX({unit_x})")),
                        RatioTo::Min => stat(&mut stats, "min", format!("MIN({unit_x})")),
                        RatioTo::Value(v) => d.num(*v),
                        // Refused by `not_covered`.
                        RatioTo::Unit(_) => d.num(f64::NAN),
                    };
                    format!("{x} / NULLIF({r}, 0.0)")
                }
                Normalise::Vector => {
                    let norm = stat(
                        &mut stats,
                        "norm",
                        format!("SQRT(SUM(({unit_y}) * ({unit_y})))"),
                    );
                    format!("CASE WHEN {x} IS NULL THEN NULL WHEN {norm} = 0.0 THEN 0.0 ELSE {y} / {norm} END")
                }
                Normalise::Bands(rows) => {
                    let mut s = format!("CASE WHEN {x} IS NULL THEN NULL");
                    for b in rows {
                        let _ = match b.op {
                            crate::plan::BandOp::Else => {
                                write!(s, " ELSE {}", d.num(b.score))
                            }
                            op => write!(
                                s,
                                " WHEN {x} {} {} THEN {}",
                                op.symbol(),
                                d.num(b.threshold),
                                d.num(b.score)
                            ),
                        };
                    }
                    s.push_str(" END");
                    s
                }
                Normalise::None => y.clone(),
            };
            values.push(format!("{v} AS {xq}{}", label_comment(n.label.as_deref())));
            treated.push(format!("{x} AS {}", self.q(&format!("treated:{}", n.id))));
        }
        let from = if stats.is_empty() {
            format!("{prev} k")
        } else {
            self.cte(
                "normalise_stats",
                "the statistics each normalisation takes from the units of a block (oriented by direction)".into(),
                format!(
                    "  SELECT {}{}\n  FROM {prev}{}",
                    self.stats_key(),
                    stats.join(",\n    "),
                    self.group_by()
                ),
            );
            format!("{prev} k{}", self.join("normalise_stats", "s"))
        };
        let mut all = values;
        all.extend(treated);
        self.cte(
            "normalised",
            "directions and normalisation: each indicator's value on its scale".into(),
            format!(
                "  SELECT {},\n    {}\n  FROM {from}",
                self.carried(),
                all.join(",\n    ")
            ),
        );
    }

    /// The groups, deepest level first.
    fn groups(&mut self) {
        let plan = self.plan;
        let deepest = plan.nodes.iter().map(|n| n.depth).max().unwrap_or(0);
        for depth in (0..=deepest).rev() {
            let level: Vec<NodeId> = plan
                .ids()
                .filter(|id| {
                    let n = plan.node(*id);
                    n.depth == depth && n.kind != NodeKind::Indicator
                })
                .collect();
            if level.is_empty() {
                continue;
            }
            self.group_level(depth, &level);
        }
    }

    /// The value a derived weighting reads for child `c`: the treated value (indicators) or
    /// the score (groups), oriented by the indicator's direction when `oriented`.
    fn weight_source(&self, c: NodeId, oriented: bool) -> String {
        let n = self.plan.node(c);
        match &n.indicator {
            Some(ind) => {
                let x = self.q(&format!("treated:{}", n.id));
                if oriented {
                    orient(self.d, ind.direction.transformed(ind.transform), &x)
                } else {
                    x
                }
            }
            None => self.q(&n.id),
        }
    }

    fn group_level(&mut self, depth: u32, level: &[NodeId]) {
        let plan = self.plan;
        let d = self.d;
        let prev = self.last();
        // Derived weights: min-max of the children over the units, then their spread.
        let derived: Vec<NodeId> = level
            .iter()
            .copied()
            .filter(|g| {
                plan.node(*g)
                    .children
                    .iter()
                    .any(|c| !matches!(plan.node(*c).weight, Some(Weight::Fixed(_))))
            })
            .collect();
        let mut weight_of: std::collections::HashMap<NodeId, String> = Default::default();
        if !derived.is_empty() {
            let mut mm = Vec::new();
            for g in &derived {
                let gn = plan.node(*g);
                let method = &gn.group.as_ref().expect("group").weights;
                let methods: Vec<&Weights> = match method {
                    Weights::Combine { parts, .. } => parts.iter().map(|p| &p.0).collect(),
                    m => vec![m],
                };
                if methods
                    .iter()
                    .any(|m| matches!(m, Weights::Entropy | Weights::Critic | Weights::Sd))
                {
                    for c in &gn.children {
                        let y = self.weight_source(*c, true);
                        let cn = plan.node(*c);
                        mm.push(format!(
                            "MIN(CASE WHEN _unit THEN {y} END) AS {}",
                            self.q(&format!("{}:{}:lo", gn.id, cn.id))
                        ));
                        mm.push(format!(
                            "MAX(CASE WHEN _unit THEN {y} END) AS {}",
                            self.q(&format!("{}:{}:hi", gn.id, cn.id))
                        ));
                    }
                }
            }
            let mm_name = format!("weights_range_{depth}");
            if !mm.is_empty() {
                self.cte(
                    &mm_name,
                    format!("level {depth}: the range of each child over the units, for the derived weights"),
                    format!(
                        "  SELECT {}{}\n  FROM {prev}{}",
                        self.stats_key(),
                        mm.join(",\n    "),
                        self.group_by()
                    ),
                );
            }
            // The values the weightings read: min-max onto 0..1 (or as they are, for cv),
            // over the units only.
            let mut src = vec!["k._p".to_string()];
            let mut aggs: Vec<String> = Vec::new();
            let mut scores: Vec<String> = Vec::new();
            let mut weights: Vec<String> = Vec::new();
            for g in &derived {
                let gn = plan.node(*g);
                let method = &gn.group.as_ref().expect("group").weights;
                let kids = &gn.children;
                let col = |c: NodeId, what: &str| format!("{}:{}:{what}", gn.id, plan.node(c).id);
                let mut oriented_needed = false;
                let mut raw_needed = false;
                let methods: Vec<(&Weights, f64)> = match method {
                    Weights::Combine { parts, .. } => parts.iter().map(|p| (&p.0, p.1)).collect(),
                    m => vec![(m, 1.0)],
                };
                for (m, _) in &methods {
                    match m {
                        Weights::Entropy | Weights::Critic | Weights::Sd => oriented_needed = true,
                        Weights::Cv => raw_needed = true,
                        _ => {}
                    }
                }
                for c in kids {
                    if oriented_needed {
                        let y = self.weight_source(*c, true);
                        let lo = format!("r.{}", self.q(&col(*c, "lo")));
                        let hi = format!("r.{}", self.q(&col(*c, "hi")));
                        src.push(format!(
                            "CASE WHEN {y} IS NULL THEN NULL WHEN {lo} = {hi} THEN 0.5 ELSE ({y} - {lo}) / ({hi} - {lo}) END AS {}",
                            self.q(&col(*c, "y"))
                        ));
                    }
                    if raw_needed {
                        src.push(format!(
                            "{} AS {}",
                            self.weight_source(*c, false),
                            self.q(&col(*c, "x"))
                        ));
                    }
                }
                // Per method, each child's score, then the weights.
                let mut method_weights: Vec<(Vec<String>, f64)> = Vec::new();
                for (mi, (m, share)) in methods.iter().enumerate() {
                    let input = if matches!(m, Weights::Cv) { "x" } else { "y" };
                    let mut sc = Vec::new();
                    for c in kids {
                        let v = self.q(&col(*c, input));
                        let name = |what: &str| format!("{}:{}:{what}", gn.id, plan.node(*c).id);
                        let sd = self.q(&name(&format!("sd_{input}")));
                        if !aggs.iter().any(|a| a.ends_with(&format!(" AS {sd}"))) {
                            aggs.push(format!("STDDEV_SAMP({v}) AS {sd}"));
                        }
                        let degenerate = format!("({sd} IS NULL OR {sd} = 0.0)");
                        let score = match m {
                            Weights::Sd => sd.clone(),
                            Weights::Cv => {
                                let mean = self.q(&name("mean_x"));
                                aggs.push(format!("AVG({v}) AS {mean}"));
                                format!("{sd} / {mean}")
                            }
                            Weights::Entropy => {
                                let (t, m, zl) = (
                                    self.q(&name("total")),
                                    self.q(&name("count")),
                                    self.q(&name("zlnz")),
                                );
                                aggs.push(format!("SUM({v}) AS {t}"));
                                aggs.push(format!("COUNT({v}) AS {m}"));
                                aggs.push(format!(
                                    "SUM(CASE WHEN {v} > 0.0 THEN {v} * LN({v}) END) AS {zl}"
                                ));
                                // Σ p ln p with p = z / T is Σ z ln z / T − ln T.
                                format!(
                                    "1.0 - (-(COALESCE({zl}, 0.0) / {t} - LN({t})) / LN(CAST({m} AS {})))",
                                    d.double()
                                )
                            }
                            Weights::Critic => {
                                let mut conflict = Vec::new();
                                for k in kids {
                                    if k == c {
                                        continue;
                                    }
                                    let (a, b) = if plan.node(*c).id < plan.node(*k).id {
                                        (*c, *k)
                                    } else {
                                        (*k, *c)
                                    };
                                    let r = self.q(&format!(
                                        "{}:{}~{}:r",
                                        gn.id,
                                        plan.node(a).id,
                                        plan.node(b).id
                                    ));
                                    if !aggs.iter().any(|x| x.ends_with(&format!(" AS {r}"))) {
                                        aggs.push(format!(
                                            "CORR({}, {}) AS {r}",
                                            self.q(&col(a, "y")),
                                            self.q(&col(b, "y"))
                                        ));
                                    }
                                    let ksd =
                                        self.q(&format!("{}:{}:sd_y", gn.id, plan.node(*k).id));
                                    conflict.push(format!(
                                        "CASE WHEN {ksd} IS NULL OR {ksd} = 0.0 THEN 0.0 ELSE 1.0 - {r} END"
                                    ));
                                }
                                if conflict.is_empty() {
                                    conflict.push("0.0".into());
                                }
                                format!("{sd} * ({})", conflict.join(" + "))
                            }
                            Weights::Equal | Weights::Given => "1.0".into(),
                            Weights::Ahp(info) => {
                                let k = kids.iter().position(|x| x == c).unwrap_or(0);
                                d.num(info.weights.get(k).copied().unwrap_or(f64::NAN))
                            }
                            // Refused by `not_covered`.
                            _ => d.num(f64::NAN),
                        };
                        let fixed = matches!(m, Weights::Equal | Weights::Given | Weights::Ahp(_));
                        let score = if fixed {
                            score
                        } else {
                            format!("CASE WHEN {degenerate} THEN 0.0 ELSE {score} END")
                        };
                        let sname = self.q(&format!("{}:{}:score{mi}", gn.id, plan.node(*c).id));
                        scores.push(format!("{score} AS {sname}"));
                        sc.push(sname);
                    }
                    let total = format!("({})", sc.join(" + "));
                    let ws: Vec<String> = sc
                        .iter()
                        .map(|s| format!("{s} / NULLIF({total}, 0.0)"))
                        .collect();
                    method_weights.push((ws, *share));
                }
                for (i, c) in kids.iter().enumerate() {
                    let w = match method {
                        Weights::Combine { product: false, .. } => {
                            let total: f64 = method_weights.iter().map(|m| m.1).sum();
                            let parts: Vec<String> = method_weights
                                .iter()
                                .map(|(ws, s)| format!("{} * {}", d.num(*s), ws[i]))
                                .collect();
                            format!("({}) / {}", parts.join(" + "), d.num(total))
                        }
                        Weights::Combine { product: true, .. } => {
                            let prod = |j: usize| -> String {
                                method_weights
                                    .iter()
                                    .map(|(ws, _)| ws[j].clone())
                                    .collect::<Vec<_>>()
                                    .join(" * ")
                            };
                            let all: Vec<String> =
                                (0..kids.len()).map(|j| format!("({})", prod(j))).collect();
                            format!("({}) / NULLIF({}, 0.0)", prod(i), all.join(" + "))
                        }
                        _ => method_weights[0].0[i].clone(),
                    };
                    let wname = self.q(&format!("{}:{}:weight", gn.id, plan.node(*c).id));
                    weights.push(format!("{w} AS {wname}"));
                    weight_of.insert(*c, format!("w.{wname}"));
                }
            }
            let src_name = format!("weights_input_{depth}");
            let from = if mm.is_empty() {
                format!("{prev} k")
            } else {
                format!("{prev} k{}", self.join(&mm_name, "r"))
            };
            self.cte(
                &src_name,
                format!("level {depth}: what the derived weights read, over the units (min-max onto 0..1, or the treated values for cv)"),
                format!("  SELECT {}\n  FROM {from}\n  WHERE k._unit", src.join(",\n    ")),
            );
            let stats_name = format!("weights_stats_{depth}");
            self.cte(
                &stats_name,
                format!("level {depth}: the spread of each child in each block"),
                format!(
                    "  SELECT {}{}\n  FROM {src_name}{}",
                    self.stats_key(),
                    if aggs.is_empty() {
                        "COUNT(*) AS n".to_string()
                    } else {
                        aggs.join(",\n    ")
                    },
                    self.group_by()
                ),
            );
            let score_name = format!("weights_scores_{depth}");
            self.cte(
                &score_name,
                format!("level {depth}: each child's score (0 when it does not vary)"),
                format!(
                    "  SELECT {}{}\n  FROM {stats_name}",
                    self.stats_key(),
                    scores.join(",\n    ")
                ),
            );
            self.cte(
                &format!("weights_{depth}"),
                format!("level {depth}: the derived weights in each block"),
                format!(
                    "  SELECT {}{}\n  FROM {score_name}",
                    self.stats_key(),
                    weights.join(",\n    ")
                ),
            );
        }
        // TOPSIS: the ideal and anti-ideal of each child over the units.
        let topsis: Vec<NodeId> = level
            .iter()
            .copied()
            .filter(|g| plan.node(*g).group.as_ref().expect("group").aggregate == Aggregate::Topsis)
            .collect();
        if !topsis.is_empty() {
            let mut t = Vec::new();
            for g in &topsis {
                let gn = plan.node(*g);
                for c in &gn.children {
                    let x = self.q(&plan.node(*c).id);
                    for (agg, what) in [("MAX", "best"), ("MIN", "worst")] {
                        t.push(format!(
                            "{agg}(CASE WHEN _unit THEN {x} END) AS {}",
                            self.q(&format!("{}:{}:{what}", gn.id, plan.node(*c).id))
                        ));
                    }
                }
            }
            self.cte(
                &format!("topsis_{depth}"),
                format!(
                    "level {depth}: each child's best and worst value among the units (TOPSIS)"
                ),
                format!(
                    "  SELECT {}{}\n  FROM {prev}{}",
                    self.stats_key(),
                    t.join(",\n    "),
                    self.group_by()
                ),
            );
        }
        // The parts of each group's mean, then the mean.
        let mut parts = Vec::new();
        let mut values = Vec::new();
        for g in level {
            let gn = plan.node(*g);
            let gp = gn.group.as_ref().expect("group");
            let kids = &gn.children;
            let weight = |c: NodeId| -> String {
                match &plan.node(c).weight {
                    Some(Weight::Fixed(w)) if !weight_of.contains_key(&c) => d.num(*w),
                    _ => weight_of
                        .get(&c)
                        .cloned()
                        .unwrap_or_else(|| d.num(f64::NAN)),
                }
            };
            let fixed: Option<Vec<f64>> = kids
                .iter()
                .map(|c| match &plan.node(*c).weight {
                    Some(Weight::Fixed(w)) if !weight_of.contains_key(c) => Some(*w),
                    _ => None,
                })
                .collect();
            let x = |c: NodeId| format!("k.{}", self.q(&plan.node(c).id));
            let part = |what: &str| self.q(&format!("{}:{what}", gn.id));
            let total = match &fixed {
                Some(f) => d.num(f.iter().sum()),
                None => format!(
                    "({})",
                    kids.iter()
                        .map(|c| weight(*c))
                        .collect::<Vec<_>>()
                        .join(" + ")
                ),
            };
            // Children that count: present, and (for the means) weighing something.
            let sum = |terms: Vec<String>| -> String {
                if terms.is_empty() {
                    "0.0".into()
                } else {
                    format!("({})", terms.join(" + "))
                }
            };
            let positive = |c: NodeId| -> Option<String> {
                match &fixed {
                    Some(f) => {
                        let k = kids.iter().position(|x| *x == c).expect("child");
                        (f[k] > 0.0).then(String::new)
                    }
                    None => Some(format!(" AND {} > 0.0", weight(c))),
                }
            };
            let mut present_weight = Vec::new();
            let mut present_count = Vec::new();
            for c in kids {
                let present = if gp.aggregate == Aggregate::Topsis {
                    format!(
                        "{} IS NOT NULL AND t.{} IS NOT NULL",
                        x(*c),
                        self.q(&format!("{}:{}:best", gn.id, plan.node(*c).id))
                    )
                } else {
                    format!("{} IS NOT NULL", x(*c))
                };
                present_weight.push(format!(
                    "CASE WHEN {present} THEN {} ELSE 0.0 END",
                    weight(*c)
                ));
                present_count.push(format!("CASE WHEN {present} THEN 1 ELSE 0 END"));
            }
            parts.push(format!("{} AS {}", sum(present_weight), part("pw")));
            parts.push(format!("{} AS {}", sum(present_count), part("n")));
            let method = match gp.aggregate {
                Aggregate::Power(0.0) => Aggregate::Geometric,
                Aggregate::Power(1.0) => Aggregate::Arithmetic,
                m => m,
            };
            let mean_terms = |f: &dyn Fn(&str) -> String| -> (String, String) {
                let mut num = Vec::new();
                let mut den = Vec::new();
                for c in kids {
                    let Some(pos) = positive(*c) else { continue };
                    let xc = x(*c);
                    num.push(format!(
                        "CASE WHEN {xc} IS NOT NULL{pos} THEN {} * {} ELSE 0.0 END",
                        weight(*c),
                        f(&xc)
                    ));
                    den.push(format!(
                        "CASE WHEN {xc} IS NOT NULL{pos} THEN {} ELSE 0.0 END",
                        weight(*c)
                    ));
                }
                (sum(num), sum(den))
            };
            let zero = || -> String {
                let z: Vec<String> = kids
                    .iter()
                    .filter_map(|c| {
                        positive(*c).map(|pos| format!("COALESCE({} = 0.0{pos}, FALSE)", x(*c)))
                    })
                    .collect();
                if z.is_empty() {
                    "FALSE".into()
                } else {
                    format!("({})", z.join(" OR "))
                }
            };
            let (num, den) = (part("num"), part("den"));
            let value = match method {
                Aggregate::Arithmetic => {
                    let (n, dn) = mean_terms(&|x| x.to_string());
                    parts.push(format!("{n} AS {num}"));
                    parts.push(format!("{dn} AS {den}"));
                    format!("{num} / NULLIF({den}, 0.0)")
                }
                Aggregate::Geometric | Aggregate::Harmonic | Aggregate::Power(_) => {
                    let (n, dn) = mean_terms(&|x| match method {
                        Aggregate::Geometric => format!("LN(CASE WHEN {x} > 0.0 THEN {x} END)"),
                        Aggregate::Harmonic => format!("(1.0 / NULLIF({x}, 0.0))"),
                        Aggregate::Power(p) => format!("POWER({x}, {})", d.num(p)),
                        _ => x.to_string(),
                    });
                    parts.push(format!("{n} AS {num}"));
                    parts.push(format!("{dn} AS {den}"));
                    let zero_gives_zero = match method {
                        Aggregate::Power(p) => p < 0.0,
                        _ => true,
                    };
                    let z = part("zero");
                    parts.push(format!(
                        "{} AS {z}",
                        if zero_gives_zero {
                            zero()
                        } else {
                            "FALSE".into()
                        }
                    ));
                    let mean = match method {
                        Aggregate::Geometric => format!("EXP({num} / {den})"),
                        Aggregate::Harmonic => format!("1.0 / ({num} / {den})"),
                        Aggregate::Power(p) => format!("POWER({num} / {den}, {})", d.num(1.0 / p)),
                        _ => unreachable!(),
                    };
                    format!("CASE WHEN {den} = 0.0 THEN NULL WHEN {z} THEN 0.0 ELSE {mean} END")
                }
                Aggregate::Min => {
                    let big = "1.7976931348623157E308";
                    let all: Vec<String> = kids
                        .iter()
                        .map(|c| format!("COALESCE({}, {big})", x(*c)))
                        .collect();
                    let m = part("min");
                    parts.push(format!(
                        "{} AS {m}",
                        if all.len() == 1 {
                            all[0].clone()
                        } else {
                            format!("LEAST({})", all.join(", "))
                        }
                    ));
                    m
                }
                Aggregate::Topsis => {
                    let mut plus = Vec::new();
                    let mut minus = Vec::new();
                    for c in kids {
                        let w = weight(*c);
                        let xc = x(*c);
                        let best = format!(
                            "t.{}",
                            self.q(&format!("{}:{}:best", gn.id, plan.node(*c).id))
                        );
                        let worst = format!(
                            "t.{}",
                            self.q(&format!("{}:{}:worst", gn.id, plan.node(*c).id))
                        );
                        let present = format!("{xc} IS NOT NULL AND {best} IS NOT NULL");
                        plus.push(format!(
                            "CASE WHEN {present} THEN ({w} * {xc} - {w} * {best}) * ({w} * {xc} - {w} * {best}) ELSE 0.0 END"
                        ));
                        minus.push(format!(
                            "CASE WHEN {present} THEN ({w} * {xc} - {w} * {worst}) * ({w} * {xc} - {w} * {worst}) ELSE 0.0 END"
                        ));
                    }
                    let (dp, dm) = (part("d+"), part("d-"));
                    parts.push(format!("SQRT({}) AS {dp}", sum(plus)));
                    parts.push(format!("SQRT({}) AS {dm}", sum(minus)));
                    let (lo, hi) = gn.scale;
                    format!(
                        "CASE WHEN {dp} + {dm} > 0.0 THEN {} + ({dm} / ({dp} + {dm})) * {} ELSE {} END",
                        d.num(lo),
                        d.num(hi - lo),
                        d.num(lo + 0.5 * (hi - lo))
                    )
                }
                Aggregate::Median => {
                    // The weighted median: in the order of the values (ties in the children's
                    // order), the first child whose cumulative weight share reaches ½; the mean
                    // of it and the next value when the share is ½ exactly.
                    let counted: Vec<(usize, NodeId, String)> = kids
                        .iter()
                        .enumerate()
                        .filter_map(|(i, c)| {
                            positive(*c).map(|pos| (i, *c, format!("{} IS NOT NULL{pos}", x(*c))))
                        })
                        .collect();
                    let before = |i: usize, c: NodeId, j: usize, cj: NodeId, or_equal: bool| {
                        let tie = if or_equal { i <= j } else { i < j };
                        if tie {
                            format!("({} < {} OR {} = {})", x(c), x(cj), x(c), x(cj))
                        } else {
                            format!("{} < {}", x(c), x(cj))
                        }
                    };
                    let wsum = part("wsum");
                    parts.push(format!(
                        "{} AS {wsum}",
                        sum(counted
                            .iter()
                            .map(|(_, c, ok)| format!(
                                "CASE WHEN {ok} THEN {} ELSE 0.0 END",
                                weight(*c)
                            ))
                            .collect())
                    ));
                    let big = "1.7976931348623157E308";
                    let mut cases = Vec::new();
                    for (j, cj, okj) in &counted {
                        let share = |or_equal: bool| {
                            sum(counted
                                .iter()
                                .map(|(i, c, ok)| {
                                    format!(
                                        "CASE WHEN {ok} AND {} THEN {} ELSE 0.0 END",
                                        before(*i, *c, *j, *cj, or_equal),
                                        weight(*c)
                                    )
                                })
                                .collect())
                        };
                        let (upto, below, next) = (
                            part(&format!("upto{j}")),
                            part(&format!("below{j}")),
                            part(&format!("next{j}")),
                        );
                        parts.push(format!("{} AS {upto}", share(true)));
                        parts.push(format!("{} AS {below}", share(false)));
                        let after: Vec<String> = counted
                            .iter()
                            .filter(|(i, _, _)| i != j)
                            .map(|(i, c, ok)| {
                                let later = if i > j {
                                    format!("{} >= {}", x(*c), x(*cj))
                                } else {
                                    format!("{} > {}", x(*c), x(*cj))
                                };
                                format!("CASE WHEN {ok} AND {later} THEN {} ELSE {big} END", x(*c))
                            })
                            .collect();
                        let nx = match after.len() {
                            0 => "NULL".to_string(),
                            1 => format!("NULLIF({}, {big})", after[0]),
                            _ => format!("NULLIF(LEAST({}), {big})", after.join(", ")),
                        };
                        parts.push(format!("CASE WHEN {okj} THEN {nx} END AS {next}"));
                        let th = d.num(0.5 - 1e-12);
                        cases.push(format!(
                            "WHEN {okj} AND {below} / {wsum} < {th} AND {upto} / {wsum} >= {th} THEN \
                             CASE WHEN ABS({upto} / {wsum} - 0.5) <= 1e-12 THEN ({xj} + COALESCE({next}, {xj})) / 2.0 ELSE {xj} END",
                            xj = x(*cj)
                        ));
                    }
                    if cases.is_empty() {
                        "NULL".into()
                    } else {
                        format!("CASE WHEN {wsum} = 0.0 THEN NULL {} END", cases.join(" "))
                    }
                }
                // Refused by `not_covered`.
                _ => d.num(f64::NAN),
            };
            let (pw, n) = (part("pw"), part("n"));
            let covered = if gp.coverage > 0.0 {
                let cov = d.num(gp.coverage - 1e-12);
                match &fixed {
                    Some(f) if f.iter().sum::<f64>() > 0.0 => {
                        format!(" WHEN {pw} / {total} < {cov} THEN NULL")
                    }
                    Some(_) => String::new(),
                    None => format!(" WHEN {total} > 0.0 AND {pw} / {total} < {cov} THEN NULL"),
                }
            } else {
                String::new()
            };
            values.push(format!(
                "CASE WHEN {n} = 0 THEN NULL{covered} ELSE {value} END AS {}{}",
                self.q(&gn.id),
                label_comment(gn.label.as_deref())
            ));
        }
        let mut joins = String::new();
        if !derived.is_empty() {
            joins.push_str(&self.join(&format!("weights_{depth}"), "w"));
        }
        if !topsis.is_empty() {
            joins.push_str(&self.join(&format!("topsis_{depth}"), "t"));
        }
        let from = format!("{prev} k{joins}");
        let names: Vec<String> = level.iter().map(|g| plan.node(*g).id.clone()).collect();
        self.cte(
            &format!("parts_{depth}"),
            format!(
                "level {depth} ({}): the children present, their weight, and the sums of each mean",
                names.join(", ")
            ),
            format!(
                "  SELECT k.*,\n    {}\n  FROM {from}",
                parts.join(",\n    ")
            ),
        );
        self.cte(
            &format!("level_{depth}"),
            format!("level {depth}: the scores of {}", names.join(", ")),
            format!(
                "  SELECT k.*,\n    {}\n  FROM parts_{depth} k{joins}",
                values.join(",\n    ")
            ),
        );
    }

    /// Bonuses, penalties and vetoes, in order.
    fn adjust(&mut self) {
        let plan = self.plan;
        let d = self.d;
        let root = self.q(&plan.node(NodeId::ROOT).id);
        let mut prev = self.last();
        let mut score = root;
        let mut vetoes = Vec::new();
        for (k, a) in plan.adjustments.iter().enumerate() {
            let v = format!("_adj{k}");
            let next = format!("_s{k}");
            let expr = match a.kind {
                AdjustKind::Bonus | AdjustKind::Penalty => {
                    let pts = match a.limit {
                        Some(max) => {
                            format!("CASE WHEN {v} < {m} THEN {v} ELSE {m} END", m = d.num(max))
                        }
                        None => v.clone(),
                    };
                    let sign = if a.kind == AdjustKind::Bonus {
                        "+"
                    } else {
                        "-"
                    };
                    format!("CASE WHEN {v} IS NULL THEN {score} ELSE {score} {sign} {pts} END")
                }
                AdjustKind::Veto => match a.limit {
                    Some(cap) => {
                        let c = d.num(cap);
                        format!(
                            "CASE WHEN {v} IS NOT NULL AND {v} <> 0.0 THEN \
                             (CASE WHEN {score} IS NULL OR {score} > {c} THEN {c} ELSE {score} END) ELSE {score} END"
                        )
                    }
                    None => {
                        vetoes.push(format!("COALESCE({v} <> 0.0, FALSE)"));
                        score.clone()
                    }
                },
            };
            let name = format!("adjust_{}", k + 1);
            self.cte(
                &name,
                format!("`{:?} {}`", a.kind, a.code.text).to_lowercase(),
                format!("  SELECT *, {expr} AS {next}\n  FROM {prev}"),
            );
            prev = name;
            score = next;
        }
        let vetoed = if vetoes.is_empty() {
            "FALSE".to_string()
        } else {
            vetoes.join(" OR ")
        };
        self.cte(
            "adjusted",
            "the index score with the adjustments, and whether a veto excludes the unit".into(),
            format!("  SELECT *, {score} AS _s, {vetoed} AS _vetoed\n  FROM {prev}"),
        );
    }

    /// Ranks among the ranked units of each period: highest first, ties sharing the best rank.
    fn rank(&mut self) {
        let ranked = "(_unit AND NOT _vetoed AND _s IS NOT NULL)";
        let p = if self.has_period { "_p, " } else { "" };
        self.cte(
            "ranked",
            "ranks: the units with a score that no veto excludes, highest first, per period (0 = unranked)".into(),
            format!(
                "  SELECT *, CASE WHEN {ranked} THEN CAST(RANK() OVER (PARTITION BY {p}{ranked} ORDER BY _s DESC) AS BIGINT) ELSE 0 END AS _rank\n  FROM adjusted"
            ),
        );
    }
}

fn num_of(s: Sql) -> Sql {
    if !s.boolean {
        return s;
    }
    Sql {
        text: format!(
            "CASE WHEN {t} THEN 1.0 WHEN NOT {t} THEN 0.0 END",
            t = s.text
        ),
        boolean: false,
        ..s
    }
}

/// The positively oriented value: x, −x, or −|x − X|.
fn orient(d: Dialect, dir: Direction, x: &str) -> String {
    match dir {
        Direction::Positive => x.to_string(),
        Direction::Negative => format!("(-{x})"),
        Direction::Optimum(o) => format!("(-ABS({x} - {}))", d.num(o)),
    }
}

/// ` /* label */` (comment markers in the label made harmless).
fn label_comment(label: Option<&str>) -> String {
    match label {
        Some(l) => format!(" /* {} */", l.replace("*/", "* /").replace("/*", "/ *")),
        None => String::new(),
    }
}
