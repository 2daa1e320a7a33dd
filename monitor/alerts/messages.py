"""What an alert says: short, with a link, and with untrusted text kept as text.

Complaint titles and bodies, source error messages and warnings come from the
outside. Before they go into a message they are
  1. collapsed to one line and cut to a few hundred characters;
  2. defused: `@` gets a word joiner after it (no @channel / @everyone / @here
     pings) and `<` `>` become ‹ › (no Slack `<!here>`, no `<@id>`, no tags);
  3. escaped for the format the channel renders: CommonMark backslash escapes for
     markdown, entities for HTML, nothing more for text.
Our own words (labels, brand names from sources.yaml, numbers, our links) are not escaped.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from monitor.core.links import case_url, queue_url, source_url

__all__ = ["LABELS", "Facts", "Format", "Message", "defuse", "escape", "render"]

Format = Literal["text", "markdown", "html"]

LABELS = {
    "case.opened": "New complaint",
    "case.priority_raised": "Priority raised",
    "case.sla_at_risk": "Reply deadline at risk",
    "case.sla_breached": "Reply deadline missed",
    "place.sla_breached": "A place of the case is still unanswered past its deadline",
    "case.promise_at_risk": "Promised date at risk (an interim update is drafted)",
    "case.promise_broken": "Promised date missed",
    "reply.unverified": "Reply not found on the site",
    "reply.disappeared": "Reply disappeared from the site",
    "source.failing": "Source failing",
    "source.recovered": "Source recovered",
    "source.layout_changed": "Source layout changed",
    "report.ready": "Report ready",
    "test": "Test message",
}
EXCERPT = 280
DIGEST_LINES = 10
DIGEST_LINE = 80
BODY_MAX = 1900  # under Discord's 2,000; other services allow more
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~>-])")


@dataclass(frozen=True, slots=True)
class Facts:
    """One event with what a message about it needs; plain data, safe to pass between threads."""

    event_id: int
    kind: str
    created_at: datetime
    payload: dict[str, Any] = field(default_factory=dict)
    brand: str | None = None
    brand_name: str | None = None
    timezone: str | None = None
    priority: str | None = None
    case_id: int | None = None
    source: str | None = None
    # Untrusted: the complaint's title or first words, the place's URL, an error or warning text.
    title: str | None = None
    url: str | None = None
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class Message:
    title: str
    body: str
    format: Format
    link: str | None


def defuse(text: str, limit: int = EXCERPT) -> str:
    """One line, at most `limit` characters, no mentions and no angle brackets."""
    text = " ".join(str(text).split())
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text.replace("@", "@\u2060").replace("<", "‹").replace(">", "›")


def escape(text: str, fmt: Format, limit: int = EXCERPT) -> str:
    safe = defuse(text, limit)
    if fmt == "markdown":
        return _MARKDOWN_SPECIAL.sub(r"\\\1", safe)
    if fmt == "html":
        return html.escape(safe, quote=True)
    return safe


def _link(label: str, url: str, fmt: Format) -> str:
    if fmt == "markdown":
        return f"[{label}]({url})"
    if fmt == "html":
        return f'<a href="{html.escape(url, quote=True)}">{label}</a>'
    return f"{label}: {url}"


def _bold(text: str, fmt: Format) -> str:
    return {"markdown": f"**{text}**", "html": f"<b>{text}</b>", "text": text}[fmt]


def link_for(facts: Facts, public_url: str) -> str | None:
    """The web inbox's page of what the event is about (a browser opens it; the API's JSON needs a token)."""
    if facts.case_id is not None:
        return case_url(public_url, facts.case_id)
    if facts.source is not None:
        return source_url(public_url, facts.source)
    return None


def _subject(facts: Facts) -> str:
    """Our own short name for what the event is about (ids and keys, no outside text)."""
    if facts.case_id is not None:
        return f"case {facts.case_id}"
    if facts.source is not None:
        return f"source {facts.source}"
    return f"event {facts.event_id}"


def render(events: list[Facts], *, fmt: Format, public_url: str, digest: bool = False) -> Message:
    """One message for one event, or a digest of several."""
    if not events:
        raise ValueError("a message needs at least one event")
    if digest or len(events) > 1:
        return _render_digest(events, fmt, public_url)
    facts = events[0]
    label = LABELS.get(facts.kind, facts.kind)
    brand = f"[{facts.brand_name or facts.brand}] " if facts.brand else ""
    about = facts.case_id is not None or facts.source is not None
    title = f"{brand}{label}: {_subject(facts)}" if about else f"{brand}{label}"
    lines: list[str] = []
    if facts.title:
        lines.append(_bold(escape(facts.title, fmt, 200), fmt))
    if facts.detail:
        lines.append(escape(facts.detail, fmt))
    facts_line = [
        f"priority {facts.priority}" if facts.priority else None,
        f"source {facts.source}" if facts.source else None,
    ]
    if any(facts_line):
        lines.append(" · ".join(p for p in facts_line if p))
    link = link_for(facts, public_url)
    if link:
        lines.append(_link(f"Open {_subject(facts)}", link, fmt))
    if facts.url:
        lines.append(_link("the place", _safe_url(facts.url), fmt))
    return Message(title=title, body=_join(lines, fmt), format=fmt, link=link)


def _render_digest(events: list[Facts], fmt: Format, public_url: str) -> Message:
    kinds = Counter(e.kind for e in events)
    brands = sorted({e.brand_name or e.brand for e in events if e.brand})
    brand = f"[{', '.join(brands)}] " if brands else ""
    if len(kinds) == 1:
        ((kind, _),) = kinds.items()
        what = f"{len(events)} × {LABELS.get(kind, kind).lower()}"
    else:
        what = f"{len(events)} alerts"
    first, last = min(e.created_at for e in events), max(e.created_at for e in events)
    minutes = max(1, round((last - first).total_seconds() / 60))
    title = f"{brand}{what} in {minutes} min"
    lines: list[str] = []
    if len(kinds) > 1:
        lines.append(", ".join(f"{LABELS.get(k, k)}: {n}" for k, n in kinds.most_common()))
    for facts in events[:DIGEST_LINES]:
        text = escape(facts.title or facts.detail or "", fmt, DIGEST_LINE)
        link = link_for(facts, public_url)
        head = _link(_subject(facts), link, fmt) if link else _subject(facts)
        lines.append(f"• {head}" + (f": {text}" if text else ""))
    if len(events) > DIGEST_LINES:
        lines.append(f"… and {len(events) - DIGEST_LINES} more")
    link = queue_url(public_url, events[0].brand if len({e.brand for e in events}) == 1 else None)
    if any(e.case_id for e in events):
        lines.append(_link("All cases", link, fmt))
    else:
        link = None
    return Message(title=title, body=_join(lines, fmt), format=fmt, link=link)


def _safe_url(url: str) -> str:
    """A place's URL as a link target: only http(s); spaces, brackets, quotes and @ percent-encoded
    (they could end a link early or read as a mention)."""
    if not re.match(r"^https?://", url):
        return "about:blank"
    scheme, rest = url.split("://", 1)
    return scheme + "://" + re.sub(r"[\s<>()\[\]\"'@`*_|]", lambda m: f"%{ord(m.group()):02X}", rest)[:500]


def _join(lines: list[str], fmt: Format) -> str:
    """Lines up to BODY_MAX characters; whole lines are dropped (never cut inside a tag or a link)."""
    sep = "<br>\n" if fmt == "html" else "\n"
    kept: list[str] = []
    size = 0
    for line in lines:
        if size + len(line) + len(sep) > BODY_MAX:
            kept.append("…")
            break
        kept.append(line)
        size += len(line) + len(sep)
    return sep.join(kept)
