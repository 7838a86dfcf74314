"""A small Markdown-to-HTML converter for the project's own docs (no third-party packages).

It handles what docs/*.md use: ATX headings, paragraphs, '-' lists (with indented continuation lines),
pipe tables, fenced and indented code blocks, and inline code, bold, italic and links. Anything else is
passed through as text, escaped.
"""

import html
import re

_INLINE = re.compile(r"(`[^`]+`)|(\*\*[^*]+\*\*)|(\*[^*\s][^*]*\*)|(\[[^\]]+\]\([^)\s]+\))")


def inline(text, link):
    """Converts inline markup; link(url) maps a Markdown link target to an href."""
    out = []
    pos = 0
    for m in _INLINE.finditer(text):
        out.append(html.escape(text[pos:m.start()], quote=False))
        tok = m.group(0)
        if m.group(1):
            out.append("<code>" + html.escape(tok[1:-1], quote=False) + "</code>")
        elif m.group(2):
            out.append("<strong>" + inline(tok[2:-2], link) + "</strong>")
        elif m.group(3):
            out.append("<em>" + inline(tok[1:-1], link) + "</em>")
        else:
            label, url = re.match(r"\[([^\]]+)\]\(([^)\s]+)\)", tok).groups()
            out.append('<a href="' + html.escape(link(url)) + '">' + inline(label, link) + "</a>")
        pos = m.end()
    out.append(html.escape(text[pos:], quote=False))
    return "".join(out)


def slug(text):
    s = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return s or "section"


def _cells(line):
    line = line.strip()
    if line.startswith("|"):
        line = line[1:]
    if line.endswith("|"):
        line = line[:-1]
    return [c.strip() for c in line.split("|")]


def convert(md, link=lambda u: u, heading_offset=0):
    """Returns (title, html body, list of (level, id, text) headings)."""
    lines = md.splitlines()
    out = []
    headings = []
    title = None
    i = 0
    para = []

    def flush():
        if para:
            out.append("<p>" + inline(" ".join(s.strip() for s in para), link) + "</p>")
            para.clear()

    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if stripped.startswith("```"):
            flush()
            lang = stripped[3:].strip()
            i += 1
            code = []
            while i < len(lines) and not lines[i].strip().startswith("```"):
                code.append(lines[i])
                i += 1
            i += 1
            cls = ' class="language-' + html.escape(lang) + '"' if lang else ""
            out.append('<pre class="snippet"><code' + cls + ">" + html.escape("\n".join(code), quote=False)
                       + "</code></pre>")
            continue
        if line.startswith("    ") and not para and stripped:
            code = []
            while i < len(lines) and (lines[i].startswith("    ") or not lines[i].strip()):
                code.append(lines[i][4:])
                i += 1
            while code and not code[-1].strip():
                code.pop()
            out.append('<pre class="snippet"><code>' + html.escape("\n".join(code), quote=False) + "</code></pre>")
            continue
        m = re.match(r"^(#{1,6})\s+(.*)$", line)
        if m:
            flush()
            level = len(m.group(1))
            text = m.group(2).strip()
            if level == 1 and title is None:
                title = text
                out.append("<h1>" + inline(text, link) + "</h1>")
            else:
                hid = slug(text)
                headings.append((level, hid, text))
                lv = min(6, level + heading_offset)
                out.append('<h%d id="%s">%s</h%d>' % (lv, hid, inline(text, link), lv))
            i += 1
            continue
        if stripped.startswith("|") and i + 1 < len(lines) and re.match(r"^\s*\|?\s*:?-{3,}", lines[i + 1]):
            flush()
            head = _cells(line)
            aligns = ["right" if c.strip().endswith(":") and not c.strip().startswith(":") else ""
                      for c in _cells(lines[i + 1])]
            i += 2
            rows = []
            while i < len(lines) and lines[i].strip().startswith("|"):
                rows.append(_cells(lines[i]))
                i += 1
            t = ['<table class="summary-table striped"><thead><tr>']
            t += ["<th>" + inline(c, link) + "</th>" for c in head]
            t.append("</tr></thead><tbody>")
            for r in rows:
                t.append("<tr>")
                for k, c in enumerate(r):
                    a = aligns[k] if k < len(aligns) else ""
                    style = ' style="text-align:right"' if a == "right" else ""
                    t.append("<td" + style + ">" + inline(c, link) + "</td>")
                t.append("</tr>")
            t.append("</tbody></table>")
            out.append("".join(t))
            continue
        if re.match(r"^\s*[-*]\s+", line):
            flush()
            items = []
            while i < len(lines) and (re.match(r"^\s*[-*]\s+", lines[i])
                                      or (lines[i].startswith("  ") and lines[i].strip() and items)):
                if re.match(r"^\s*[-*]\s+", lines[i]):
                    items.append(re.sub(r"^\s*[-*]\s+", "", lines[i]))
                else:
                    items[-1] += " " + lines[i].strip()
                i += 1
            out.append("<ul>" + "".join("<li>" + inline(it, link) + "</li>" for it in items) + "</ul>")
            continue
        if not stripped:
            flush()
            i += 1
            continue
        if stripped.startswith("<!--"):
            flush()
            while i < len(lines) and "-->" not in lines[i]:
                i += 1
            i += 1
            continue
        para.append(line)
        i += 1
    flush()
    return title or "", "\n".join(out), headings
