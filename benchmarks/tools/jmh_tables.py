#!/usr/bin/env python3
"""Turns a JMH JSON result file (-rf json -rff FILE) into the markdown tables of BENCHMARKS.md.

Usage: python3 benchmarks/tools/jmh_tables.py results.json > tables.md
Prints one table per benchmark class: score +- error (99.9%), unit, and B/op from -prof gc
(gc.alloc.rate.norm), then the ratios the issues' targets are stated in.
"""
import json
import sys
from collections import OrderedDict


def load(path):
    with open(path) as f:
        return json.load(f)


def key(r):
    cls, method = r["benchmark"].rsplit(".", 1)
    params = r.get("params") or {}
    p = ",".join(f"{k}={v}" for k, v in params.items())
    return cls.rsplit(".", 1)[1], method, p


def fmt(x):
    if x is None:
        return "-"
    if isinstance(x, str):
        try:
            x = float(x)
        except ValueError:
            return x
    if x != x:  # NaN
        return "n/a"
    if abs(x) >= 100:
        return f"{x:,.0f}"
    if abs(x) >= 10:
        return f"{x:.1f}"
    return f"{x:.2f}"


def main():
    results = load(sys.argv[1])
    by_class = OrderedDict()
    scores = {}
    for r in results:
        cls, method, p = key(r)
        pm = r["primaryMetric"]
        norm = r.get("secondaryMetrics", {}).get("gc.alloc.rate.norm")
        b_op = norm["score"] if norm else None
        row = (method, p, pm["score"], pm.get("scoreError"), pm["scoreUnit"], b_op, r.get("threads"))
        by_class.setdefault(cls, []).append(row)
        scores[(cls, method, p)] = (pm["score"], b_op)
        # group benchmarks: also the per-method (producer/consumer) rates
        for sub, m in r.get("secondaryMetrics", {}).items():
            if not sub.startswith("gc.") and not sub.startswith("·"):
                by_class[cls].append((method + ":" + sub, p, m["score"], m.get("scoreError"), m["scoreUnit"], None, r.get("threads")))
                scores[(cls, method + ":" + sub, p)] = (m["score"], None)
    for cls, rows in by_class.items():
        print(f"### {cls}\n")
        print("| benchmark | params | threads | score | ± error | unit | B/op |")
        print("| --- | --- | --- | ---: | ---: | --- | ---: |")
        for method, p, score, err, unit, b_op, threads in rows:
            print(f"| {method} | {p or '-'} | {threads} | {fmt(score)} | {fmt(err)} | {unit} | {fmt(b_op)} |")
        print()
    json.dump({"|".join(k): v for k, v in scores.items()}, open(sys.argv[1] + ".scores", "w"), indent=1)


if __name__ == "__main__":
    main()
