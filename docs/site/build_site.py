#!/usr/bin/env python3
"""Builds the pages that join the API documentation site: the user guide, the JFR event catalog and the
benchmark results with SVG charts.

    python3 docs/site/build_site.py [--out DIR] [--check] [--update-guide] [JMH_JSON ...]

Writes DIR (default target/site-pages/doc-files) with guide.html, jfr-events.html, benchmarks.html,
charts/*.svg and slabkit.jfc. `mvn javadoc:aggregate` (the README's docs command, after this script) copies
target/site-pages/doc-files into target/reports/apidocs/doc-files (the javadoc plugin's javadocDirectory), so
the pages sit beside the Javadoc, share its stylesheet and link to its class pages.

JMH_JSON: the standard JMH JSON result files to chart (`-rf json`), each in its own section, in the order
given; default: every benchmarks/jmh-results/*.json, sorted by name.

Snippets: a line `<!-- snippet: Class#region -->` in docs/*.md, followed by a fenced code block, quotes the
`// @start region="region"` ... `// @end` part of examples/src/main/java/io/github/slabkit/examples/snippets/
Class.java (compiled and tested code). The pages always show the source's text; --update-guide rewrites the
fenced blocks in the .md files to match it, and --check fails when they differ (CI runs it).

Python 3 standard library only.
"""

import argparse
import glob
import html
import os
import re
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)

import charts  # noqa: E402
import markdown  # noqa: E402

REPO_URL = "https://github.com/slabkit/slabkit/blob/main/"
SNIPPETS = os.path.join(ROOT, "examples", "src", "main", "java", "io", "github", "slabkit", "examples", "snippets")
MODULES = ["allocator-api", "allocator-slab", "allocator-mempool", "extent-tree", "micrometer"]
PAGES = [("guide.html", "User guide"), ("benchmarks.html", "Benchmarks"), ("jfr-events.html", "JFR events")]
SNIPPET_MARK = re.compile(r"^<!--\s*snippet:\s*(\w+)#([\w-]+)\s*-->\s*$")


def snippet(cls, region):
    path = os.path.join(SNIPPETS, cls + ".java")
    with open(path, encoding="utf-8") as f:
        src = f.read().splitlines()
    start = [i for i, l in enumerate(src) if re.search(r'//\s*@start\s+region="?' + re.escape(region) + r'"?\s*$', l)]
    if not start:
        raise SystemExit("%s: no region %s" % (path, region))
    body = []
    for line in src[start[0] + 1:]:
        if re.search(r"//\s*@end\b", line):
            break
        body.append(line)
    indent = min((len(l) - len(l.lstrip()) for l in body if l.strip()), default=0)
    return [l[indent:] for l in body]


def sync_snippets(md_text):
    """Returns the Markdown with each marked fenced block replaced by the source region's text."""
    lines = md_text.splitlines()
    out = []
    i = 0
    while i < len(lines):
        out.append(lines[i])
        m = SNIPPET_MARK.match(lines[i].strip())
        i += 1
        if m and i < len(lines) and lines[i].strip().startswith("```"):
            out.append(lines[i])
            i += 1
            while i < len(lines) and not lines[i].strip().startswith("```"):
                i += 1
            out.extend(snippet(m.group(1), m.group(2)))
            out.append(lines[i] if i < len(lines) else "```")
            i += 1
    return "\n".join(out) + ("\n" if md_text.endswith("\n") else "")


def api_types():
    """Maps each public type of the published modules to its Javadoc page, relative to apidocs/site/."""
    types = {}
    for mod in MODULES:
        info = os.path.join(ROOT, mod, "src", "main", "java", "module-info.java")
        if not os.path.exists(info):
            continue
        with open(info, encoding="utf-8") as f:
            text = f.read()
        name = re.search(r"^(?:open\s+)?module\s+([\w.]+)\s*\{", text, re.M).group(1)
        for pkg in re.findall(r"exports\s+([\w.]+)\s*;", text):
            d = os.path.join(ROOT, mod, "src", "main", "java", *pkg.split("."))
            for java in sorted(glob.glob(os.path.join(d, "*.java"))):
                base = os.path.basename(java)[:-5]
                if base in ("package-info", "module-info"):
                    continue
                with open(java, encoding="utf-8") as f:
                    if re.search(r"^public\s+(final\s+|abstract\s+|sealed\s+)*(class|interface|record|enum)\s+"
                                 + base + r"\b", f.read(), re.M):
                        types[base] = "../" + name + "/" + pkg.replace(".", "/") + "/" + base + ".html"
    return types


def link_for(url):
    if url.startswith(("http://", "https://", "#")):
        return url
    target = os.path.basename(url.split("#")[0])
    local = {"BENCHMARKS.md": "benchmarks.html", "jfr-events.md": "jfr-events.html", "guide.md": "guide.html",
             "slabkit.jfc": "slabkit.jfc"}
    if target in local:
        return local[target] + ("#" + url.split("#", 1)[1] if "#" in url else "")
    path = os.path.normpath(os.path.join("docs", url)).replace(os.sep, "/")
    return REPO_URL + path


def api_links(body, types):
    """Links <code>Type</code> (and <code>Type.member...</code>) to the type's Javadoc page."""
    def repl(m):
        code = m.group(1)
        head = re.match(r"([A-Z]\w*)", html.unescape(code))
        if head and head.group(1) in types and not m.group(0).startswith("<a"):
            return '<a href="%s"><code>%s</code></a>' % (types[head.group(1)], code)
        return m.group(0)
    # not inside <pre>: split on pre blocks
    parts = re.split(r"(<pre[\s\S]*?</pre>)", body)
    return "".join(p if p.startswith("<pre") else re.sub(r"<code>([^<]+)</code>", repl, p) for p in parts)


def page(file_name, title, body, toc):
    nav = " ".join(
        '<a href="%s"%s>%s</a>' % (f, ' class="current"' if f == file_name else "", html.escape(t))
        for f, t in PAGES)
    toc_html = ""
    if toc:
        toc_html = '<nav class="site-toc"><ol>' + "".join(
            '<li class="toc-%d"><a href="#%s">%s</a></li>' % (lvl, hid, markdown.inline(text, lambda u: u))
            for lvl, hid, text in toc if lvl <= 3) + "</ol></nav>"
    return """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>%(title)s (Slabkit)</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="../resource-files/stylesheet.css">
<link rel="stylesheet" href="site.css">
</head>
<body class="slabkit-site">
<header class="site-header">
<a class="site-home" href="../index.html">Slabkit API</a>
<nav class="site-nav">%(nav)s</nav>
</header>
<main class="site-main">
%(toc)s
<div class="site-content">
%(body)s
</div>
</main>
<footer class="site-footer">Apache License 2.0. Generated by docs/site/build_site.py from the files named on
each page; examples are compiled and tested in the examples module.</footer>
</body>
</html>
""" % {"title": html.escape(title), "nav": nav, "toc": toc_html, "body": body}


CSS = """
body.slabkit-site { margin: 0; }
.site-header { background: #253441; color: white; padding: 10px 18px; display: flex; gap: 28px; align-items: baseline; }
.site-header a { color: white; text-decoration: none; }
.site-home { font-weight: bold; font-size: 1.15em; }
.site-nav a { margin-right: 18px; }
.site-nav a.current { border-bottom: 2px solid #f8981d; }
.site-main { display: flex; gap: 28px; padding: 8px 22px 30px 22px; max-width: 1300px; }
.site-toc { flex: 0 0 230px; font-size: 0.92em; position: sticky; top: 0; align-self: flex-start; }
.site-toc ol { list-style: none; padding-left: 0; }
.site-toc li.toc-3 { padding-left: 14px; }
.site-toc li { margin: 4px 0; }
.site-content { flex: 1; min-width: 0; max-width: 1000px; line-height: 1.5; }
.site-content pre.snippet { background: #f4f4f4; border: 1px solid #ddd; padding: 8px 10px; overflow-x: auto; }
.site-content table { border-collapse: collapse; margin: 10px 0; }
.site-content th, .site-content td { border: 1px solid #ccc; padding: 4px 8px; vertical-align: top; text-align: left; }
.site-content th { background: #dee3e9; }
.site-content img.chart { max-width: 100%; border: 1px solid #ddd; margin: 6px 0 18px 0; }
.site-footer { color: #666; font-size: 0.85em; padding: 10px 22px; border-top: 1px solid #ddd; }
"""


def read(path):
    with open(os.path.join(ROOT, path), encoding="utf-8") as f:
        return f.read()


def md_page(src, out_name, types):
    text = sync_snippets(read(src))
    title, body, toc = markdown.convert(text, link_for)
    return page(out_name, title, api_links(body, types), toc)


def benchmarks_page(json_paths, outdir, types):
    runs = charts.load(json_paths)
    sections = charts.write_charts(runs, os.path.join(outdir, "charts"))
    body = ["<h1>Benchmarks</h1>",
            "<p>Charts of the committed JMH results (standard JMH JSON, <code>-rf json</code>), one section per "
            "result file, generated by <code>docs/site/build_site.py</code>. Blue bars are Slabkit, grey bars the "
            "anchors measured in the same run: what a user would otherwise pick (Netty's pooled and adaptive "
            "allocators, FFM <code>Arena</code> and <code>malloc</code>, <code>ByteBuffer.allocateDirect</code>, "
            "a JCTools queue pool, Guava's <code>TreeRangeMap</code>, <code>TreeMap</code>). The machine is a "
            "shared 2-core one: compare bars within one chart (one run), not across runs. The commands, the "
            "analysis and the verdicts follow the charts (from BENCHMARKS.md).</p>"]
    toc = []
    for path, cs in sections:
        rel = os.path.relpath(path, ROOT).replace(os.sep, "/")
        hid = markdown.slug(os.path.basename(path))
        toc.append((2, hid, os.path.basename(path)))
        body.append('<h2 id="%s">%s</h2>' % (hid, html.escape(os.path.basename(path))))
        body.append('<p>From <a href="%s"><code>%s</code></a>.</p>' % (html.escape(REPO_URL + rel), html.escape(rel)))
        for cls, desc, svg, rs in cs:
            body.append("<h3>%s</h3>" % html.escape(desc))
            body.append('<img class="chart" src="charts/%s" alt="%s">' % (html.escape(svg), html.escape(desc)))
    if os.path.exists(os.path.join(ROOT, "BENCHMARKS.md")):
        _, bm, bm_toc = markdown.convert(read("BENCHMARKS.md"), link_for, heading_offset=0)
        body.append('<h2 id="analysis">The analysis (BENCHMARKS.md)</h2>')
        body.append(bm)
        toc.append((2, "analysis", "The analysis (BENCHMARKS.md)"))
    return page("benchmarks.html", "Benchmarks", api_links("\n".join(body), types), toc)


def verify_links(apidocs):
    """Checks that every relative link and image of the generated pages (in apidocs/doc-files) exists."""
    bad = []
    pages = glob.glob(os.path.join(apidocs, "doc-files", "*.html")) + [os.path.join(apidocs, "index.html")]
    for p in pages:
        with open(p, encoding="utf-8") as f:
            text = f.read()
        for url in re.findall(r'(?:href|src)="([^"]+)"', text):
            if url.startswith(("http://", "https://", "#", "mailto:", "javascript:")):
                continue
            target = os.path.normpath(os.path.join(os.path.dirname(p), html.unescape(url).split("#")[0]))
            if not os.path.exists(target):
                bad.append("%s: %s" % (os.path.relpath(p, apidocs), url))
    for b in bad:
        print("broken link: " + b, file=sys.stderr)
    return 1 if bad else 0


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("json", nargs="*", help="JMH JSON result files (default: benchmarks/jmh-results/*.json)")
    ap.add_argument("--out", default=os.path.join(ROOT, "target", "site-pages", "doc-files"))
    ap.add_argument("--check", action="store_true", help="fail if a quoted snippet in docs/*.md is stale")
    ap.add_argument("--update-guide", action="store_true", help="rewrite quoted snippets in docs/*.md")
    ap.add_argument("--verify-links", metavar="APIDOCS",
                    help="after javadoc:aggregate: check the pages' relative links in APIDOCS, then exit")
    args = ap.parse_args(argv)
    if args.verify_links:
        return verify_links(args.verify_links)

    stale = []
    for md in ("docs/guide.md", "docs/jfr-events.md"):
        text = read(md)
        synced = sync_snippets(text)
        if synced != text:
            if args.update_guide:
                with open(os.path.join(ROOT, md), "w", encoding="utf-8") as f:
                    f.write(synced)
                print("updated the quoted snippets in " + md)
            else:
                stale.append(md)
    if stale and args.check:
        print("stale snippets in %s: run python3 docs/site/build_site.py --update-guide" % ", ".join(stale),
              file=sys.stderr)
        return 1

    json_paths = args.json or sorted(glob.glob(os.path.join(ROOT, "benchmarks", "jmh-results", "*.json")))
    out = args.out
    if os.path.isdir(out):
        shutil.rmtree(out)
    os.makedirs(out)
    types = api_types()
    with open(os.path.join(out, "site.css"), "w", encoding="utf-8") as f:
        f.write(CSS)
    with open(os.path.join(out, "guide.html"), "w", encoding="utf-8") as f:
        f.write(md_page("docs/guide.md", "guide.html", types))
    with open(os.path.join(out, "jfr-events.html"), "w", encoding="utf-8") as f:
        f.write(md_page("docs/jfr-events.md", "jfr-events.html", types))
    with open(os.path.join(out, "benchmarks.html"), "w", encoding="utf-8") as f:
        f.write(benchmarks_page(json_paths, out, types))
    shutil.copy(os.path.join(ROOT, "docs", "slabkit.jfc"), os.path.join(out, "slabkit.jfc"))
    # The javadoc plugin skips a run when its sources and options are unchanged, and it does not look at the
    # overview or at these pages: forget its record so the next javadoc:aggregate picks up every change.
    stale_data = os.path.join(ROOT, "target", "maven-javadoc-plugin-stale-data.txt")
    if os.path.exists(stale_data):
        os.remove(stale_data)
    n = len(glob.glob(os.path.join(out, "charts", "*.svg")))
    print("site pages: %s (guide, JFR events, benchmarks with %d charts from %d JMH files)"
          % (os.path.relpath(out, os.getcwd()), n, len(json_paths)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
