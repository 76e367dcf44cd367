#!/usr/bin/env python3
"""Generate the SYNTHETIC demo panel rules/data/quality_city.csv.

Every number in the output is invented. The 36 cities, their names and their six provinces are
fictional (see CITY_NAMES and PROVINCES below); any resemblance to a real place is coincidental.
The panel exists so that the rules files (quality_city.qi, market_led.qi and
examples/language_reference.qi) can be run end to end, and so that tests and reports have known
structure to find.

Usage:  python3 rules/data/generate.py            (writes rules/data/quality_city.csv)
        python3 rules/data/generate.py --stdout   (prints the CSV instead)

Deterministic: standard library only, one random.Random(SEED), and only rng.random() is called
(normal draws use our own Box-Muller), so the output is the same bytes on every run and on every
Python 3 version.

What is planted, and why (README.md lists the same facts for tests; check_planted.py measures
them):

1. Two latent factors. A per-city "government effort" factor G drives the indicators tagged
   `government` (plans, campaigns, standards, inspections, staff, ...); a separate "market vitality"
   factor M drives the indicators tagged `market` (manufacturing_quality_index, brand_sales growth
   and share, product_sales, quality_intermediaries, quality_output / fiscal_quality_input). G and M
   are made to correlate exactly RHO = 0.15 across the 36 cities, so the government-oriented
   default scheme and the market-led schemes rank cities differently. A third factor S (citizens'
   experience, tag `society`) mixes both plus a province effect.
2. A silent indicator: quality_kpi_weight (kpi_weight, goalposts 0..10) is 4.90-5.10 in every
   row, i.e. about 2% of its goalpost range, and pure noise tied to no factor, so it has almost no
   influence on the index: its importance (squared correlation with the index) is far below its
   nominal weight.
3. An outlier-heavy column: brand_products (indicator `brands`, which has `winsorise auto`, and
   `transform log1p` in the language reference). Three small "brand towns" have 12-40 times the
   median number of brand-name products per 10,000 residents.
4. Missing values: a few empty cells (2-3 per column) in nine indicator columns with different
   missing-value policies, and one city (C23) with the whole `innovation` group empty in 2022
   (coverage 0% < 60%). One deliberate 0/0: C12 had no failed batch in 2022
   (unqualified_batches = unqualified_handled = 0), so `followup` is undefined there.
5. Exactly one vetoed city: quality_fraud_cases = 1 for the city with the 2nd-highest
   government effort (C24, otherwise first in every year) in 2023 only, zero everywhere else.
   major_quality_incidents (and its alias major_incidents) is positive in a few rows, so the
   penalty applies (one row hits the 15-point cap). major_safety_accidents (a *capped* veto, cap 60) is 1 for the top government-effort city
   (C32) in 2022 only, so the latest year has exactly one veto.
6. For a coherence report: a direction mistake — quality_trainees per 10,000 residents (indicator
   `training`, treated as positive) falls as government effort rises (remedial training after
   failures), so it is negatively correlated with the rest of the `culture` group; and a redundant
   pair — survey_knowledge is survey_satisfaction rescaled plus tiny noise (indicators
   `citizen_awareness` and `citizen_satisfaction` in `sharing`, |r| > 0.95).
"""

import csv
import io
import math
import os
import sys
import random

SEED = 20130601
YEARS = [2021, 2022, 2023]
RHO = 0.15  # sample correlation of the latent factors G and M across cities

# Fictional provinces (invented names; no real province is called this).
PROVINCES = ["青岚省", "东澜省", "云汐省", "北霁省", "南渚省", "西璃省"]

# Fictional city names, invented by combining rare characters (汐 澜 霁 渚 璃 蘅 珞 翎 漪 槿 萩 曦
# 泠 绮 黛) with common endings; six per province, in order. None is meant to be a real city.
CITY_NAMES = [
    "汐川市", "澜屿市", "霁原市", "渚阳市", "璃湾市", "蘅林市",
    "珞港市", "翎州市", "漪河市", "槿原市", "萩川市", "曦屿市",
    "泠阳市", "绮林市", "黛湾市", "汐港市", "澜河市", "霁州市",
    "渚林市", "璃川市", "蘅港市", "珞屿市", "翎原市", "漪阳市",
    "槿湾市", "萩林市", "曦港市", "泠州市", "绮屿市", "黛原市",
    "汐阳市", "澜林市", "霁湾市", "渚川市", "璃州市", "蘅河市",
]

# Column order of the CSV: ids, size, then the columns in the order the rules read them.
COLUMNS = [
    "city", "city_name", "province", "year",
    "population", "market_entities",
    # strategy
    "quality_plan_score", "supporting_policies", "plan_targets_met", "plan_targets",
    "action_items_done", "action_items", "districts_with_quality_kpi", "districts",
    # culture
    "quality_campaigns", "质量宣传报道数", "quality_trainees", "slogan_entries", "survey_awareness",
    # infrastructure
    "national_standards_led", "industry_standards_led", "local_standards_led",
    "public_metrology_standards", "certified_firms", "accredited_labs", "platform_investment",
    # organisation
    "leading_group_by_mayor", "joint_meetings", "member_departments", "quality_staff",
    "quality_kpi_weight",
    # macro
    "quality_award_firms", "brand_products", "firms_with_credit_file", "quality_analysis_reports",
    "manufacturing_quality_index",
    # product
    "passed_batches", "sampled_batches", "出口商品合格批次", "出口商品检验批次",
    "unqualified_handled", "unqualified_batches", "质量投诉件数", "brand_sales",
    # engineering
    "projects_passed_first", "projects_completed", "projects_supervised", "projects_registered",
    "fine_projects", "road_checks_passed", "road_checks", "engineering_accidents",
    # service
    "service_csi", "utility_satisfaction", "tourism_complaints", "tourists",
    "disputes_settled", "disputes", "service_standard_pilots",
    # sharing
    "survey_satisfaction", "survey_knowledge", "survey_participation",
    "food_batches_passed", "food_batches",
    # innovation
    "institutional_innovations", "credit_sharing_agencies", "national_quality_pilots",
    "innovation_expert_score", "promotion_council_members",
    # market group of market_led.qi
    "product_sales", "quality_intermediaries", "fiscal_quality_input", "quality_output",
    "public_service_satisfaction",
    # adjust block
    "major_quality_incidents", "major_safety_accidents", "quality_fraud_cases",
    # aliases read by examples/language_reference.qi (same values as quality_campaigns and
    # major_quality_incidents)
    "campaigns", "major_incidents",
]

# Planted missing cells: (column, city, year). Left empty in the CSV.
MISSING = [
    ("supporting_policies", "C05", 2022),        # missing carry, median: carried from 2021
    ("supporting_policies", "C19", 2021),        # ... nothing to carry: the median
    ("supporting_policies", "C30", 2023),
    ("survey_awareness", "C02", 2023),           # missing median by province
    ("survey_awareness", "C14", 2021),
    ("survey_awareness", "C27", 2022),
    ("platform_investment", "C08", 2023),        # missing carry, mean
    ("platform_investment", "C33", 2021),        # ... nothing to carry: the mean
    ("platform_investment", "C16", 2022),
    ("manufacturing_quality_index", "C11", 2022),  # missing carry
    ("manufacturing_quality_index", "C11", 2023),  # carried twice
    ("manufacturing_quality_index", "C25", 2021),  # nothing to carry: stays missing
    ("engineering_accidents", "C04", 2021),      # missing zero
    ("engineering_accidents", "C21", 2023),
    ("engineering_accidents", "C35", 2022),
    ("utility_satisfaction", "C09", 2023),       # missing worst
    ("utility_satisfaction", "C28", 2022),
    ("service_csi", "C13", 2023),                # skip
    ("service_csi", "C34", 2021),
    ("product_sales", "C07", 2023),              # market group: missing mean (market_led)
    ("product_sales", "C22", 2022),
    ("quality_intermediaries", "C18", 2023),
    ("quality_intermediaries", "C29", 2021),
]
# A whole group missing for one city-year (coverage 0% < 60%).
WHOLE_GROUP_MISSING = ("C23", 2022, [
    "institutional_innovations", "credit_sharing_agencies", "national_quality_pilots",
    "innovation_expert_score", "promotion_council_members",
])
ZERO_FAILURES = ("C12", 2022)   # the deliberate 0/0 in followup
BRAND_TOWNS = {"C06": 40.0, "C17": 25.0, "C26": 12.0}  # brand_products per 10k: x median
PENALTIES = {("C10", 2021): 1, ("C20", 2022): 2, ("C32", 2023): 1, ("C36", 2023): 4}


class Gen:
    def __init__(self, seed):
        self.rng = random.Random(seed)

    def uniform(self, a, b):
        return a + (b - a) * self.rng.random()

    def normal(self):
        # Box-Muller with rng.random() only (stable across Python versions).
        u1 = 1.0 - self.rng.random()
        u2 = self.rng.random()
        return math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)


def phi(z):
    return 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))


def standardise(xs):
    n = len(xs)
    m = sum(xs) / n
    sd = math.sqrt(sum((x - m) ** 2 for x in xs) / (n - 1))
    return [(x - m) / sd for x in xs]


def build():
    g = Gen(SEED)
    n = len(CITY_NAMES)
    ids = ["C%02d" % (i + 1) for i in range(n)]
    prov = [PROVINCES[i // 6] for i in range(n)]
    prov_effect = {p: 0.5 * g.normal() for p in PROVINCES}

    # Latent factors with sample correlation exactly RHO: orthogonalise the second draw.
    G = standardise([g.normal() for _ in range(n)])
    e = standardise([g.normal() for _ in range(n)])
    b = sum(x * y for x, y in zip(G, e)) / sum(x * x for x in G)
    e = standardise([y - b * x for x, y in zip(G, e)])
    M = [RHO * x + math.sqrt(1 - RHO * RHO) * y for x, y in zip(G, e)]
    S = standardise([0.45 * x + 0.35 * y + prov_effect[p] + 0.6 * g.normal()
                     for x, y, p in zip(G, M, prov)])

    # Population: log-uniform 0.5-15 million; the brand towns are small.
    pop0 = []
    for i in range(n):
        if ids[i] in BRAND_TOWNS:
            pop0.append(g.uniform(0.55e6, 1.1e6))
        else:
            pop0.append(math.exp(g.uniform(math.log(0.5e6), math.log(15e6))))
    pop_growth = [g.uniform(-0.006, 0.015) for _ in range(n)]
    entity_rate = [g.uniform(0.08, 0.16) for _ in range(n)]
    districts = [int(round(g.uniform(5, 16))) for _ in range(n)]
    trend = [g.uniform(0.0, 0.15) for _ in range(n)]

    persistent = {}

    def noise(name, i):
        # A city's persistent idiosyncrasy in one column plus a fresh yearly draw.
        key = (name, i)
        if key not in persistent:
            persistent[key] = g.normal()
        return 0.8 * persistent[key] + 0.6 * g.normal()

    # The top-ranked cities by government effort decide the veto rows.
    by_g = sorted(range(n), key=lambda i: -G[i])
    fraud_city = ids[by_g[1]]    # 2nd-highest government effort (C24)
    safety_city = ids[by_g[0]]   # highest government effort (C32)

    rows = []
    brand_sales_prev = {}
    for i in range(n):
        for t, year in enumerate(YEARS):
            cid = ids[i]
            # Yearly factor values: slow common improvement, a city trend and small shocks.
            Gt = G[i] + trend[i] * t + 0.12 * g.normal()
            Mt = M[i] + 0.1 * t + 0.12 * g.normal()
            St = S[i] + 0.05 * t + 0.12 * g.normal()
            pop = pop0[i] * (1 + pop_growth[i]) ** t
            p10k = pop / 1e4
            size = (pop / 3e6) ** 0.45   # counts grow less than proportionally with size
            entities = pop * entity_rate[i] * math.exp(0.03 * t + 0.1 * Mt)

            def z(name, gl=0.0, ml=0.0, sl=0.0, sd=0.55):
                return gl * Gt + ml * Mt + sl * St + sd * noise(name, i)

            def count(name, median, spread, zz, lo=0):
                return max(lo, int(round(median * math.exp(spread * zz))))

            r = {"city": cid, "city_name": CITY_NAMES[i], "province": prov[i], "year": year}
            r["population"] = int(round(pop))
            r["market_entities"] = int(round(entities))

            # strategy (government)
            r["quality_plan_score"] = "%.1f" % (3.5 + 6.3 * phi(z("plan", 0.85)))
            r["supporting_policies"] = count("policies", 10 * size, 0.45, z("policies", 0.8), 1)
            pt = int(round(g.uniform(18, 42)))
            r["plan_targets"] = pt
            r["plan_targets_met"] = min(pt, int(round(pt * (0.72 + 0.28 * phi(z("targets", 0.8))))))
            ai = int(round(g.uniform(25, 80)))
            r["action_items"] = ai
            r["action_items_done"] = min(ai, int(round(ai * (0.68 + 0.32 * phi(z("actions", 0.8))))))
            d = districts[i]
            r["districts"] = d
            r["districts_with_quality_kpi"] = min(d, int(round(d * (0.3 + 0.75 * phi(z("kpi_cov", 0.85))))))

            # culture
            r["quality_campaigns"] = count("campaigns", 22 * size ** 0.5, 0.45, z("campaigns", 0.85), 2)
            r["质量宣传报道数"] = count("media", 600 * size ** 0.5, 0.7, z("media", 0.85), 10)
            # PLANTED direction mistake: remedial training falls as government effort rises.
            r["quality_trainees"] = count("training", 90 * p10k, 0.45, z("training", -0.9, sd=0.4), 100)
            r["slogan_entries"] = count("slogan", 1500 * size, 1.1, z("slogan", 0.3, sl=0.7), 20)
            r["survey_awareness"] = "%.1f" % (42 + 48 * phi(z("awareness", sl=0.9, sd=0.45)))

            # infrastructure (government)
            r["national_standards_led"] = count("nat_std", 4 * size, 0.6, z("nat_std", 0.75), 0)
            r["industry_standards_led"] = count("ind_std", 9 * size, 0.6, z("ind_std", 0.75), 0)
            r["local_standards_led"] = count("loc_std", 18 * size, 0.5, z("loc_std", 0.75), 1)
            r["public_metrology_standards"] = count("metrology", 160 * size, 0.4, z("metrology", 0.8), 20)
            r["certified_firms"] = count("certified", entities / 1e4 * 220, 0.35, z("certified", 0.8), 10)
            r["accredited_labs"] = count("labs", p10k * 0.45, 0.4, z("labs", 0.8), 5)
            r["platform_investment"] = count("platform", p10k * 6.0, 0.5, z("platform", 0.8), 50)

            # organisation (government)
            r["leading_group_by_mayor"] = 1 if z("mayor", 0.9, sd=0.5) > -1.1 else 0
            r["joint_meetings"] = max(1, min(8, int(round(3.2 + 1.6 * z("meetings", 0.8)))))
            r["member_departments"] = count("members", 32 * size ** 0.3, 0.25, z("members", 0.8), 12)
            r["quality_staff"] = count("staff", p10k * 2.4, 0.3, z("staff", 0.8), 30)
            # PLANTED near-constant: 4.90-5.10 against goalposts 0..10.
            # Pure noise, tied to no factor: silent by its tiny variance and by its correlation
            # with the index (the orientation report flags it).
            r["quality_kpi_weight"] = "%.2f" % (4.9 + 0.2 * phi(z("kpi_weight")))

            # macro
            r["quality_award_firms"] = count("awards", 22 * size, 0.45, z("awards", 0.8), 1)
            per10k_brands = 0.45 * math.exp(0.4 * z("brands", 0.8))
            if cid in BRAND_TOWNS:  # PLANTED outliers
                per10k_brands = 0.45 * BRAND_TOWNS[cid] * math.exp(0.05 * g.normal())
            r["brand_products"] = max(1, int(round(per10k_brands * p10k)))
            r["firms_with_credit_file"] = int(round(entities * (0.25 + 0.7 * phi(z("credit_file", 0.85)))))
            r["quality_analysis_reports"] = max(1, min(12, int(round(4 + 2.2 * z("reports", 0.8)))))
            r["manufacturing_quality_index"] = "%.2f" % (84.0 + 2.6 * z("mqi", ml=0.8, sd=0.5))

            # product
            sampled = count("sampled", 1500 * size, 0.3, z("sampled", sd=0.6), 200)
            rate = 0.86 + 0.133 * phi(z("pass", 0.85))
            passed = min(sampled - 1, int(round(sampled * rate)))
            if (cid, year) == ZERO_FAILURES:
                passed = sampled   # PLANTED: no failed batch, so followup is 0/0
            r["sampled_batches"] = sampled
            r["passed_batches"] = passed
            exp_n = count("export_n", 6000 * size, 0.6, z("export_n", ml=0.4), 300)
            r["出口商品检验批次"] = exp_n
            r["出口商品合格批次"] = int(round(exp_n * (0.95 + 0.049 * phi(z("export_pass", 0.8)))))
            unq = sampled - passed
            r["unqualified_batches"] = unq
            r["unqualified_handled"] = min(unq, int(round(unq * (0.84 + 0.17 * phi(z("followup", 0.85))))))
            r["质量投诉件数"] = count("complaints", 4.0 * p10k, 0.4, z("complaints", -0.4, sl=-0.5), 5)
            if t == 0:
                bs = pop * 0.6 * math.exp(0.5 * Mt + 0.3 * g.normal())   # 万元
            else:
                growth = 0.045 + 0.045 * Mt + 0.02 * g.normal()
                bs = brand_sales_prev[cid] * (1 + growth)
            brand_sales_prev[cid] = bs
            r["brand_sales"] = int(round(bs))

            # engineering (government)
            pc = count("projects", 900 * size, 0.35, z("projects", sd=0.5), 80)
            r["projects_completed"] = pc
            r["projects_passed_first"] = int(round(pc * (0.915 + 0.08 * phi(z("acceptance", 0.85)))))
            preg = count("registered", 1400 * size, 0.35, z("registered", sd=0.5), 100)
            r["projects_registered"] = preg
            r["projects_supervised"] = int(round(preg * (0.84 + 0.16 * phi(z("supervision", 0.85)))))
            r["fine_projects"] = count("fine", 12 * size, 0.55, z("fine", 0.8), 0)
            rc = count("road_checks", 600 * size, 0.35, z("road_n", sd=0.5), 60)
            r["road_checks"] = rc
            r["road_checks_passed"] = int(round(rc * (0.875 + 0.115 * phi(z("road_pass", 0.85)))))
            r["engineering_accidents"] = max(0, int(round(1.5 * size + 1.2 * z("accidents", -0.7, sd=0.6))))

            # service
            r["service_csi"] = "%.1f" % (66 + 20 * phi(z("csi", sl=0.85)))
            r["utility_satisfaction"] = "%.1f" % (70 + 23 * phi(z("utilities", sl=0.85)))
            tourists = count("tourists", 2.5e7 * size, 0.5, z("tourists", ml=0.3, sd=0.6), 1000000)
            r["tourists"] = tourists
            r["tourism_complaints"] = int(round(tourists / 1e4 * 0.3 * math.exp(0.5 * z("t_complaints", sl=-0.8))))
            disputes = count("disputes", 9000 * size, 0.4, z("disputes", sd=0.5), 300)
            r["disputes"] = disputes
            r["disputes_settled"] = int(round(disputes * (0.6 + 0.36 * phi(z("settled", 0.8)))))
            r["service_standard_pilots"] = count("svc_pilots", 7 * size, 0.5, z("svc_pilots", 0.8), 0)

            # sharing
            sat = 62 + 26 * phi(z("satisfaction", sl=0.85, sd=0.5))
            r["survey_satisfaction"] = "%.1f" % sat
            # PLANTED redundant pair: knowledge is satisfaction rescaled plus tiny noise.
            r["survey_knowledge"] = "%.1f" % (0.92 * sat + 5.0 + 0.5 * g.normal())
            r["survey_participation"] = "%.1f" % (40 + 38 * phi(z("participation", sl=0.8, sd=0.6)))
            fb = int(round(pop / 1000 * 4.0 * math.exp(0.3 * z("food_n", sd=0.6))))
            r["food_batches"] = fb
            r["food_batches_passed"] = int(round(fb * (0.955 + 0.04 * phi(z("food_pass", 0.8)))))

            # innovation
            r["institutional_innovations"] = count("reforms", 4 * size ** 0.5, 0.5, z("reforms", 0.8), 0)
            r["credit_sharing_agencies"] = count("credit_sharing", 30 * size ** 0.4, 0.35, z("credit_sharing", 0.8), 8)
            r["national_quality_pilots"] = count("pilots", 2.5 * size ** 0.5, 0.55, z("pilots", 0.8), 0)
            r["innovation_expert_score"] = "%.1f" % (2.5 + 7.2 * phi(z("highlights", 0.85)))
            r["promotion_council_members"] = count("council", 35 * size ** 0.5, 0.4, z("council", 0.3, sl=0.6), 8)

            # market group (market_led.qi)
            r["product_sales"] = int(round(pop * 75000 * math.exp(0.45 * z("sales", ml=0.85, sd=0.45))))
            r["quality_intermediaries"] = count("intermediaries", entities / 1e4 * 16, 0.45, z("intermediaries", ml=0.85, sd=0.5), 5)
            fqi = p10k * 28 * math.exp(0.4 * z("fiscal", 0.8))
            r["fiscal_quality_input"] = int(round(fqi))
            r["quality_output"] = int(round(fqi * 70 * math.exp(0.45 * z("fiscal_perf", ml=0.85, sd=0.5))))
            r["public_service_satisfaction"] = "%.1f" % (56 + 30 * phi(z("public_service", sl=0.85)))

            # adjust
            r["major_quality_incidents"] = PENALTIES.get((cid, year), 0)
            r["major_safety_accidents"] = 1 if (cid, year) == (safety_city, 2022) else 0
            r["quality_fraud_cases"] = 1 if (cid, year) == (fraud_city, 2023) else 0
            r["campaigns"] = r["quality_campaigns"]
            r["major_incidents"] = r["major_quality_incidents"]
            rows.append(r)

    missing = set((c, u, y) for c, u, y in MISSING)
    u, y, cols = WHOLE_GROUP_MISSING
    missing |= set((c, u, y) for c in cols)
    for r in rows:
        for c in COLUMNS:
            if (c, r["city"], r["year"]) in missing:
                r[c] = ""
    latent = {"G": G, "M": M, "S": S, "ids": ids, "fraud_city": fraud_city,
              "safety_city": safety_city}
    return rows, latent


def write(rows, out):
    w = csv.writer(out, lineterminator="\n")
    w.writerow(COLUMNS)
    for r in rows:
        w.writerow([r[c] for c in COLUMNS])


def main():
    rows, _ = build()
    buf = io.StringIO()
    write(rows, buf)
    text = buf.getvalue()
    if "--stdout" in sys.argv[1:]:
        sys.stdout.write(text)
        return
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "quality_city.csv")
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(text)
    print("wrote %s: %d rows, %d columns" % (path, len(rows), len(COLUMNS)))


if __name__ == "__main__":
    main()
