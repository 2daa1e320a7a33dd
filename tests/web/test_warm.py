"""The app's start-up pays what the first page would: every template compiled, the heap frozen until shutdown."""

from __future__ import annotations

import gc

from tests.support.api import desk_client
from web import render


def test_the_start_compiles_every_template_and_freezes_the_heap_until_shutdown(db_url: str) -> None:
    render._ENV.cache.clear()  # as in a fresh process: nothing compiled yet
    names = render._ENV.list_templates(extensions=["html"])
    assert "queue.html" in names and "case.html" in names
    gc.unfreeze()
    with desk_client(db_url, "viewer") as client:
        # No page has been asked for yet: the start itself compiled them.
        compiled = {key[1] for key in render._ENV.cache}
        assert compiled >= set(names)
        assert gc.get_freeze_count() > 10_000  # the app, SQLAlchemy's and pydantic's tables: not walked again
        assert client.get("/healthz").status_code == 200
    assert gc.get_freeze_count() == 0
