"""Stored, indexed mentions and duplicate checks for the dedupe tests, and one complaint per language."""

from __future__ import annotations

from datetime import datetime
from itertools import count

import sqlalchemy as sa

from monitor.cases.dedupe import Duplicate, PostFacts, find_duplicate, index_mention, signature
from monitor.config import DedupeConfig
from monitor.core.db import SessionFactory, session_scope
from monitor.models import Case, Mention, Source
from tests.support.clock import NOW

__all__ = ["COMPLAINTS", "SETTINGS", "check", "store"]

SETTINGS = DedupeConfig()
_ids = count(1)

# One complaint per language: (body, signature line, a different signature line, a title).
COMPLAINTS = {
    "ru": (
        "Заказала стиральную машину в Акме, заказ 7731-220. Курьер привёз её с вмятиной на боковой панели и "
        "уехал, пока я подписывала акт. Уже неделю пишу в поддержку — отвечают шаблонами. Верните деньги или "
        "замените машину!",
        "Ольга С.",
        "С уважением,\nОльга Светлова, +7 912 345-67-89",
        "Стиральная машина приехала с вмятиной",
    ),
    "uk": (
        "Замовив пилосос в Акме, привезли з тріснутим корпусом. Кур'єр сказав фотографувати й писати в "
        "підтримку. Пишу вже тиждень — жодної відповіді. Замовлення 7815-330.",
        "Олександр",
        "З повагою, Олександр Бондаренко",
        "Пилосос приїхав з тріснутим корпусом",
    ),
    "be": (
        "Тэлевізар, набыты ў Акмэ, перастаў уключацца праз месяц. Ужо тры тыдні чакаю адказу ад сэрвіснага "
        "цэнтра, а ў краме кажуць звяртацца туды. Заказ 5570-114.",
        "Андрэй",
        "З павагай, Андрэй Жук, +375 29 123-45-67",
        "Акмэ не рамантуе тэлевізар па гарантыі",
    ),
    "hy": (
        "Ակմե խանութից գնեցի սառնարան, որը երկու շաբաթ անց դադարեց սառեցնել։ Սպասարկման կենտրոնում ասում "
        "են, որ վարպետը կգա միայն հաջորդ ամիս։ Խնդրում եմ փոխարինել ապրանքը կամ վերադարձնել գումարը։",
        "Արամ",
        "Հարգանքով՝ Արամ Պետրոսյան",
        "Սառնարանը փչացավ երկու շաբաթ անց",
    ),
    "de": (
        "Ich habe bei Acme einen Geschirrspüler bestellt (Bestellung AC-55120). Die Lieferung war für letzte "
        "Woche angekündigt, seitdem passiert nichts. Die Hotline vertröstet mich jeden Tag aufs Neue.",
        "Jürgen B.",
        "Mit freundlichen Grüßen\nJürgen Becker",
        "Bestellung seit drei Wochen nicht geliefert",
    ),
    "en": (
        "Ordered from Lastochka at 6pm with a 60 minutes promise. The courier showed up at 8:15 with two bags "
        "out of four. The app says the order was delivered in full. Still waiting for a refund (order 6620-031).",
        "Tom",
        "Best regards, Tom Whitfield",
        "Groceries arrived two hours late",
    ),
}


def store(
    sessions: SessionFactory, brand_id: int, body: str, title: str | None = None, *, at: datetime = NOW,
    case_id: int | None = None, with_case: bool = True, author: str | None = None, published: datetime | None = None,
) -> tuple[int, int | None]:  # fmt: skip
    """A stored, indexed mention in its own new case (or in `case_id`); returns (mention id, case id)."""
    with session_scope(sessions) as session:
        source_id = session.scalar(sa.select(sa.func.min(Source.id)))
        if with_case and case_id is None:
            case = Case(brand_id=brand_id, opened_at=at, updated_at=at, last_mention_at=at, mention_count=1)
            session.add(case)
            session.flush()
            case_id = case.id
        n = next(_ids)
        mention = Mention(
            source_id=source_id, dedup_key=f"id:{n}", title=title, body=body, first_seen_at=at, last_seen_at=at,
            revised_at=at, content_hash=f"{n:064d}", brand_id=brand_id, case_id=case_id, author=author,
            published_at=published,
        )  # fmt: skip
        session.add(mention)
        session.flush()
        index_mention(session=session, mention_id=mention.id, signature=signature(title, body, brand_id=brand_id))
        return mention.id, case_id


def check(
    sessions: SessionFactory, brand_id: int, body: str, title: str | None = None, *,
    settings: DedupeConfig = SETTINGS, exclude: tuple[int, ...] = (), facts: PostFacts | None = None,
) -> Duplicate | None:  # fmt: skip
    with session_scope(sessions) as session:
        sig = signature(title, body, brand_id=brand_id)
        return find_duplicate(session=session, signature=sig, settings=settings, now=NOW, exclude_case_ids=exclude,
                              facts=facts)  # fmt: skip
