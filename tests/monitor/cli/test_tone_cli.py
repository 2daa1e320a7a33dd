"""`replywatch mentions list --tone`, `mentions show` and `mentions thank`, on both databases."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from typer.testing import CliRunner

from monitor.cases.brands import BrandMatcher
from monitor.cases.pipeline import process_pending
from monitor.cli.main import app
from monitor.config import parse_config
from monitor.core.db import SessionFactory, session_scope
from monitor.ingest.store import store_mentions
from monitor.models import Brand, Mention
from tests.support.clock import NOW
from tests.support.factories import raw, synced

WATCH = """
brands:
  - {key: acme, name: Acme, names: [Акме], language: ru, contact: care@acme.example}
sources:
  - {key: reviews, kind: feed, url: 'https://reviews.example/f', interval: 15m, brand: acme}
"""
PRAISE = "Отличный магазин Акме, всё привезли быстро. Спасибо, рекомендую!"
COMPLAINT = "Акме третий раз переносит доставку, на звонки не отвечают. Требую вернуть деньги!"


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


def test_staff_list_by_tone_read_why_and_draft_a_thank_you(
    tmp_path: Path, db_url: str, sessions: SessionFactory
) -> None:
    config = parse_config(WATCH, env={})
    ids = synced(sessions, config, NOW)
    with session_scope(sessions) as session:
        brand_id = session.scalar(sa.select(Brand.id).where(Brand.key == "acme"))
        store_mentions(session=session, source_id=ids["reviews"], items=[raw(1, PRAISE, title=None, rating=5.0),
                       raw(2, COMPLAINT, title=None)], now=NOW, brand_id=brand_id, language_hint="ru")  # fmt: skip
        process_pending(session=session, config=config, matcher=BrandMatcher(config.brands), now=NOW)
        by_ext = {m.external_id: m.id for m in session.scalars(sa.select(Mention))}
    watch = tmp_path / "sources.yaml"
    watch.write_text(WATCH, encoding="utf-8")

    code, output = run("mentions", "list", "--database", db_url, "--tone", "praise")
    assert code == 0 and "praise" in output and "Отличный" in output and "Требую" not in output
    code, output = run("mentions", "list", "--database", db_url, "--tone", "anger")
    assert code == 2 and "--tone must be one of" in output
    code, output = run("mentions", "show", str(by_ext["ext-1"]), "--database", db_url)
    assert code == 0 and "tone praise · no case" in output and "rated 5 of 5" in output
    code, output = run("mentions", "thank", str(by_ext["ext-1"]), "--config", str(watch), "--database", db_url)
    assert code == 0 and "ru/thanks.j2" in output and "Спасибо за тёплый отзыв" in output
    code, output = run("mentions", "thank", str(by_ext["ext-2"]), "--config", str(watch), "--database", db_url)
    assert code == 2 and "not praise" in output
    code, output = run("mentions", "show", "999999", "--database", db_url)
    assert code == 2 and "no mention 999999" in output
