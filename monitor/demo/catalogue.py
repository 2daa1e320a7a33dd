"""What the demo board holds: the complaints shipped in `complaints.json` and the listings
(the watched URLs of each fictional site) that monitor.demo.board serves them on."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

__all__ = ["LISTINGS", "PAGE_SIZE", "Complaint", "Listing", "demo_config_path", "load_complaints"]

PAGE_SIZE = 5


@dataclass(frozen=True, slots=True)
class Complaint:
    """One record of complaints.json: what one site shows."""

    id: str
    site: str
    body: str
    author: str
    brand: str | None = None
    title: str | None = None
    # "-1d2h" = that long before the board starts; an ISO 8601 time; None = when released.
    published: str | None = None
    rating: int | None = None
    language: str = "ru"
    release_after: float = 0.0
    crosspost: str | None = None

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Complaint:
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in record.items() if k in names})


def load_complaints() -> list[Complaint]:
    """The complaints shipped with the package."""
    text = resources.files("monitor.demo").joinpath("complaints.json").read_text(encoding="utf-8")
    return [Complaint.from_record(r) for r in json.loads(text)["complaints"]]


def demo_config_path() -> Path:
    """The demo's watch list; its URLs use ${REPLYWATCH_DEMO_BOARD}, the board's base URL."""
    return Path(__file__).with_name("sources.yaml")


@dataclass(frozen=True, slots=True)
class Listing:
    """One watched URL of the board: a feed, an HTML listing or a JSON endpoint."""

    key: str
    path: str
    kind: str  # rss | atom | html | json | broken
    site: str
    name: str
    language: str
    query: str = ""  # what sources.yaml appends to the path
    brand: str | None = None  # fixed brand filter
    brand_param: str | None = None  # or a query parameter naming the brand
    page_param: str = "page"
    page_offset: bool = False  # the parameter counts items, not pages
    page_size: int = PAGE_SIZE


LISTINGS: tuple[Listing, ...] = (
    Listing("zhalobnik-acme", "/zhalobnik/acme.rss", "rss", "zhalobnik", "Жалобник — Акме", "ru", brand="acme"),
    Listing(
        "zhalobnik-lastochka",
        "/zhalobnik/lastochka.rss",
        "rss",
        "zhalobnik",
        "Жалобник — Ласточка",
        "ru",
        brand="lastochka",
    ),
    Listing("kundenstimme", "/kundenstimme/feed.rss", "rss", "kundenstimme", "Kundenstimme", "de"),
    Listing("pretenzia", "/pretenzia/feed.atom", "atom", "pretenzia", "Претензия.online", "ru"),
    Listing("skarga", "/skarga/feed.atom", "atom", "skarga", "Скарга", "be"),
    Listing(
        "reviewhub-lastochka",
        "/reviewhub/lastochka.atom",
        "atom",
        "reviewhub",
        "ReviewHub — Lastochka",
        "en",
        brand="lastochka",
    ),
    Listing("otzyvy-acme", "/otzyvy/acme/", "html", "otzyvy", "Отзывы Онлайн — Акме", "ru", brand="acme"),
    Listing("karciq", "/karciq/", "html", "karciq", "Կարծիք", "hy"),
    Listing("grumble", "/grumble/complaints", "html", "grumble", "Grumble forum", "en", page_param="p"),
    Listing(
        "staryforum",
        "/staryforum/viewforum.php",
        "html",
        "staryforum",
        "Старый форум (windows-1251)",
        "ru",
        query="?f=7",
        page_param="start",
        page_offset=True,
    ),
    Listing(
        "complaintbook-acme",
        "/complaintbook/api/v2/complaints",
        "json",
        "complaintbook",
        "Книга жалоб — API",
        "ru",
        query="?company=acme",
        brand_param="company",
        page_size=3,
    ),
    Listing("trustmeter", "/trustmeter/api/reviews", "json", "trustmeter", "TrustMeter API", "en", page_size=2),
    Listing(
        "skargi",
        "/skargi/api/feed.json",
        "json",
        "skargi",
        "Скарги — API",
        "uk",
        page_param="offset",
        page_offset=True,
        page_size=2,
    ),
    Listing("vsezhaloby", "/vsezhaloby/rss.xml", "broken", "vsezhaloby", "ВсеЖалобы (сервер сломан)", "ru"),
)
