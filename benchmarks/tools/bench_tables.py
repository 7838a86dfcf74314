#!/usr/bin/env python3
"""Regenerates every table of BENCHMARKS.md from the JMH results of named results folders (Python 3 stdlib).

  bench_tables.py FOLDER [FOLDER ...] [--baseline FOLDER]   rewrite the tables of BENCHMARKS.md from these
                                                            folders (later wins per benchmark)
  bench_tables.py                                           the same, with the folders BENCHMARKS.md names
  bench_tables.py --check                                   exit 1 if BENCHMARKS.md is not what the folders it
                                                            names would produce (a test)
  bench_tables.py --summary FOLDER       print the run's facts and its noisy figures; writes FOLDER/noisy.txt
  bench_tables.py --noisy-regex FOLDER   the JMH regex of FOLDER's noisy benchmarks (for a rerun)
  bench_tables.py --headline-args        the JMH regex and -p options of run-benchmarks.sh --headline
  JAVA -jar benchmarks.jar -lp [REGEX] | bench_tables.py --estimate [JMH ARGS]   estimated wall time

Tables sit between `<!-- table:ID -->` and `<!-- /table -->`; everything outside the markers is prose the
generator leaves alone. Results folders must come from one commit, and not from a dirty tree, unless
--allow-mixed / --allow-dirty is given (then the header says so). A plain .json file is accepted as a
legacy result (an older run without machine facts) and labelled as such.
"""
import argparse
import glob
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_results import NOISY_FRACTION, PACKAGE, Results, fmt, fmt_bop, fmt_ratio  # noqa: E402
from bench_spec import HEADLINE_EXTRA, HEADLINE_PARAMS, TABLES  # noqa: E402
from bench_targets import TARGETS, Ctx, speedup, target_keys  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
DOC = os.path.join(ROOT, "BENCHMARKS.md")
MARK = re.compile(r"(<!-- table:([a-z0-9-]+) -->\n)(.*?)(<!-- /table -->)", re.S)
FORK_OVERHEAD_S = 1.2  # JVM start, setup and teardown per fork: 65 s over 61 forks in run-1817 (quiet machine)


def rel(path):
    return os.path.relpath(os.path.abspath(path), ROOT)


def row_cells(res, ctx, table, label, k):
    name, _, params = k.partition("{")
    params = params.rstrip("}")
    r = res.get(name, params)
    if r is None:
        return [label, "not measured"] + [""] * (3 + (2 if table.percentiles else len(table.anchors))) + [""]
    cells = [label, fmt(r.score), fmt(r.error) if r.error is not None else "n/a", fmt(r.median), fmt_bop(r)]
    if table.percentiles:
        cells += [fmt(r.p99), fmt(r.max)]
    for _, sel in table.anchors:
        a, _ = ctx.pick(sel, params)
        if a is None:
            cells.append("-")
        else:
            cells.append(fmt_ratio(speedup(r, a)) + ("†" if a.run is not r.run else ""))
    cells.append(r.run.tag + (" ⚠" if r.noisy else ""))
    return cells


def render_table(res, ctx, table):
    units = [r.unit for _, k in table.rows
             for r in [res.by_key.get(k)] if r is not None]
    unit = units[0] if units and len(set(units)) == 1 else "score"
    head = ["", unit, "± error", "median", "B/op"]
    head += ["p99", "max"] if table.percentiles else [f"vs {a}" for a, _ in table.anchors]
    head.append("run")
    lines = ["| " + " | ".join(head) + " |", "| --- |" + " ---: |" * (len(head) - 2) + " --- |"]
    for label, k in table.rows:
        lines.append("| " + " | ".join(row_cells(res, ctx, table, label, k)) + " |")
    for k in table.covers:
        res.get(*k.rstrip("}").split("{", 1))
    return "\n".join(lines) + "\n"


def render_other(res):
    rest = res.unused()
    if not rest:
        return "Every benchmark in the results appears in a table above.\n"
    lines = ["| benchmark | params | score | ± error | median | unit | B/op | run |",
             "| --- | --- | ---: | ---: | ---: | --- | ---: | --- |"]
    for r in rest:
        lines.append(f"| `{r.name}` | {r.params or '-'} | {fmt(r.score)} | "
                     f"{fmt(r.error) if r.error is not None else 'n/a'} | {fmt(r.median)} | {r.unit} | "
                     f"{fmt_bop(r)} | {r.run.tag}{' ⚠' if r.noisy else ''} |")
    return "\n".join(lines) + "\n"


def render_noisy(res):
    noisy = [r for _, r in sorted(res.by_key.items()) if r.noisy and r.mode != "sample"]
    if not noisy:
        return f"No figure has an error over {NOISY_FRACTION:.0%} of its score.\n"
    lines = ["| benchmark | params | score | ± error | error / score | run |", "| --- | --- | ---: | ---: | ---: | --- |"]
    for r in noisy:
        ef = r.error_fraction
        lines.append(f"| `{r.name}` | {r.params or '-'} | {fmt(r.score)} | "
                     f"{fmt(r.error) if r.error is not None else 'n/a'} | "
                     f"{f'{ef:.0%}' if ef is not None else 'no estimate'} | {r.run.tag} |")
    return "\n".join(lines) + "\n"


def render_targets(ctx):
    lines = ["| issue | target | measured | verdict |", "| ---: | --- | --- | --- |"]
    for t in TARGETS:
        measured, verdict = t.fn(ctx)
        lines.append(f"| {t.issue} | {t.text} | {measured} | {verdict} |")
    return "\n".join(lines) + "\n"


def render_text(res, attr, name):
    run = res.last_with(attr)
    if run is None:
        return f"No {name} in the results.\n"
    return f"From {run.tag} (`{rel(os.path.join(run.path, name))}`):\n\n```\n{getattr(run, attr).rstrip()}\n```\n"


def render_source(res, baseline_paths):
    lines = ["<!-- results: " + " ".join(rel(r.path) for r in res.runs) + " -->"]
    if baseline_paths:
        lines.append("<!-- baseline: " + " ".join(rel(p) for p in baseline_paths) + " -->")
    commits = {r.commit for r in res.runs}
    if len(commits) == 1 and None not in commits:
        lines.append(f"All figures below come from commit `{res.runs[0].commit}`, in these runs (a later run of a "
                     "benchmark replaces an earlier one; the `run` column names the run of each row):\n")
    elif None not in commits and getattr(res, "same_sources", False):
        lines.append("All figures below come from commits with identical library and benchmark sources ("
                     + ", ".join(f"`{c}`" for c in sorted(commits)) + "; `git diff` of `pom.xml`, `*/pom.xml` and "
                     "`*/src/**` between them is empty), in these runs (a later run of a benchmark replaces an "
                     "earlier one; the `run` column names the run of each row):\n")
    else:
        lines.append("**The figures below do not all come from one known commit** (see each run); the `run` "
                     "column names the run of each row:\n")
    if any(r.legacy for r in res.runs):
        lines.append("**Legacy inputs: their figures were measured on code older than the commit that added them, "
                     "with fewer forks and iterations than `run-benchmarks.sh` uses. They show the tables' layout, "
                     "not the figures of the current code; a full run replaces them.**\n")
    for r in res.runs:
        m = r.machine
        if r.legacy:
            lines.append(f"- **{r.tag}**: `{rel(r.path)}`: **legacy result of an older commit**, not made by "
                         f"`run-benchmarks.sh`: no machine facts were recorded{added_in(r.path)}; JMH settings "
                         f"{'; '.join(r.settings())}.")
            continue
        mem = m.get("memTotalKiB", 0) / 1024 / 1024
        jdk = re.search(r"Server VM (\S+)", m.get("jdk", ""))
        lines.append(
            f"- **{r.tag}**: `{rel(r.path)}`: commit `{m.get('shortCommit')}`"
            f"{' **with uncommitted changes (dirty)**' if r.dirty else ''}, {m.get('started')} to "
            f"{m.get('finished')}; {m.get('nproc')} CPUs ({m.get('cpuModel')}), {mem:.0f} GiB; load average "
            f"{m.get('loadAverageBefore')} before, {m.get('loadAverageAfter')} after; JDK {jdk.group(1) if jdk else m.get('jdk')}; "
            f"`{m.get('invocation')}` ({'; '.join(r.settings())}).")
    return "\n".join(lines) + "\n"


def added_in(path):
    """', added in commit abc1234 (2026-11-25)' from git, or '' when git cannot tell."""
    import subprocess
    r = subprocess.run(["git", "-C", ROOT, "log", "--diff-filter=A", "--format=%h %ad", "--date=short", "--",
                        rel(path)], capture_output=True, text=True)
    out = r.stdout.split()
    return f"; added to the repository in commit `{out[0]}` ({out[1]})" if r.returncode == 0 and len(out) >= 2 else ""


def render(doc, res, ctx, baseline_paths):
    tables = {t.id: t for t in TABLES}
    special = {
        "source": lambda: render_source(res, baseline_paths),
        "noisy": lambda: render_noisy(res),
        "footprint": lambda: render_text(res, "footprint", "footprint.txt"),
        "fragmentation": lambda: render_text(res, "fragmentation", "fragmentation.txt"),
    }
    found = [m.group(2) for m in MARK.finditer(doc)]
    unknown = [i for i in found if i not in tables and i not in special and i not in ("targets", "other")]
    if unknown:
        sys.exit(f"bench_tables: unknown table markers in BENCHMARKS.md: {', '.join(unknown)}")
    missing = [t.id for t in TABLES if t.id not in found]
    if missing:
        sys.exit(f"bench_tables: BENCHMARKS.md lacks the markers of: {', '.join(missing)}")
    out = {}
    # Named tables first (they mark what they used), then the targets, then the rest.
    for i in found:
        if i in tables:
            out[i] = render_table(res, ctx, tables[i])
    for i in found:
        if i in special:
            out[i] = special[i]()
    out["other"] = render_other(res)  # before the targets: a benchmark only a target names is listed here
    out["targets"] = render_targets(ctx)
    return MARK.sub(lambda m: m.group(1) + out[m.group(2)] + m.group(4), doc)


def named_in_doc(doc, what):
    m = re.search(r"<!-- " + what + r": (.*?) -->", doc)
    return m.group(1).split() if m else []


SOURCES = ["pom.xml", "*/pom.xml", "*/src/**"]  # what the benchmarks jar is built from (as run-benchmarks.sh)


def same_sources(commits):
    """True when git shows no difference in library or benchmark sources between the commits (a later
    commit that only changed docs or these tools measures the same code)."""
    import subprocess
    first, *rest = sorted(commits)
    for c in rest:
        r = subprocess.run(["git", "-C", ROOT, "diff", "--quiet", first, c, "--", *SOURCES],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if r.returncode != 0:
            return False
    return True


def check_runs(res, allow_mixed, allow_dirty):
    commits = {r.commit for r in res.runs if not r.legacy}
    res.same_sources = len(commits) > 1 and same_sources(commits)
    if len(commits) > 1 and not allow_mixed and not res.same_sources:
        sys.exit("bench_tables: the folders come from different commits " + ", ".join(sorted(commits))
                 + "; the figures must belong to one commit (or pass --allow-mixed)")
    dirty = [r.name for r in res.runs if r.dirty]
    if dirty and not allow_dirty:
        sys.exit("bench_tables: dirty runs (uncommitted changes): " + ", ".join(dirty) + " (or pass --allow-dirty)")


def summary(folder):
    res = Results([folder])
    run = res.runs[0]
    m = run.machine
    print(f"results: {rel(folder)}")
    print(f"commit: {m.get('commit')}{' (DIRTY)' if run.dirty else ''}; load average {m.get('loadAverageBefore')}"
          f" before, {m.get('loadAverageAfter')} after; {len(run.results)} figures")
    noisy = [r for r in run.results if r.noisy and r.mode != "sample"]
    benches = {}
    for r in noisy:
        bench = PACKAGE + r.name.split(":")[0]
        ef = r.error_fraction
        benches.setdefault((bench, r.params), []).append("no error estimate" if ef is None else f"{ef:.0%}")
    with open(os.path.join(folder, "noisy.txt"), "w") as f:
        for (bench, params), why in sorted(benches.items()):
            f.write(f"{bench}\t{params or '-'}\t{', '.join(why)}\n")
    if not benches:
        print(f"no figure has an error over {NOISY_FRACTION:.0%} of its score")
        return
    print(f"{len(benches)} benchmarks with an error over {NOISY_FRACTION:.0%} of the score (or no estimate):")
    for (bench, params), why in sorted(benches.items()):
        print(f"  {bench[len(PACKAGE):]} {params if params else ''} error/score {', '.join(why)}")
    print(f"rerun them with more forks and iterations:\n  benchmarks/run-benchmarks.sh --rerun-noisy {rel(folder)}"
          f"\nthen: python3 benchmarks/tools/bench_tables.py {rel(folder)} <the rerun's folder>")


def noisy_regex(folder):
    names = []
    with open(os.path.join(folder, "noisy.txt")) as f:
        for line in f:
            n = line.split("\t")[0].strip()
            if n and n not in names:
                names.append(n)
    print("^(" + "|".join(re.escape(n) for n in names) + ")$")


def headline_args():
    names = sorted(target_keys() | set(HEADLINE_EXTRA))
    print("^" + re.escape(PACKAGE) + "(" + "|".join(re.escape(n) for n in names) + ")$")
    for a in HEADLINE_PARAMS:
        print(a)


def class_times(cls):
    """(warm-up s, measurement s) of a class's @Warmup/@Measurement (1 s each when not given)."""
    times = [1.0, 1.0]
    for path in glob.glob(os.path.join(ROOT, "benchmarks", "src", "main", "java", "**", cls + ".java"), recursive=True):
        with open(path) as f:
            src = f.read()
        for i, ann in enumerate(("Warmup", "Measurement")):
            m = re.search(r"@" + ann + r"\(([^)]*)\)", src)
            if m:
                t = re.search(r"time\s*=\s*(\d+)", m.group(1))
                u = re.search(r"timeUnit\s*=\s*TimeUnit\.(\w+)", m.group(1))
                scale = {"MILLISECONDS": 0.001, "MINUTES": 60.0}.get(u.group(1) if u else "SECONDS", 1.0)
                if t:
                    times[i] = int(t.group(1)) * scale
    return times


def estimate(argv):
    ap = argparse.ArgumentParser(prog="bench_tables.py --estimate")
    ap.add_argument("-f", type=int, default=3)
    ap.add_argument("-wi", type=int, default=5)
    ap.add_argument("-i", type=int, default=5)
    ap.add_argument("-w")
    ap.add_argument("-r")
    ap.add_argument("-p", action="append", default=[])
    ap.add_argument("-prof")
    args, _ = ap.parse_known_args(argv)
    overrides = {}
    for p in args.p:
        k, _, v = p.partition("=")
        overrides[k] = len(v.split(","))
    secs = lambda s: float(s.rstrip("s")) if s else None  # noqa: E731
    benches, per_class = [], {}
    for line in sys.stdin:
        line = line.rstrip()
        if line.startswith(PACKAGE):
            benches.append([line[len(PACKAGE):], 1])
        elif benches and line.strip().startswith("param"):
            m = re.match(r'\s*param "(\w+)" = \{(.*)\}', line)
            if m:
                benches[-1][1] *= overrides.get(m.group(1), len(m.group(2).split(",")))
    total = 0.0
    for name, combos in benches:
        cls = name.split(".")[0]
        w, r = class_times(cls)
        w, r = secs(args.w) or w, secs(args.r) or r
        t = combos * args.f * (args.wi * w + args.i * r + FORK_OVERHEAD_S)
        per_class[cls] = per_class.get(cls, 0) + t
        total += t
    n_combos = sum(c for _, c in benches)
    print(f"{len(benches)} benchmarks, {n_combos} parameter combinations, {n_combos * args.f} forks "
          f"(-f {args.f} -wi {args.wi} -i {args.i}, {FORK_OVERHEAD_S} s per fork for JVM start and setup)")
    for cls, t in sorted(per_class.items(), key=lambda x: -x[1]):
        print(f"  {cls:32s} {t / 60:5.1f} min")
    print(f"estimated wall time: {total / 60:.1f} min")


def main():
    argv = sys.argv[1:]
    if argv[:1] == ["--estimate"]:
        return estimate(argv[1:])
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("folders", nargs="*")
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--baseline", action="append", default=[])
    ap.add_argument("--allow-mixed", action="store_true")
    ap.add_argument("--allow-dirty", action="store_true")
    ap.add_argument("--summary")
    ap.add_argument("--noisy-regex")
    ap.add_argument("--headline-args", action="store_true")
    ap.add_argument("--doc", default=DOC)
    a = ap.parse_args(argv)
    if a.summary:
        return summary(a.summary)
    if a.noisy_regex:
        return noisy_regex(a.noisy_regex)
    if a.headline_args:
        return headline_args()
    with open(a.doc) as f:
        doc = f.read()
    folders = a.folders or [os.path.join(ROOT, p) for p in named_in_doc(doc, "results")]
    baseline = a.baseline or [os.path.join(ROOT, p) for p in named_in_doc(doc, "baseline")]
    if not folders:
        sys.exit("bench_tables: name the results folders (BENCHMARKS.md names none)")
    for p in folders + baseline:
        if not os.path.exists(p):
            sys.exit(f"bench_tables: {p} does not exist")
    res = Results(folders)
    check_runs(res, a.allow_mixed or a.check, a.allow_dirty or a.check)
    ctx = Ctx(res, Results(baseline) if baseline else None)
    new = render(doc, res, ctx, baseline)
    if a.check:
        if new != doc:
            import difflib
            sys.stdout.writelines(difflib.unified_diff(doc.splitlines(True), new.splitlines(True),
                                                       "BENCHMARKS.md", "generated", n=1))
            sys.exit("bench_tables: BENCHMARKS.md is not what the generator produces; run "
                     "python3 benchmarks/tools/bench_tables.py")
        print("bench_tables: BENCHMARKS.md matches its results")
        return None
    if new != doc:
        with open(a.doc, "w") as f:
            f.write(new)
    print(f"bench_tables: {rel(a.doc)} regenerated from " + ", ".join(rel(r.path) for r in res.runs))
    return None


if __name__ == "__main__":
    main()
