"""Identity matching benchmark: accuracy per variation, blocking, speed, and the same data
through recordlinkage (a recognised record-linkage toolkit) for comparison.

    export DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/rsoits_match_bench
    .venv/bin/python bench/generate_registrants.py --count 1000000 --seed 1   # the registry
    .venv/bin/python bench/matching_index.py                                  # its blocking keys
    .venv/bin/python bench/matching_evalset.py --registered 50000 --unregistered 50000
    .venv/bin/python bench/matching_bench.py [--latency 500] [--rl-hits 20000]

Measures, on ``var/match_eval/hits.csv`` with its labels:

* ``manage.py screen`` over the whole file (a separate process; wall time and records/s);
* precision and recall of ``match`` and of ``match or review``, overall and per variation;
  alerts (match or review) per 100,000 hits of unregistered people, and how many of those
  unregistered people share name and date of birth exactly with a registrant (no matcher can
  tell those apart without a document), and how many have a registered namesake born on a date
  one digit different (the evidence of a registered hit with a mistyped date) and are alerted
  through it, per review threshold;
* blocking recall (the true registrant among the scored candidates) and candidates per hit;
* one subject through ``match_subject``: p50 / p95 latency;
* recordlinkage 0.16 on the same hits against the same registry: blocking on date of birth or
  name sounds, Jaro-Winkler comparisons, ECM (unsupervised Fellegi-Sunter) classification.

Results are printed as Markdown and written to ``results.json`` beside the data.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import statistics
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rsoits.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402

from registrants.keys import compact, normalise_name  # noqa: E402
from registrants.matching import match_subject  # noqa: E402
from registrants.matching.engine import block, name_frequencies, prepare  # noqa: E402
from registrants.matching.screening import parse_row  # noqa: E402

FLOOR = 0.01
AUTO_GRID = [0.995, 0.999, 0.9999]
REVIEW_GRID = [0.01, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def load(data: Path) -> tuple[list[dict], dict[str, tuple[str, str]]]:
    with (data / "hits.csv").open(encoding="utf-8") as f:
        hits = list(csv.DictReader(f))
    with (data / "labels.csv").open(encoding="utf-8") as f:
        labels = {r["record_id"]: (r["variation"], r["registrant_external_id"]) for r in csv.DictReader(f)}
    return hits, labels


def run_screen(data: Path) -> tuple[float, Path]:
    out = data / "screen_out.csv"
    cmd = [sys.executable, str(ROOT / "manage.py"), "screen", str(data / "hits.csv"), "--output", str(out)]
    # Candidates down to a low floor are written, so that other thresholds can be evaluated.
    env = {
        **os.environ,
        "MATCH_REVIEW_THRESHOLD": str(FLOOR),
        "MATCH_AUTO_THRESHOLD": str(settings.MATCH_AUTO_THRESHOLD),
    }
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False, env=env)
    elapsed = time.perf_counter() - t0
    if proc.returncode not in (0, 1):
        sys.exit(f"screen failed: {proc.stderr[-2000:]}")
    print(proc.stderr.strip().splitlines()[-1])
    return elapsed, out


def decide(score: float, reported: str, auto: float, review: float) -> str:
    """The decision at other thresholds (a document rule's match stands whatever the score)."""
    if score >= auto or (reported == "match" and score < settings.MATCH_AUTO_THRESHOLD):
        return "match"
    return "review" if score >= review else "no_match"


def accuracy(
    found: dict[str, list[tuple[str, float, str]]],
    labels: dict[str, tuple[str, str]],
    auto: float | None = None,
    review: float | None = None,
) -> dict:
    """``found``: record_id -> [(external_id, score, decision as reported)] for each candidate."""
    auto = settings.MATCH_AUTO_THRESHOLD if auto is None else auto
    review = settings.MATCH_REVIEW_THRESHOLD if review is None else review
    per = defaultdict(Counter)
    match_pairs = match_true = alert_pairs = alert_true = 0
    for record_id, (variation, truth) in labels.items():
        decided = [(ext, decide(score, d, auto, review)) for ext, score, d in found.get(record_id, [])]
        matched = {ext for ext, d in decided if d == "match"}
        alerted = {ext for ext, d in decided if d != "no_match"}
        match_pairs += len(matched)
        alert_pairs += len(alerted)
        match_true += truth in matched
        alert_true += truth in alerted
        c = per[variation]
        c["hits"] += 1
        if truth:
            c["match"] += truth in matched
            c["match_or_review"] += truth in alerted
        else:
            c["alerts"] += bool(alerted)
            c["false_matches"] += bool(matched)
    registered = {v: c for v, c in per.items() if v != "unregistered"}
    n_reg = sum(c["hits"] for c in registered.values())
    unreg = per.get("unregistered", Counter())
    return {
        "auto_threshold": auto,
        "review_threshold": review,
        "registered_hits": n_reg,
        "unregistered_hits": unreg["hits"],
        "recall_match": sum(c["match"] for c in registered.values()) / max(n_reg, 1),
        "recall_match_or_review": sum(c["match_or_review"] for c in registered.values()) / max(n_reg, 1),
        "precision_match": match_true / max(match_pairs, 1),
        "precision_match_or_review": alert_true / max(alert_pairs, 1),
        "match_pairs": match_pairs,
        "alerts_per_100k_unregistered": 100000 * unreg["alerts"] / max(unreg["hits"], 1),
        "false_matches_unregistered": unreg["false_matches"],
        "per_variation": {
            v: {
                "hits": c["hits"],
                "recall_match": c["match"] / c["hits"],
                "recall_match_or_review": c["match_or_review"] / c["hits"],
            }
            for v, c in sorted(registered.items())
        },
    }


def read_screen_output(path: Path) -> dict[str, list[tuple[str, float, str]]]:
    found = defaultdict(list)
    with path.open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["registrant_external_id"]:
                found[row["record_id"]].append((row["registrant_external_id"], float(row["score"]), row["decision"]))
    return found


def ids_by_external(external_ids: set[str]) -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT external_id, id FROM registrants_registrant WHERE external_id = ANY(%s)", [sorted(external_ids)]
        )
        return dict(cursor.fetchall())


def blocking(hits: list[dict], labels: dict[str, tuple[str, str]]) -> dict:
    truth_ids = ids_by_external({t for _, t in labels.values() if t})
    kept = total = 0
    sizes, found_sizes = [], []
    t0 = time.perf_counter()
    for start in range(0, len(hits), 1000):
        chunk = hits[start : start + 1000]
        prepared = [prepare(parse_row(h, 0)[0]) for h in chunk]
        blocks = block(prepared, [()] * len(prepared))
        for h, b in zip(chunk, blocks, strict=True):
            sizes.append(len(b.candidates))
            found_sizes.append(b.keys_found)
            truth = labels[h["record_id"]][1]
            if truth:
                total += 1
                kept += truth_ids.get(truth) in b.candidates
    return {
        "blocking_recall": kept / max(total, 1),
        "candidates_mean": statistics.fmean(sizes),
        "candidates_p95": percentile(sizes, 95),
        "candidates_max": max(sizes),
        "found_before_cap_max": max(found_sizes),
        "capped_hits": sum(1 for s in found_sizes if s > settings.MATCH_MAX_BLOCK),
        "seconds": time.perf_counter() - t0,
    }


def latency(hits: list[dict], n: int) -> dict:
    rng = random.Random(3)
    sample = rng.sample(hits, min(n, len(hits)))
    subjects = [parse_row(h, 0)[0] for h in sample]
    for s in subjects[:20]:
        match_subject(s)  # warm caches and connection
    times = []
    for s in subjects:
        t0 = time.perf_counter()
        match_subject(s)
        times.append((time.perf_counter() - t0) * 1000)
    return {"n": len(times), "p50_ms": percentile(times, 50), "p95_ms": percentile(times, 95), "max_ms": max(times)}


def exact_collisions(hits: list[dict], labels: dict[str, tuple[str, str]]) -> int:
    """Unregistered hits whose normalised name and date of birth equal a registrant's exactly."""
    wanted = [h for h in hits if not labels[h["record_id"]][1]]
    count = 0
    with connection.cursor() as cursor:
        for start in range(0, len(wanted), 5000):
            chunk = wanted[start : start + 5000]
            cursor.execute(
                "SELECT DISTINCT n.norm_given, n.norm_surname, b.date FROM registrants_registrantname n "
                "JOIN registrants_registrantbirthdate b ON b.registrant_id = n.registrant_id WHERE b.date = ANY(%s)",
                [sorted({h["date_of_birth"] for h in chunk})],
            )
            known = {(g, s, d.isoformat()) for g, s, d in cursor.fetchall()}
            count += sum(
                (normalise_name(h["given_name"]), normalise_name(h["surname"]), h["date_of_birth"]) in known
                for h in chunk
            )
    return count


def one_digit(a: str, b: str) -> bool:
    """Two ISO dates one digit apart (``YYYY-MM-DD``)."""
    return sum(x != y for x, y in zip(a, b, strict=True)) == 1


def namesakes(hits: list[dict], labels: dict[str, tuple[str, str]]) -> dict[str, set[str]]:
    """The unregistered hits that have a registered namesake (the same normalised given name and
    surname, by any of the registrant's names) born on a date one digit different from theirs:
    the evidence of a registered hit with one digit of its date of birth mistyped ("dob_digit"),
    which no weighting of these fields tells apart from it. Record ids, keyed by registrant."""
    wanted = [h for h in hits if not labels[h["record_id"]][1]]
    by_name: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for h in wanted:
        by_name[(normalise_name(h["given_name"]), normalise_name(h["surname"]))].append(h)
    found: dict[str, set[str]] = defaultdict(set)
    names = sorted(by_name)
    with connection.cursor() as cursor:
        for start in range(0, len(names), 5000):
            chunk = names[start : start + 5000]
            cursor.execute(
                "SELECT r.external_id, n.norm_given, n.norm_surname, b.date FROM registrants_registrantname n "
                "JOIN registrants_registrantbirthdate b ON b.registrant_id = n.registrant_id "
                "JOIN registrants_registrant r ON r.id = n.registrant_id "
                "WHERE (n.norm_given, n.norm_surname) IN (SELECT * FROM unnest(%s::text[], %s::text[]))",
                [[g for g, _ in chunk], [s for _, s in chunk]],
            )
            for external_id, given, surname, born in cursor.fetchall():
                for h in by_name[(given, surname)]:
                    if one_digit(h["date_of_birth"], born.isoformat()):
                        found[h["record_id"]].add(external_id)
    return found


def namesake_alerts(out: Path, found: dict[str, set[str]], grid: list[float]) -> dict[float, int]:
    """Per review threshold, how many of the ``namesakes`` hits are alerts because of such a
    namesake (a candidate at or above the threshold is one of them)."""
    scores: dict[str, list[float]] = defaultdict(list)
    with out.open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["registrant_external_id"] in found.get(row["record_id"], ()):
                scores[row["record_id"]].append(float(row["score"]))
    return {review: sum(max(s) >= review for s in scores.values()) for review in grid}


# --- recordlinkage ---------------------------------------------------------------------------------


def recordlinkage_run(hits: list[dict], labels: dict[str, tuple[str, str]]) -> dict:
    import jellyfish
    import pandas as pd
    import recordlinkage

    t0 = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT r.external_id, n.norm_given, n.norm_surname, b.date, r.sex FROM registrants_registrantname n "
            "JOIN registrants_registrant r ON r.id = n.registrant_id "
            "JOIN registrants_registrantbirthdate b ON b.registrant_id = n.registrant_id"
        )
        reg = pd.DataFrame(cursor.fetchall(), columns=["external_id", "given", "surname", "dob", "sex"])
    load_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    reg["given"] = reg["given"].str.split().str[0].fillna("")
    reg["surname"] = reg["surname"].str.replace(" ", "", regex=False)
    reg["dob"] = reg["dob"].astype(str)
    codes = {}

    def code(v: str) -> str:
        if v not in codes:
            codes[v] = jellyfish.metaphone(v) if v else ""
        return codes[v]

    reg["sur_code"] = reg["surname"].map(code)
    reg["giv_code"] = reg["given"].map(code)
    q = pd.DataFrame(
        {
            "record_id": [h["record_id"] for h in hits],
            "given": [(normalise_name(h["given_name"]).split() or [""])[0] for h in hits],
            "surname": [compact(normalise_name(h["surname"])) for h in hits],
            "dob": [h["date_of_birth"] for h in hits],
            "sex": [h["sex"] for h in hits],
        }
    )
    q["sur_code"] = q["surname"].map(code)
    q["giv_code"] = q["given"].map(code)
    indexer = recordlinkage.Index()
    indexer.block("dob")
    indexer.block(["sur_code", "giv_code"])
    pairs = indexer.index(q, reg)
    compare = recordlinkage.Compare()
    compare.string("given", "given", method="jarowinkler", threshold=0.85, label="given")
    compare.string("surname", "surname", method="jarowinkler", threshold=0.85, label="surname")
    compare.exact("dob", "dob", label="dob")
    compare.exact("sex", "sex", label="sex")
    features = compare.compute(pairs, q, reg)
    classifier = recordlinkage.ECMClassifier(binarize=None)
    matches = classifier.fit_predict(features)
    elapsed = time.perf_counter() - t1
    decisions = defaultdict(list)
    for qi, ri in matches:
        decisions[q.at[qi, "record_id"]].append((reg.at[ri, "external_id"], 1.0, "match"))
    # the tool's blocking recall
    truth = {h["record_id"]: labels[h["record_id"]][1] for h in hits}
    pair_set = defaultdict(set)
    for qi, ri in pairs:
        pair_set[q.at[qi, "record_id"]].add(reg.at[ri, "external_id"])
    registered = [r for r, t in truth.items() if t]
    result = accuracy(decisions, {r: labels[r] for r in truth}, auto=1.0, review=1.0)
    result.update(
        pairs=len(pairs),
        pairs_per_hit=len(pairs) / max(len(hits), 1),
        blocking_recall=sum(truth[r] in pair_set[r] for r in registered) / max(len(registered), 1),
        load_seconds=load_s,
        seconds=elapsed,
        hits_per_second=len(hits) / elapsed,
    )
    return result


def table(title: str, result: dict) -> str:
    lines = [f"### {title}", "", "| variation | hits | recall match | recall match or review |", "|---|---:|---:|---:|"]
    for v, c in result["per_variation"].items():
        lines.append(f"| {v} | {c['hits']} | {c['recall_match']:.4f} | {c['recall_match_or_review']:.4f} |")
    lines += [
        f"| **all registered** | {result['registered_hits']} | {result['recall_match']:.4f} | "
        f"{result['recall_match_or_review']:.4f} |",
        "",
        f"precision of match {result['precision_match']:.5f} ({result['match_pairs']} match pairs); "
        f"precision of match or review {result['precision_match_or_review']:.4f}; "
        f"alerts per 100,000 unregistered hits {result['alerts_per_100k_unregistered']:.0f} "
        f"({result['unregistered_hits']} unregistered hits, {result['false_matches_unregistered']} false matches)",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default="var/match_eval")
    parser.add_argument("--latency", type=int, default=500, help="subjects timed one by one (0: skip)")
    parser.add_argument("--rl-hits", type=int, default=20000, help="hits given to recordlinkage (0: skip)")
    parser.add_argument("--skip-screen", action="store_true", help="reuse screen_out.csv")
    args = parser.parse_args()
    data = ROOT / args.data
    hits, labels = load(data)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM registrants_registrant")
        registrants = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM registrants_matchkey")
        keys = cursor.fetchone()[0]
    print(f"registry: {registrants} registrants, {keys} blocking keys; {len(hits)} hits")
    report: dict = {"registrants": registrants, "match_keys": keys, "hits": len(hits)}

    if args.skip_screen:
        screen_s, out = None, data / "screen_out.csv"
    else:
        screen_s, out = run_screen(data)
        print(f"screen: {len(hits)} records in {screen_s:.1f} s = {len(hits) / screen_s:.0f} records/s")
    report["screen_seconds"] = screen_s
    found = read_screen_output(out)
    result = accuracy(found, labels)
    report["rsoits"] = result
    print(table(f"RSOITS matcher (auto {result['auto_threshold']}, review {result['review_threshold']})", result))
    curve = []
    print(
        "\n| auto | review | precision match | recall match | recall match or review | worst variation | "
        "alerts per 100k unregistered |\n|---:|---:|---:|---:|---:|---:|---:|"
    )
    for auto in AUTO_GRID:
        for review in REVIEW_GRID:
            r = accuracy(found, labels, auto, review)
            worst = min(r["per_variation"].items(), key=lambda kv: kv[1]["recall_match_or_review"])
            curve.append({k: v for k, v in r.items() if k != "per_variation"} | {"worst": worst})
            print(
                f"| {auto} | {review} | {r['precision_match']:.5f} | {r['recall_match']:.4f} | "
                f"{r['recall_match_or_review']:.4f} | {worst[0]} {worst[1]['recall_match_or_review']:.4f} | "
                f"{r['alerts_per_100k_unregistered']:.0f} |"
            )
    report["threshold_curve"] = curve
    name_frequencies()
    report["blocking"] = blocking(hits, labels)
    print("blocking:", json.dumps(report["blocking"], indent=None))
    if args.latency:
        report["latency"] = latency(hits, args.latency)
        print("one subject:", json.dumps(report["latency"]))
    report["exact_collisions"] = exact_collisions(hits, labels)
    print(f"unregistered hits sharing exact name and DOB with a registrant: {report['exact_collisions']}")
    found = namesakes(hits, labels)
    alerted = namesake_alerts(out, found, REVIEW_GRID)
    n_unreg = sum(1 for v, _ in labels.values() if v == "unregistered")
    report["one_digit_namesakes"] = {"hits": len(found), "alerts_by_review_threshold": alerted}
    print(
        f"unregistered hits with a namesake born one digit off: {len(found)}; alerts through such a namesake "
        "per 100k unregistered hits, by review threshold: "
        + ", ".join(f"{t}: {100000 * n / max(n_unreg, 1):.0f}" for t, n in alerted.items())
    )
    if args.rl_hits:
        rng = random.Random(5)
        subset = rng.sample(hits, min(args.rl_hits, len(hits)))
        sub_labels = {h["record_id"]: labels[h["record_id"]] for h in subset}
        ours = accuracy(read_screen_output(out), sub_labels)
        report["rsoits_subset"] = ours
        rl = recordlinkage_run(subset, labels)
        report["recordlinkage"] = rl
        print(table(f"RSOITS on the recordlinkage subset ({len(subset)} hits)", ours))
        print(table("recordlinkage 0.16 (ECM)", rl))
        print(
            f"recordlinkage: {rl['pairs']} pairs ({rl['pairs_per_hit']:.0f} per hit), blocking recall "
            f"{rl['blocking_recall']:.4f}, {rl['seconds']:.1f} s ({rl['hits_per_second']:.0f} hits/s) "
            f"+ {rl['load_seconds']:.1f} s loading the registry"
        )
    (data / "results.json").write_text(json.dumps(report, indent=2, default=str))


if __name__ == "__main__":
    main()
