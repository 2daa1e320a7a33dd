"""The desk app for API tests: the loopback board's four complaints as cases, and the problem+json check."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from fastapi.testclient import TestClient

from api.app import create_app
from monitor.config import parse_config
from monitor.core.settings import Settings
from monitor.worker.jobs import process_cases
from monitor.worker.poller import utcnow
from tests.support.factories import authorize, rss
from tests.support.loopback import LoopbackServer, static

__all__ = ["BOARD", "CONFIG", "DELIVERY", "LEGAL", "MILD", "SAFETY", "desk_client", "problem"]

DELIVERY = "Заказ в Акме 7731-220 не пришел уже три недели, курьер не отвечает, трек не обновляется."
LEGAL = (
    "Acme hat mir defekte Ware geschickt. Mein Anwalt bereitet eine Klage vor, die Verbraucherzentrale ist informiert."
)
SAFETY = "The Acme kettle caught fire on the second day and my son got a burn on his hand. This is dangerous."
MILD = "Acme delivered the sofa a day late, but the courier was polite. Four stars."
# Every hour of every day a working hour, without holidays: deadlines are opening + the target, exactly.
CONFIG = """
http: {{per_host_delay: 0s, retries: 0, allow_networks: [127.0.0.0/8, '::1/128']}}
business_hours:
  hours: {{mon: "00:00-24:00", tue: "00:00-24:00", wed: "00:00-24:00", thu: "00:00-24:00", fri: "00:00-24:00",
          sat: "00:00-24:00", sun: "00:00-24:00"}}
  public_holidays: false
sla:
  urgent: {{first_response: 1h, resolution: 1d}}
  high: {{first_response: 2h, resolution: 2d}}
  normal: {{first_response: 4h, resolution: 3d}}
  low: {{first_response: 8h, resolution: 5d}}
brands:
  - {{key: acme, name: Acme, names: [Акме], language: ru, timezone: Europe/Moscow, contact: care@acme.example}}
sources:
  - {{key: board, kind: feed, url: '{url}', interval: 15m, brand: acme}}
"""


BOARD = [("1", "Доставка", DELIVERY), ("2", "Beschwerde", LEGAL), ("3", "Kettle", SAFETY), ("4", "Sofa", MILD)]


@contextmanager
def desk_client(
    db_url: str,
    role: str,
    items: list[tuple[str, str, str]] | None = None,
    settings: Settings | None = None,
    base_url: str = "http://testserver",
) -> Iterator[TestClient]:
    """The app over the loopback board's complaints (`items`: id, title, text; the four above by default),
    polled and made into cases, with a `role` token."""
    feeds = {"/board.rss": static(rss(items or BOARD), content_type="application/rss+xml")}
    with LoopbackServer(feeds) as server:
        config = parse_config(CONFIG.format(url=server.url("/board.rss")), env={})
        settings = (settings or Settings()).model_copy(update={"database_url": db_url})
        with TestClient(create_app(config, settings), base_url=base_url) as c:
            authorize(c, role)
            c.portal.call(c.app.state.poller.run_due)
            process_cases(sessions=c.app.state.sessions, config=c.app.state.config, now=utcnow())
            yield c


def problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"] and body["type"].startswith("https://")
    return body
