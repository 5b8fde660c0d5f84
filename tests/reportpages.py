"""Reading the report's pages back: the tables of an HTML page, the data a Snakemake report embeds, and a page's
width in headless Chromium (tests/test_report*.py)."""
import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path


class Tables(HTMLParser):
    """The tables of an HTML page: headers, rows (cell text), row classes, and whether each sits in a box that
    scrolls sideways; plus the page's text outside tables and its links."""

    def __init__(self, html: str):
        super().__init__()
        self.tables, self.links, self.text, self._stack, self._cell = [], [], [], [], None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self._stack.append((tag, attrs))
        if tag == "table":
            scroll = any(t == "div" and "scroll" in a.get("class", "") for t, a in self._stack)
            self.tables.append({"headers": [], "rows": [], "classes": [], "scroll": scroll})
        elif tag == "tr" and self.tables:
            self.tables[-1]["classes"].append(attrs.get("class", ""))
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "a":
            self.links.append(attrs)
        elif tag == "br" and self._cell is not None:
            self._cell.append(" ")

    def handle_endtag(self, tag):
        while self._stack and self._stack.pop()[0] != tag:
            pass
        if tag in ("td", "th") and self._cell is not None:
            text = " ".join("".join(self._cell).split())
            (self.tables[-1]["headers"] if tag == "th" else self._row).append(text)
            self._cell = None
        elif tag == "tr" and self.tables and self._row:
            self.tables[-1]["rows"].append(self._row)
            self._row = []

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)
        else:
            self.text.append(data)


def page_text(parsed: Tables) -> str:
    return " ".join(" ".join(parsed.text).split())


def report_data(html: str) -> dict:
    """The report's own data: its results (path -> entry), categories (task -> section -> paths), landing text."""
    def var(script_id, name):
        found = re.search(rf'<script id="{script_id}">\s*var {name} = (.*?);\s*</script>', html, re.S)
        return json.loads(found.group(1))
    return {"results": var("results", "results"), "categories": var("categories", "categories"),
            "landing": var("workflow-desc", "workflow_desc")}


def browser():
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


FRAME = 950  # the report shows a page in a frame beside its menu: ~950 px wide in a 1400 px window


def page_width(html_file: Path, tmp_path: Path) -> int:
    """The page's laid-out width in the report's frame (headless Chromium), with the full tables' boxes open."""
    probe = tmp_path / f"probe_{html_file.parent.name}_{html_file.name}"
    probe.write_text(html_file.read_text().replace(
        "</body>", "<script>document.querySelectorAll('details').forEach(d => d.open = true);"
        "document.title = 'W' + document.documentElement.scrollWidth;</script></body>"))
    proc = subprocess.run([browser(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                           f"--window-size={FRAME},2000", "--dump-dom", probe.as_uri()],
                          capture_output=True, text=True, timeout=60)
    return int(re.search(r"<title>W(\d+)</title>", proc.stdout).group(1))
