"""Static parts of the HTML report: style sheet, filter script, severity bar chart (SVG).

Nothing here loads anything from elsewhere: the report is one self-contained file.
"""

from __future__ import annotations

from html import escape

from hardhull.model import Severity

COLORS = {
    Severity.CRITICAL: "#8b0000",
    Severity.HIGH: "#d9480f",
    Severity.MEDIUM: "#e8a600",
    Severity.LOW: "#1c7ed6",
    Severity.NEGLIGIBLE: "#868e96",
    Severity.UNKNOWN: "#adb5bd",
}

# default-src 'none': no fetches of any kind; inline style and script only.
CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
    "img-src data:; base-uri 'none'; form-action 'none'"
)

STYLE = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;
  color:#212529;background:#f8f9fa}
main{max-width:1200px;margin:0 auto;padding:16px 24px 48px}
h1{font-size:22px;margin:8px 0 12px}h2{font-size:18px;margin:28px 0 10px;
  border-bottom:1px solid #dee2e6;padding-bottom:4px}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:0}
dl.meta dt{font-weight:600}dl.meta dd{margin:0;word-break:break-all}
.loud{background:#c92a2a;color:#fff;font-weight:700;padding:12px 16px;border-radius:6px;
  margin:12px 0}
.warn{color:#b35c00;font-weight:600}
.cards{display:flex;flex-wrap:wrap;gap:10px;margin:8px 0 16px}
.card{background:#fff;border:1px solid #dee2e6;border-radius:8px;padding:10px 14px;
  min-width:96px;border-top:4px solid #adb5bd}
.card .n{font-size:24px;font-weight:700}.card .l{font-size:12px;color:#495057;
  text-transform:uppercase;letter-spacing:.04em}
table{border-collapse:collapse;width:100%;background:#fff;margin:6px 0}
th,td{border:1px solid #dee2e6;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#e9ecef;font-weight:600}
td.wrap{word-break:break-word}
.sev{display:inline-block;padding:1px 6px;border-radius:4px;color:#fff;font-size:12px;
  white-space:nowrap;font-weight:700;text-transform:uppercase}
.tag{display:inline-block;padding:0 5px;border-radius:4px;font-size:11px;font-weight:700;
  margin-right:4px}
.kev{background:#c92a2a;color:#fff}.epss{background:#e9ecef}.fix{background:#d3f9d8}
.st-fail{color:#c92a2a;font-weight:700}.st-warn{color:#b35c00;font-weight:700}
.st-pass{color:#2b8a3e;font-weight:700}.st-error{color:#862e9c;font-weight:700}
.st-skip{color:#868e96}
.filters{display:flex;gap:16px;align-items:center;margin:6px 0}
details{background:#fff;border:1px solid #dee2e6;border-radius:6px;margin:6px 0;
  padding:6px 10px}
summary{cursor:pointer;font-weight:600}
code{font-size:12px;background:#f1f3f5;padding:0 3px;border-radius:3px}
.muted{color:#868e96}
footer{color:#868e96;font-size:12px;margin-top:32px}
"""

SCRIPT = """
(function () {
  var sev = document.getElementById("sev-filter");
  var fix = document.getElementById("fixable-only");
  if (!sev || !fix) { return; }
  function apply() {
    var min = Number(sev.value);
    var rows = document.querySelectorAll("#vuln-table tbody tr");
    for (var i = 0; i < rows.length; i++) {
      var row = rows[i];
      var keep = Number(row.getAttribute("data-sev")) >= min &&
        (!fix.checked || row.getAttribute("data-fix") === "1");
      row.hidden = !keep;
    }
  }
  sev.addEventListener("change", apply);
  fix.addEventListener("change", apply);
})();
"""


def severity_chart(counts: list[tuple[Severity, int]]) -> str:
    """A horizontal bar chart of vulnerability counts per severity, as inline SVG."""
    bar_h, gap, label_w, bar_w = 22, 8, 110, 420
    height = len(counts) * (bar_h + gap) + gap
    top = max((n for _sev, n in counts), default=0) or 1
    parts = [
        f'<svg width="{label_w + bar_w + 60}" '
        f'height="{height}" role="img" aria-label="Vulnerabilities by severity">'
    ]
    for i, (sev, n) in enumerate(counts):
        y = gap + i * (bar_h + gap)
        w = round(bar_w * n / top) if n else 0
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 15}" text-anchor="end" font-size="13">'
            f"{escape(sev.value)}</text>"
        )
        parts.append(
            f'<rect x="{label_w}" y="{y}" width="{max(w, 1)}" height="{bar_h}" '
            f'fill="{COLORS[sev]}" rx="3"><title>{escape(sev.value)}: {n}</title></rect>'
        )
        parts.append(f'<text x="{label_w + max(w, 1) + 6}" y="{y + 15}" font-size="13">{n}</text>')
    parts.append("</svg>")
    return "".join(parts)
