#!/usr/bin/env python3
"""Generate the SYNTHETIC citizen survey rules/data/citizens.csv (one row per respondent).

Every answer is invented. The respondents live in the 36 fictional cities of quality_city.csv
(same ids C01..C36, same years 2021..2023); the file is read by the `survey citizens` block of
rules/quality_city.qi, whose dimensions satisfaction (满意度, items s01..s15), awareness (知晓度,
a01..a10) and participation (参与度, p01..p08) are the seed's 33 survey items.

Usage:  python3 rules/data/generate_citizens.py            (writes rules/data/citizens.csv)
        python3 rules/data/generate_citizens.py --stdout   (prints the CSV instead)

Deterministic like generate.py: standard library only, one random.Random(SEED), only
rng.random() is called, so the output is the same bytes on every run and Python 3 version.

How the answers are made. Each city-year's expected dimension scores are the pre-aggregated
columns of quality_city.csv (survey_satisfaction, survey_knowledge, survey_participation), so
the survey estimates stay close to them and the demo's planted facts keep holding:
- A respondent's latent score on 0..100 is the city-year value plus a symmetric triangular
  deviation that never leaves 0..100 (so it does not move the mean). Awareness shares the
  satisfaction deviation (times 0.92, as survey_knowledge is 0.92 x survey_satisfaction + 5):
  the redundant pair of the index stays redundant at the respondent level.
- An answer's item score (x - lo) / (hi - lo) x 100 has the respondent's latent as its
  expectation: a satisfaction or awareness answer on 1..5 is one of the two answers next to
  1 + 4 x latent / 100 (the upper with the probability that makes the expectation exact); a
  participation answer on 0..4 (how often) is Binomial(4, latent / 100). Reversed items store
  lo + hi - x. About 3% of answers are the don't-know code 9, about 1% are empty.

Design: per city-year four districts (strata), three communities per district (the clusters,
PSUs), 11-16 respondents per community; the weight of a respondent is residents represented
(population / sample size, times a factor 0.6..1.4), independent of the answers.

PLANTED (README.md says the same):
1. A sample too small: C15 (黛湾市) in 2022 has only two districts with two communities of 15
   respondents, 60 < min_respondents 100, so its estimates are missing that year.
2. An item that measures nothing: s15 is uniform on 1..5, drawn independently of everything, so
   its corrected item-total correlation with the rest of `satisfaction` is about 0. The other
   satisfaction items are centred so that the dimension (s15 included) keeps its expectation.
"""

import csv
import io
import math
import os
import sys
import random

sys.dont_write_bytecode = True  # no __pycache__ beside the data
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import generate  # noqa: E402

SEED = 20130602
SMALL_SAMPLE = ("C15", 2022)  # PLANTED: below min_respondents
NOISE_ITEM = "s15"  # PLANTED: measures nothing
SATISFACTION = ["s%02d" % k for k in range(1, 16)]
AWARENESS = ["a%02d" % k for k in range(1, 11)]
PARTICIPATION = ["p%02d" % k for k in range(1, 9)]
REVERSED = {"s07", "s12", "a06"}  # negatively worded items (stored reversed)
DONT_KNOW = 9
HALF_WIDTH = 35.0  # the widest respondent deviation from the city-year value, in points
COLUMNS = ["respondent", "city", "year", "district", "community", "weight"] + SATISFACTION \
    + AWARENESS + PARTICIPATION


class Rng:
    def __init__(self, seed):
        self.rng = random.Random(seed)

    def u(self):
        return self.rng.random()

    def int_between(self, a, b):
        return a + min(b - a, int(self.u() * (b - a + 1)))

    def triangular(self, h):
        # Symmetric on [-h, h] with mean 0.
        return h * (self.u() + self.u() - 1.0)

    def binomial(self, n, p):
        return sum(1 for _ in range(n) if self.u() < p)


def deviation(g, centre):
    # A respondent's deviation that keeps centre + deviation inside 0..100.
    return g.triangular(min(HALF_WIDTH, centre, 100.0 - centre))


def answer(g, latent, lo, hi, reverse, count):
    r = g.u()
    if r < 0.03:
        return DONT_KNOW
    if r < 0.04:
        return ""
    p = min(1.0, max(0.0, latent / 100.0))
    if count:
        x = lo + g.binomial(hi - lo, p)
    else:
        # The nearest answers below and above the latent, the upper one with the probability
        # that makes the expectation exact.
        v = lo + (hi - lo) * p
        x = min(hi, int(math.floor(v)) + (1 if g.u() < v - math.floor(v) else 0))
    return lo + hi - x if reverse else x


def build():
    panel, _ = generate.build()
    g = Rng(SEED)
    rows = []
    for r in panel:
        city, year = r["city"], r["year"]
        sat = float(r["survey_satisfaction"])
        know = float(r["survey_knowledge"])
        part = float(r["survey_participation"])
        # The 14 real items carry the dimension so that with the noise item (expectation 50)
        # the dimension's expectation is still `sat`.
        n_sat = len(SATISFACTION)
        sat_real = (n_sat * sat - 50.0) / (n_sat - 1)
        if (city, year) == SMALL_SAMPLE:
            design = [(d, [15, 15]) for d in (1, 2)]
        else:
            design = [(d, [g.int_between(11, 16) for _ in range(3)]) for d in (1, 2, 3, 4)]
        n = sum(sum(sizes) for _, sizes in design)
        represented = r["population"] / n
        k = 0
        for d, sizes in design:
            for c, size in enumerate(sizes, start=1):
                for _ in range(size):
                    k += 1
                    dev = deviation(g, sat_real)
                    ls = sat_real + dev
                    la = min(100.0, max(0.0, know + 0.92 * dev))
                    lp = part + deviation(g, part)
                    row = {
                        "respondent": "%s-%d-%03d" % (city, year, k),
                        "city": city,
                        "year": year,
                        "district": "%s-D%d" % (city, d),
                        "community": "%s-D%d-P%d" % (city, d, c),
                        "weight": int(round(represented * (0.6 + 0.8 * g.u()))),
                    }
                    for item in SATISFACTION:
                        if item == NOISE_ITEM:
                            row[item] = 1 + min(4, int(g.u() * 5))
                            continue
                        row[item] = answer(g, ls, 1, 5, item in REVERSED, False)
                    for item in AWARENESS:
                        row[item] = answer(g, la, 1, 5, item in REVERSED, False)
                    for item in PARTICIPATION:
                        row[item] = answer(g, lp, 0, 4, False, True)
                    rows.append(row)
    return rows


def main():
    rows = build()
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(COLUMNS)
    for r in rows:
        w.writerow([r[c] for c in COLUMNS])
    text = buf.getvalue()
    if "--stdout" in sys.argv[1:]:
        sys.stdout.write(text)
        return
    path = os.path.join(HERE, "citizens.csv")
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(text)
    print("wrote %s: %d respondents, %d columns" % (path, len(rows), len(COLUMNS)))


if __name__ == "__main__":
    main()
