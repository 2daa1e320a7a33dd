"""Plain factory helpers for tests."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from monitor.config import Config, parse_config
from monitor.core.db import SessionFactory, session_scope
from monitor.ingest.polling import sync_config
from monitor.models import Source
from sources.base import RawMention


def raw(n: int | str, body: str | None = None, **kw: object) -> RawMention:
    values: dict[str, object] = {
        "external_id": f"ext-{n}",
        "url": f"https://board.example/c/{n}",
        "title": f"Жалоба {n}",
        "body": body or f"Заказ {n} в Акме не доставлен, деньги не вернули.",
        "author": "Иван Петров",
        "published_at": datetime(2026, 11, 1, tzinfo=UTC),
    }
    values.update(kw)
    return RawMention(**values)  # type: ignore[arg-type]


def feed_config(urls: dict[str, str], *, interval: str = "15m", brand: str | None = "acme", extra: str = "") -> Config:
    """A watch list of feed sources {key: url} for one brand."""
    lines = [
        "brands:",
        "  - {key: acme, name: Acme, names: [Акме], timezone: Europe/Moscow}",
        "http: {per_host_delay: 0s, retries: 0, timeout: 5s, allow_networks: [127.0.0.0/8, '::1/128']}",
        "scheduler: {tick: 1s, max_concurrency: 16}",
        extra,
        "sources:",
    ]
    for key, url in urls.items():
        brand_part = f", brand: {brand}" if brand else ""
        lines.append(f"  - {{key: {key}, kind: feed, url: '{url}', interval: {interval}{brand_part}}}")
    return parse_config("\n".join(lines), path="test.yaml", env={})


def synced(sessions: SessionFactory, config: Config, now: datetime) -> dict[str, int]:
    """Sync the config into the database and return {source key: source id}."""
    with session_scope(sessions) as session:
        sync_config(session=session, config=config, now=now)
        return {s.key: s.id for s in session.scalars(sa.select(Source))}


def rss(items: list[tuple[str, str, str]], *, title: str = "Жалобы") -> bytes:
    """An RSS 2.0 document from (guid, title, description) triples."""
    from xml.sax.saxutils import escape

    entries = "".join(
        f"<item><guid>{escape(g)}</guid><link>https://board.example/c/{escape(g)}</link>"
        f"<title>{escape(t)}</title><description>{escape(d)}</description>"
        f"<pubDate>Sun, 22 Nov 2026 10:00:00 GMT</pubDate></item>"
        for g, t, d in items
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{escape(title)}</title>'
        f"<link>https://board.example/</link><description>x</description>{entries}</channel></rss>"
    ).encode()


def authorize(client: object, role: str = "admin", name: str | None = None) -> str:
    """Create an API token of `role` in the app's database and send it with every request of `client`."""
    from monitor.desk.tokens import create_token

    app = client.app  # type: ignore[attr-defined]
    with session_scope(app.state.sessions) as session:
        _, secret = create_token(session=session, name=name or f"test-{role}", role=role, created_by="tests",
                                 now=datetime.now(UTC))  # fmt: skip
    client.headers["Authorization"] = f"Bearer {secret}"  # type: ignore[attr-defined]
    return secret
