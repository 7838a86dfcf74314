#!/usr/bin/env python3
"""Tests of the table generator on made-up JMH results: python3 benchmarks/tools/test_bench_tables.py"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bench_tables  # noqa: E402
from bench_results import Results  # noqa: E402
from bench_spec import TABLES  # noqa: E402
from bench_targets import TARGETS, Ctx  # noqa: E402

PKG = "io.github.slabkit.bench."


def record(name, score, error=0.1, mode="avgt", unit="ns/op", bop=0.0, params=None, members=None):
    raw = [[score, score, score]]
    r = {"benchmark": PKG + name, "mode": mode, "threads": 1, "forks": 1, "warmupIterations": 5,
         "warmupTime": "1 s", "measurementIterations": 3, "measurementTime": "1 s",
         "primaryMetric": {"score": score, "scoreError": error, "scoreUnit": unit,
                           "scorePercentiles": {"50.0": score}, "rawData": raw},
         "secondaryMetrics": {"gc.alloc.rate.norm": {"score": bop, "scoreError": 0, "scoreUnit": "B/op"}}}
    if params:
        r["params"] = params
    for m, s in (members or {}).items():
        r["secondaryMetrics"][m] = {"score": s, "scoreError": error, "scoreUnit": unit, "rawData": raw}
    return r


def folder(root, name, records, commit="c0ffee", dirty=False):
    path = os.path.join(root, name)
    os.makedirs(path)
    with open(os.path.join(path, "jmh.json"), "w") as f:
        json.dump(records, f)
    with open(os.path.join(path, "machine.json"), "w") as f:
        json.dump({"commit": commit, "shortCommit": commit[:7], "dirty": dirty, "nproc": 2,
                   "invocation": "benchmarks/run-benchmarks.sh"}, f)
    return path


def target(issue, text_start):
    return next(t for t in TARGETS if t.issue == issue and t.text.startswith(text_start))


def row(table_md, label):
    return next(line for line in table_md.splitlines() if line.startswith("| " + label + " |"))


class GeneratorTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.first = folder(self.dir, "a", [
            record("AllocPairBenchmark.slabTryAllocateFree", 6.0),
            record("AllocPairBenchmark.nettyPooled", 100.0, bop=144),
            record("AllocPairBenchmark.nettyPooledEventLoop", 50.0),
            record("AllocPairBenchmark.ffmMalloc", 20.0, error=float("nan")),
            record("ProducerConsumerBenchmark.slab", 40.0, mode="thrpt", unit="ops/us",
                   members={"slabProducer": 20.0, "slabConsumer": 20.0}),
            record("ProducerConsumerBenchmark.nettyPooled", 4.0, mode="thrpt", unit="ops/us",
                   members={"nettyProducer": 2.0, "nettyConsumer": 2.0}),
            record("ExtentLookupBenchmark.slabkitStateAt", 500.0, params={"ranges": "100000"}),
            record("ExtentLookupBenchmark.guavaGetEntry", 1000.0, params={"ranges": "100000"}),
            record("FutureBenchmark.something", 1.0),
        ])
        self.rerun = folder(self.dir, "b", [record("AllocPairBenchmark.slabTryAllocateFree", 5.0)])

    def tearDown(self):
        shutil.rmtree(self.dir)

    def render(self, table_id, *paths):
        res = Results(list(paths))
        return bench_tables.render_table(res, Ctx(res), next(t for t in TABLES if t.id == table_id))

    def test_later_run_wins_and_rows_name_their_run(self):
        md = self.render("slab-pair", self.first, self.rerun)
        self.assertIn("| **SlabCache tryAllocate/free** | 5.00 |", md)
        self.assertTrue(row(md, "**SlabCache tryAllocate/free**").endswith("| r2 |"))
        self.assertTrue(row(md, "Netty pooled, plain thread").endswith("| r1 |"))

    def test_ratio_is_to_the_fastest_netty_and_marks_a_cross_run_anchor(self):
        md = self.render("slab-pair", self.first)
        self.assertIn("| 8.33x |", row(md, "**SlabCache tryAllocate/free**"))  # 50 / 6, not 100 / 6
        md = self.render("slab-pair", self.first, self.rerun)
        self.assertIn("| 10.0x† |", row(md, "**SlabCache tryAllocate/free**"))

    def test_throughput_ratio_is_row_over_anchor(self):
        md = self.render("producer-consumer", self.first)
        self.assertIn("| 10.0x |", row(md, "**SlabCache** (producer's rate)"))

    def test_parameters_select_rows_and_same_size_anchors(self):
        md = self.render("extent-lookup", self.first)
        self.assertIn("| 2.00x |", row(md, "**Slabkit ExtentTree stateAt**, 100,000 ranges"))
        self.assertIn("not measured", row(md, "**Slabkit ExtentTree stateAt**, 1,000,000 ranges"))

    def test_garbage_and_missing_error(self):
        md = self.render("slab-pair", self.first)
        self.assertIn("| 144 |", row(md, "Netty pooled, plain thread"))
        self.assertIn("| n/a |", row(md, "FFM malloc/free"))
        self.assertTrue(row(md, "FFM malloc/free").endswith("r1 ⚠ |"))

    def test_target_verdicts(self):
        ctx = Ctx(Results([self.first]))
        self.assertEqual(target(2, "1 thread, pair: ≥ 8x").fn(ctx)[1], "met")
        self.assertEqual(target(12, "default pair: ≥ 11x").fn(ctx)[1], "**missed** by 24%")  # 8.33x
        self.assertTrue(target(12, "context pair: ≤ 2 ns").fn(ctx)[1].startswith("not measured"))
        self.assertTrue(target(2, "1 thread, pair: faster than FFM malloc").fn(ctx)[1].endswith("(noisy)"))
        self.assertEqual(target(2, "producer/consumer").fn(ctx)[1], "met")
        self.assertTrue(target(11, "default-mode").fn(ctx)[1].startswith("not measured (needs `--baseline"))

    def test_baseline_target(self):
        ctx = Ctx(Results([self.rerun]), Results([self.first]))
        measured, verdict = target(11, "default-mode").fn(ctx)
        self.assertIn("6.00 -> 5.00 ns (-1.00)", measured)
        self.assertEqual(verdict, "met")

    def test_unknown_benchmarks_are_listed_not_dropped(self):
        res = Results([self.first])
        ctx = Ctx(res)
        for t in TABLES:
            bench_tables.render_table(res, ctx, t)
        self.assertIn("`FutureBenchmark.something`", bench_tables.render_other(res))

    def test_noisy_summary_and_rerun_regex(self):
        out = subprocess.run([sys.executable, os.path.join(HERE, "bench_tables.py"), "--summary", self.first],
                             capture_output=True, text=True, check=True).stdout
        self.assertIn("AllocPairBenchmark.ffmMalloc", out)
        regex = subprocess.run([sys.executable, os.path.join(HERE, "bench_tables.py"), "--noisy-regex", self.first],
                               capture_output=True, text=True, check=True).stdout.strip()
        self.assertEqual(regex, r"^(io\.github\.slabkit\.bench\.AllocPairBenchmark\.ffmMalloc)$")

    def test_check_fails_on_a_stale_document_and_dirty_runs_are_refused(self):
        doc = os.path.join(self.dir, "B.md")
        with open(os.path.join(HERE, "..", "..", "BENCHMARKS.md")) as f:
            text = f.read()
        with open(doc, "w") as f:
            f.write(text)
        tool = [sys.executable, os.path.join(HERE, "bench_tables.py"), "--doc", doc]
        subprocess.run(tool + [self.first], capture_output=True, check=True)
        self.assertEqual(subprocess.run(tool + ["--check", self.first], capture_output=True).returncode, 0)
        with open(doc) as f:
            stale = f.read().replace("| **SlabCache tryAllocate/free** | 6.00 |", "| **SlabCache tryAllocate/free** | 5.00 |")
        with open(doc, "w") as f:
            f.write(stale)
        self.assertNotEqual(subprocess.run(tool + ["--check", self.first], capture_output=True).returncode, 0)
        dirty = folder(self.dir, "d", [record("AllocPairBenchmark.arrayStack", 1.0)], dirty=True)
        r = subprocess.run(tool + [dirty], capture_output=True, text=True)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("dirty", r.stderr)


if __name__ == "__main__":
    unittest.main()
