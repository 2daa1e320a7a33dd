"""The coverage report as JSON, CSV, Markdown (a chat-sized summary) and one self-contained HTML file.

The HTML needs no JavaScript and no network: styles are inline and the three charts
(coverage per source, replies within deadline per week, time to first reply) are
inline SVG drawn here. Every text that came from outside (source keys, case titles)
is escaped with `html.escape`; Markdown escapes its special characters.

A share of cases is never shown alone: "97% of 120 due; 38 not yet due" says how many it
is of (one answered case is not "100.0%" of anything) and how many are still inside their
time. Durations under a minute print in seconds.
"""

from __future__ import annotations

import html
import io
import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from monitor.config.reports import FORMATS
from monitor.core.csv_cells import SafeWriter
from monitor.core.links import case_url
from monitor.reports.report import CoverageReport, SlaFigures

__all__ = ["FORMATS", "render", "to_csv", "to_html", "to_json", "to_markdown"]


def _iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _percent(value: float) -> str:
    """A whole percent, with decimals only where rounding would claim none or all ("99.6%", not "100%")."""
    for decimals in range(4):
        text = f"{value * 100:.{decimals}f}"
        if not ((float(text) == 100 and value < 1) or (float(text) == 0 and value > 0)):
            break
    return f"{text}%"


def _share(met: int, due: int, not_yet_due: int) -> str:
    """How many of the due clocks were met, of how many, and how many are not due yet."""
    text = f"{_percent(met / due)} of {due} due" if due else "none due yet"
    return f"{text}; {not_yet_due} not yet due" if not_yet_due else text


def _promises(report: CoverageReport) -> str:
    p = report.promises
    settled = p.kept + p.broken
    kept = f"{_percent(p.kept / settled)} kept ({p.kept} of {settled} settled; {p.broken} broken)" if settled else ""
    return f"Promises made: {p.made}" + (f"; {kept}" if kept else "") + (f"; {p.open} still open" if p.open else "")


def _dur(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    # The bounds are where the rounded figure would read "60 s" or "60 min".
    if seconds < 59.5:
        return f"{seconds:.0f} s"
    if seconds < 3570:
        return f"{seconds / 60:.0f} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


def to_json(report: CoverageReport) -> dict[str, Any]:
    def groups(by: dict[str, SlaFigures]) -> dict[str, Any]:
        return {k: v.as_dict() for k, v in by.items()}

    return {
        "period": {"from": _iso(report.period_from), "to": _iso(report.period_to)},
        "generated_at": _iso(report.generated_at),
        "brand": report.brand,
        "coverage": report.coverage,
        "sources": [
            {**{k: getattr(s, k) for k in s.__slots__}, "coverage": round(s.coverage, 6)}  # type: ignore[attr-defined]
            for s in report.sources
        ],
        "cases": report.overall.as_dict(),
        "places": report.places.as_dict(),
        "promises": report.promises.as_dict(),
        "by_brand": groups(report.by_brand),
        "by_source": groups(report.by_source),
        "by_category": groups(report.by_category),
        "by_language": groups(report.by_language),
        "by_agent": groups(report.by_agent),
        "by_week": groups(report.by_week),
        "first_reply_histogram": report.first_reply_histogram,
        "open_breaches": {
            "count": report.open_breach_count,
            "oldest": [
                {**{k: getattr(b, k) for k in b.__slots__}, "due_at": _iso(b.due_at)}  # type: ignore[attr-defined]
                for b in report.open_breaches
            ],
        },
        "unassigned_mentions": report.unassigned_mentions,
        "holidays": {k: [[d.isoformat(), name] for d, name in v] for k, v in report.holidays.items()},
    }


def to_csv(report: CoverageReport) -> str:
    """Tables one after the other: sources, cases by group (a `section` column names the grouping), then
    the places of those cases and the promises made."""
    out = io.StringIO()
    w = SafeWriter(out)  # names and keys come from outside: no cell may start a formula
    w.writerow(["section", "source", "brand", "interval_s", "expected_polls", "successful_polls", "failed_polls",
                "coverage", "longest_gap_s", "failures", "mentions", "cases"])  # fmt: skip
    for s in report.sources:
        w.writerow(["source", s.key, s.brand or "", s.interval_seconds, s.expected_polls, s.successful_polls,
                    s.failed_polls, f"{s.coverage:.4f}", round(s.longest_gap_seconds),
                    ";".join(f"{k}={v}" for k, v in sorted(s.failures.items())), s.mentions, s.cases])  # fmt: skip
    w.writerow([])
    w.writerow(["section", "group", "cases", "replied", "response_due", "response_met", "response_within_deadline",
                "resolution_due", "resolution_met", "resolution_within_deadline", "closing_replies",
                "median_first_reply_s", "p90_first_reply_s", "response_not_yet_due",
                "resolution_not_yet_due"])  # fmt: skip
    sections = [("all", {"all": report.overall}), ("brand", report.by_brand), ("source", report.by_source),
                ("category", report.by_category), ("language", report.by_language), ("agent", report.by_agent),
                ("week", report.by_week)]  # fmt: skip
    for section, by in sections:
        for key, f in by.items():
            w.writerow([section, key, f.cases, f.replied, f.response_due, f.response_met,
                        "" if f.response_share is None else f"{f.response_share:.4f}", f.resolution_due,
                        f.resolution_met, "" if f.resolution_share is None else f"{f.resolution_share:.4f}",
                        f.closing_replies, _round(f.median_first_reply_seconds),
                        _round(f.p90_first_reply_seconds), f.response_not_yet_due,
                        f.resolution_not_yet_due])  # fmt: skip
    p, k = report.places, report.promises
    w.writerow([])
    w.writerow(["section", "places", "answered", "waiting", "due", "met", "within_deadline", "not_yet_due"])
    w.writerow(["places", p.places, p.answered, p.waiting, p.due, p.met, "" if p.share is None else f"{p.share:.4f}",
                p.not_yet_due])  # fmt: skip
    w.writerow([])
    w.writerow(["section", "made", "kept", "broken", "open", "kept_share"])
    w.writerow(["promises", k.made, k.kept, k.broken, k.open, "" if k.share is None else f"{k.share:.4f}"])
    return out.getvalue()


def _round(value: float | None) -> str:
    return "" if value is None else str(round(value))


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~@])")


def _md(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def to_markdown(report: CoverageReport, public_url: str | None = None) -> str:
    """A short summary fit for a chat message; with `public_url`, the oldest breach links to its case page."""
    o = report.overall
    weak = sorted((s for s in report.sources if s.active and s.coverage < 0.99), key=lambda s: s.coverage)
    lines = [
        f"**Coverage report** {report.period_from:%Y-%m-%d} → {report.period_to:%Y-%m-%d}"
        + (f" · {_md(report.brand)}" if report.brand else ""),
        f"- Sources checked on schedule: {_pct(report.coverage)} across {len(report.sources)} sources"
        + (f"; below 99%: {', '.join(f'{_md(s.key)} {_pct(s.coverage)}' for s in weak[:5])}" if weak else ""),
        f"- Cases opened: {o.cases}; first public reply within deadline: "
        f"{_share(o.response_met, o.response_due, o.response_not_yet_due)}",
        f"- Replied to: {o.replied} of {o.cases}"
        + (f"; median first reply {_dur(o.median_first_reply_seconds)}, "
           f"90% within {_dur(o.p90_first_reply_seconds)}" if o.replied else ""),
        f"- Places (each needs its own reply): {report.places.answered} of {report.places.places} answered; "
        f"first reply within deadline: {_share(report.places.met, report.places.due, report.places.not_yet_due)}",
        f"- {_promises(report)}",
        f"- Resolved within deadline: {_share(o.resolution_met, o.resolution_due, o.resolution_not_yet_due)}; "
        f"closing replies published: {o.closing_replies}",
        f"- Open breaches: {report.open_breach_count}"
        + (f" (oldest: {_case_md(report.open_breaches[0].case_id, public_url)}, "
           f"{_dur(report.open_breaches[0].age_seconds)} late)" if report.open_breaches else ""),
        f"- Mentions that matched no brand: {report.unassigned_mentions}",
    ]  # fmt: skip
    return "\n".join(lines) + "\n"


def _bar_chart(
    title: str, rows: list[tuple[str, float | None]], *, notes: list[str] | None = None, width: int = 640
) -> str:
    """Horizontal bars (values 0-1), one row per label; a note after a value says what it is of."""
    row_h, label_w = 22, 200
    height = 30 + row_h * max(len(rows), 1)
    parts = [f'<svg role="img" aria-label="{html.escape(title)}" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg" font-family="sans-serif" '
             f'font-size="12"><title>{html.escape(title)}</title>']  # fmt: skip
    scale = width - label_w - 70
    for i, (label, value) in enumerate(rows):
        y = 20 + i * row_h
        v = value if value is not None else 0.0
        colour = "#2e7d32" if v >= 0.95 else "#f9a825" if v >= 0.8 else "#c62828"
        parts.append(f'<text x="{label_w - 6}" y="{y + 14}" text-anchor="end">{html.escape(label[:30])}</text>')
        parts.append(f'<rect x="{label_w}" y="{y + 2}" width="{max(v * scale, 1):.1f}" height="{row_h - 6}" '
                     f'fill="{colour}"/>')  # fmt: skip
        text = "—" if value is None else f"{v * 100:.1f}%"
        if notes:
            text += f" {notes[i]}"
        parts.append(f'<text x="{label_w + max(v * scale, 1) + 6:.1f}" y="{y + 14}">{text}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _column_chart(title: str, rows: list[tuple[str, int]], *, width: int = 640, height: int = 220) -> str:
    top = max((v for _, v in rows), default=0) or 1
    n = max(len(rows), 1)
    slot = (width - 40) / n
    parts = [f'<svg role="img" aria-label="{html.escape(title)}" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg" font-family="sans-serif" '
             f'font-size="12"><title>{html.escape(title)}</title>']  # fmt: skip
    for i, (label, value) in enumerate(rows):
        h = (height - 60) * value / top
        x = 20 + i * slot
        parts.append(f'<rect x="{x + 4:.1f}" y="{height - 30 - h:.1f}" width="{slot - 8:.1f}" height="{h:.1f}" '
                     f'fill="#1565c0"/>')  # fmt: skip
        parts.append(f'<text x="{x + slot / 2:.1f}" y="{height - 34 - h:.1f}" text-anchor="middle">{value}</text>')
        parts.append(f'<text x="{x + slot / 2:.1f}" y="{height - 12}" text-anchor="middle">{html.escape(label)}</text>')
    parts.append("</svg>")
    return "".join(parts)


_STYLE = """body{font-family:system-ui,sans-serif;margin:2rem;color:#222;max-width:1100px}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem}table{border-collapse:collapse;margin:.5rem 0}
td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:right}td:first-child,th:first-child{text-align:left}
.big{font-size:2rem;font-weight:600}.cards{display:flex;gap:2rem;flex-wrap:wrap}.card{min-width:180px}
.bad{color:#c62828}.muted{color:#666}"""


@dataclass(frozen=True, slots=True)
class _Link:
    text: str
    url: str


def _cell(value: Any) -> str:
    if isinstance(value, _Link):
        return f'<a href="{html.escape(value.url, quote=True)}">{html.escape(value.text)}</a>'
    return html.escape(str(value))


def _table(headers: list[str], rows: list[list[Any]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{_cell(c)}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _group_table(by: dict[str, SlaFigures], name: str) -> str:
    return _table([name, "cases", "replied", "reply within deadline", "median first reply", "90% within",
                   "resolved within deadline", "closing replies"],
                  [[k, f.cases, f.replied, _share(f.response_met, f.response_due, f.response_not_yet_due),
                    _dur(f.median_first_reply_seconds), _dur(f.p90_first_reply_seconds),
                    _share(f.resolution_met, f.resolution_due, f.resolution_not_yet_due), f.closing_replies]
                   for k, f in by.items()])  # fmt: skip


def _case_md(case_id: int, public_url: str | None) -> str:
    return f"[case {case_id}]({case_url(public_url, case_id)})" if public_url else f"case {case_id}"


def to_html(report: CoverageReport, public_url: str | None = None) -> str:
    """The report as one HTML file; with `public_url`, each open breach links to its case page."""
    o = report.overall
    e = html.escape
    title = f"Coverage report {report.period_from:%Y-%m-%d} – {report.period_to:%Y-%m-%d}"
    if report.brand:
        title += f" · {report.brand}"

    def share(met: int, due: int, not_yet_due: int) -> tuple[str, str]:
        of = f"of {due} due" if due else "none due yet"
        return (_percent(met / due) if due else "—"), f"{of}; {not_yet_due} not yet due" if not_yet_due else of

    # (what, the big figure, what it is of)
    cards = [("sources checked on schedule", _pct(report.coverage), f"{len(report.sources)} sources"),
             ("first reply within deadline", *share(o.response_met, o.response_due, o.response_not_yet_due)),
             ("places: first reply within deadline",
              *share(report.places.met, report.places.due, report.places.not_yet_due)),
             ("places answered", f"{report.places.answered} of {report.places.places}",
              f"{report.places.waiting} waiting for a reply"),
             ("promises kept", _percent(report.promises.share) if report.promises.share is not None else "—",
              f"of {report.promises.kept + report.promises.broken} settled; {report.promises.broken} broken; "
              f"{report.promises.open} open"),
             ("median time to first reply", _dur(o.median_first_reply_seconds), f"{o.replied} of {o.cases} replied"),
             ("resolved within deadline", *share(o.resolution_met, o.resolution_due, o.resolution_not_yet_due)),
             ("open breaches", str(report.open_breach_count), "")]  # fmt: skip
    charts = [
        _bar_chart("Coverage per source", [(s.key, s.coverage) for s in report.sources]),
        _bar_chart(
            "First public reply within deadline, per week",
            [(k, f.response_share) for k, f in report.by_week.items()],
            notes=[f"of {f.response_due} due" for f in report.by_week.values()],
        ),
        _column_chart("Time to first public reply (cases)", list(report.first_reply_histogram.items())),
    ]
    sources = _table(
        ["source", "brand", "every", "expected polls", "successful", "failed", "coverage", "longest gap", "failures",
         "mentions", "cases"],
        [[s.key, s.brand or "-", _dur(s.interval_seconds), s.expected_polls, s.successful_polls, s.failed_polls,
          _pct(s.coverage), _dur(s.longest_gap_seconds),
          ", ".join(f"{k} {v}" for k, v in sorted(s.failures.items())) or "-", s.mentions, s.cases]
         for s in report.sources],
    )  # fmt: skip
    breaches = _table(["case", "brand", "clock", "priority", "late by", "title"],
                      [[_Link(str(b.case_id), case_url(public_url, b.case_id)) if public_url else b.case_id, b.brand,
                        b.clock, b.priority, _dur(b.age_seconds), (b.title or "")[:120]]
                       for b in report.open_breaches])  # fmt: skip
    holidays = "".join(
        f"<p class='muted'>{e(k)}: days off in the period: {e(', '.join(f'{d:%d %b} {n}'.strip() for d, n in v))}</p>"
        for k, v in report.holidays.items() if v
    )  # fmt: skip
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{e(title)}</title>"
        f"<style>{_STYLE}</style></head><body><h1>{e(title)}</h1>"
        f"<p class='muted'>Generated {e(_iso(report.generated_at))}. Coverage: the share of the period during which "
        f"each source had been checked within its interval. Deadlines count business hours.</p>"
        "<div class='cards'>"
        + "".join(f"<div class='card'><div class='big'>{e(v)}</div>{e(k)}<div class='muted'>{e(n)}</div></div>"
                  for k, v, n in cards)
        + "</div>"
        + holidays
        + "<h2>Coverage per source</h2>" + charts[0]
        + "<h2>First public reply within deadline, per week</h2>" + charts[1]
        + "<h2>Time to first public reply</h2>" + charts[2]
        + "<h2>Sources</h2>" + sources
        + "<h2>By brand</h2>" + _group_table(report.by_brand, "brand")
        + "<h2>By source</h2>" + _group_table(report.by_source, "source")
        + "<h2>By category</h2>" + _group_table(report.by_category, "category")
        + "<h2>By language</h2>" + _group_table(report.by_language, "language")
        + "<h2>By agent</h2>" + _group_table(report.by_agent, "agent")
        + f"<h2>Open breaches ({report.open_breach_count})</h2>" + breaches
        + f"<p>Mentions that matched no brand: {report.unassigned_mentions}</p>"
        + "</body></html>"
    )  # fmt: skip


def render(report: CoverageReport, fmt: str, public_url: str | None = None) -> str:
    """The report in `fmt`; with `public_url` (alerts.public_url) Markdown and HTML link cases to their pages."""
    if fmt == "json":
        return json.dumps(to_json(report), ensure_ascii=False, indent=2, default=str)
    if fmt == "csv":
        return to_csv(report)
    if fmt == "md":
        return to_markdown(report, public_url)
    if fmt == "html":
        return to_html(report, public_url)
    raise ValueError(f"format must be one of {', '.join(FORMATS)}")
