"""SVG bar charts from standard JMH JSON result files (plain SVG text; no third-party packages)."""

import html
import json
import math
import os

# Method-name prefixes of the anchors: what a user would pick instead (Netty, FFM Arena/malloc, ByteBuffer,
# JCTools, plain arrays as the lower bound, Guava, TreeMap, a ReentrantLock) or, in FlyweightBenchmark, the
# plain VarHandle path the flyweight is compared with. Every other benchmark method is Slabkit's own code.
ANCHOR_PREFIXES = ("netty", "ffm", "arena", "byteBuffer", "jctools", "arrayStack", "threadLocalArrayStack",
                   "guava", "treeMap", "reentrantLock", "varHandle", "segmentSlice")

# Headline comparisons, in page order: benchmark class -> what it compares. Classes not listed still get a
# chart, after these.
HEADLINES = [
    ("AllocPairBenchmark", "One allocate + free of a 64-byte object, one thread: Slabkit vs Netty, FFM Arena and malloc, ByteBuffer, JCTools"),
    ("AllocBatchBenchmark", "Batches of allocations and frees: bulk API vs per-object calls, Netty, malloc"),
    ("AllocTwoThreadsBenchmark", "Allocate on one thread, free on another"),
    ("ProducerConsumerBenchmark", "Producer/consumer hand-off of buffers (throughput: higher is better)"),
    ("MempoolBenchmark", "Mempool and reservation paths, against the bare slab cache"),
    ("MempoolTwoThreadsBenchmark", "Mempool under two threads, against Netty's pooled allocator"),
    ("ExtentLookupBenchmark", "Extent tree lookup vs Guava TreeRangeMap and TreeMap"),
    ("ExtentSetClearBenchmark", "Extent tree set + clear vs Guava TreeRangeMap and TreeMap"),
    ("RangeLockBenchmark", "Range lock + unlock vs a Guava range-lock table and a ReentrantLock"),
    ("SlabDebugBenchmark", "The cost of slab debugging flags on the allocate + free pair"),
    ("FlyweightBenchmark", "Field access: flyweight vs plain layout VarHandle"),
    ("MicrometerBenchmark", "The Micrometer binder: the allocation pair with and without it, and one scrape"),
]

SLABKIT_COLOR = "#2a6ebb"
ANCHOR_COLOR = "#9a9a9a"


def load(paths):
    """Returns [(path, [result dicts])] for the named JMH JSON files."""
    runs = []
    for p in paths:
        with open(p, encoding="utf-8") as f:
            data = json.load(f)
        if not isinstance(data, list):
            raise ValueError(p + ": not a JMH JSON result file (expected a list of results)")
        runs.append((p, data))
    return runs


def alloc_norm(result):
    for key, m in result.get("secondaryMetrics", {}).items():
        if key.endswith("gc.alloc.rate.norm"):
            return m.get("score")
    return None


def label(result):
    name = result["benchmark"].rsplit(".", 1)[-1]
    params = result.get("params") or {}
    if params:
        name += " (" + ", ".join(k + "=" + v for k, v in sorted(params.items())) + ")"
    return name


def is_slabkit(result):
    return not result["benchmark"].rsplit(".", 1)[-1].startswith(ANCHOR_PREFIXES)


def groups(results):
    """Results grouped by benchmark class, headline classes first."""
    by = {}
    for r in results:
        by.setdefault(r["benchmark"].rsplit(".", 2)[-2], []).append(r)
    order = [c for c, _ in HEADLINES if c in by] + sorted(c for c in by if c not in dict(HEADLINES))
    return [(c, by[c]) for c in order]


def fmt(x):
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    if abs(x) >= 100:
        return "{:,.0f}".format(x)
    if abs(x) >= 10:
        return "{:.1f}".format(x)
    return "{:.2f}".format(x)


def svg_chart(cls, results):
    """One horizontal bar chart (SVG text) of a benchmark class's results, best first."""
    mode = results[0]["mode"]
    unit = results[0]["primaryMetric"]["scoreUnit"]
    higher_better = mode == "thrpt"
    rows = sorted(results, key=lambda r: r["primaryMetric"]["score"], reverse=higher_better)
    scores = [max(r["primaryMetric"]["score"], 1e-9) for r in rows]
    log = max(scores) / min(scores) > 50
    label_w, bar_w, value_w, row_h, top = 330, 380, 210, 22, 46
    width = label_w + bar_w + value_w
    height = top + row_h * len(rows) + 26

    def scale(v):
        if log:
            lo = math.floor(math.log10(min(scores)))
            hi = math.ceil(math.log10(max(scores) * 1.05))
            hi = hi if hi > lo else lo + 1
            return bar_w * (math.log10(max(v, 10 ** lo)) - lo) / (hi - lo)
        return bar_w * v / (max(scores) * 1.05)

    title = cls + ": " + ("higher" if higher_better else "lower") + " is better (" + unit + \
        (", log scale" if log else "") + ")"
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" '
           'font-family="DejaVu Sans, Arial, sans-serif" font-size="12" role="img" aria-label="%s">'
           % (width, height, width, height, html.escape(title))]
    out.append('<rect width="100%" height="100%" fill="white"/>')
    out.append('<text x="4" y="18" font-size="14" font-weight="bold">%s</text>' % html.escape(title))
    out.append('<text x="4" y="36" fill="#555">blue: Slabkit; grey: what you would use instead. '
               'Bars: score; whiskers: JMH 99.9% error. Right: score ± error, allocation per op.</text>')
    for k, r in enumerate(rows):
        y = top + k * row_h
        pm = r["primaryMetric"]
        score, err = pm["score"], pm.get("scoreError")
        color = SLABKIT_COLOR if is_slabkit(r) else ANCHOR_COLOR
        w = max(1.0, scale(score))
        out.append('<text x="%d" y="%d" text-anchor="end">%s</text>'
                   % (label_w - 6, y + 15, html.escape(label(r))))
        out.append('<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s"/>'
                   % (label_w, y + 4, w, row_h - 8, color))
        if isinstance(err, (int, float)) and not math.isnan(err) and err > 0:
            x1 = label_w + scale(max(score - err, min(scores) if log else 0))
            x2 = label_w + min(bar_w, scale(score + err))
            out.append('<line x1="%.1f" x2="%.1f" y1="%d" y2="%d" stroke="black" stroke-width="1"/>'
                       % (x1, x2, y + row_h // 2, y + row_h // 2))
        alloc = alloc_norm(r)
        value = fmt(score) + (" ± " + fmt(err) if isinstance(err, (int, float)) and not math.isnan(err) else "")
        if alloc is not None:
            value += ", " + ("0" if alloc < 0.5 else fmt(alloc)) + " B/op"
        out.append('<text x="%d" y="%d">%s</text>' % (label_w + bar_w + 6, y + 15, html.escape(value)))
    forks = sorted({r.get("forks") for r in rows if r.get("forks") is not None})
    jdk = rows[0].get("jdkVersion", "?")
    out.append('<text x="4" y="%d" fill="#555">JDK %s, forks %s, %s</text>'
               % (height - 8, html.escape(str(jdk)), html.escape(",".join(map(str, forks))),
                  html.escape(mode)))
    out.append("</svg>")
    return "\n".join(out) + "\n"


def write_charts(runs, outdir):
    """Writes one SVG per (file, benchmark class); returns [(path, [(cls, description, svg name, rows)])]."""
    os.makedirs(outdir, exist_ok=True)
    pages = []
    for path, results in runs:
        stem = os.path.splitext(os.path.basename(path))[0]
        charts = []
        for cls, rs in groups(results):
            name = stem + "-" + cls + ".svg"
            with open(os.path.join(outdir, name), "w", encoding="utf-8") as f:
                f.write(svg_chart(cls, rs))
            charts.append((cls, dict(HEADLINES).get(cls, cls), name, rs))
        pages.append((path, charts))
    return pages
