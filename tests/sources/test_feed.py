"""sources.feed.parse on recorded RSS 2.0, RSS 1.0 and Atom feeds and on broken ones."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bench.parsing import feed
from sources.base import PageWarning, ParsedPage
from sources.errors import ParseError
from sources.feed import FeedSettings, parse
from tests.support.paths import FIXTURES

URL = "https://complaints.example/banks/feed.xml"


def read(name: str) -> bytes:
    return (FIXTURES / "feed" / name).read_bytes()


def parse_feed(
    body: bytes, content_type: str | None = "application/rss+xml", settings: FeedSettings | None = None
) -> ParsedPage:
    # No text: parse decodes the body itself as the fetcher would (the loopback tests in
    # test_feed_encoding.py hand it the fetcher's text).
    return parse(body=body, text="", url=URL, content_type=content_type, settings=settings)


def rss(items: str) -> bytes:
    return f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>'.encode()


def test_rss2_items_fields_and_skipped_entry() -> None:
    page = parse_feed(read("rss2_complaints.xml"))

    assert page.skipped == 1  # the item with neither title nor description
    assert [(w.kind, w.text) for w in page.warnings] == [("skipped", "1 item had neither a title nor a text")]
    assert [m.external_id for m in page.items] == [
        "complaint-10451",
        "https://complaints.example/complaints/10452",
        "10453",
        "https://complaints.example/complaints/10455?lang=en",
    ]
    first = page.items[0]
    assert first.title == "Банк не вернул деньги за отменённую операцию"
    assert first.url == "https://complaints.example/complaints/10451"  # relative link resolved
    assert first.author == "Ирина К."
    assert first.published_at == datetime(2026, 11, 22, 11, 5, tzinfo=UTC)
    # content:encoded is longer than the description, so it is the body; markup is gone.
    assert first.body == (
        "Деньги списали дважды, второй платёж отменили 3 недели назад, но средства так и не вернулись."
        "\n\nВ чате поддержки отвечают шаблонно.\n\nПрошу разобраться «по-человечески»."
    )
    assert "alert" not in first.body and "color: red" not in first.body

    ukrainian = page.items[1]
    assert ukrainian.body == "Третій день не можу увійти в застосунок: помилка 500.\nГроші потрібні терміново!"

    belarusian = page.items[2]
    assert belarusian.url is None  # guid "10453" is a permalink by RSS rules, but not a URL
    assert belarusian.published_at == datetime(2026, 11, 22, 12, 0, tzinfo=UTC)  # "22 лістапада 2026 12:00"

    english = page.items[3]
    assert english.author == "Tom Baker"
    assert english.body == "My card was blocked in Berlin & nobody answers the hotline."


def test_prefer_summary_takes_the_description() -> None:
    page = parse_feed(read("rss2_complaints.xml"), settings=FeedSettings(prefer="summary"))
    assert page.items[0].body == "Деньги списали дважды…"


def test_atom_entries_with_xml_base_html_and_plain_text() -> None:
    page = parse_feed(read("atom_reviews.atom"), content_type="application/atom+xml")

    assert page.warnings == [] and page.skipped == 0
    german, armenian, xhtml = page.items
    assert german.external_id == "urn:uuid:entry-1"
    assert german.url == "https://bewertungen.example/firma/bewertung/1"
    assert german.title == "Lieferung seit drei Wochen überfällig"
    assert german.body == "Die Bestellung ist seit drei Wochen überfällig.\n\nDer Kundendienst antwortet nicht."
    assert german.author == "Jürgen Weiß"
    assert german.published_at == datetime(2026, 11, 21, 7, 15, tzinfo=UTC)

    assert armenian.title == "Առաքումը ուշացել է"
    assert armenian.author == "Անի Պետրոսյան"
    # type="text": "<" is a character there, not the start of a tag.
    assert armenian.body == "Պատվերը ուշանում է արդեն երկու շաբաթ, իսկ գինը 5<10 հազար դրամ չէ։"
    assert armenian.published_at == datetime(2026, 11, 20, 14, 0, tzinfo=UTC)

    assert xhtml.title == "Rechnung doppelt"
    assert xhtml.body == "Die Rechnung kam zweimal."


def test_rss1_items() -> None:
    page = parse_feed(read("rss1_forum.rdf"), content_type="application/rdf+xml")

    assert [m.title for m in page.items] == [
        "Списали за подписку, которую я не оформлял",
        "Интернет пропадает каждый вечер",
    ]
    first = page.items[0]
    assert first.external_id == first.url == "https://forum.example/telecom/t/881"
    assert first.author == "abonent_77"
    assert first.published_at == datetime(2026, 11, 22, 4, 45, tzinfo=UTC)


@pytest.mark.parametrize("content_type", ["text/xml", "application/rss+xml", None])
def test_windows_1251_feed_is_decoded_by_its_xml_declaration(content_type: str | None) -> None:
    page = parse_feed(read("rss2_windows1251.xml"), content_type=content_type)

    assert page.warnings == []
    (item,) = page.items
    assert item.title == "Отключили интернет без предупреждения"
    assert item.body.endswith("уже второй день. Ёлки-палки!")
    assert item.external_id == "77"


def test_header_charset_the_bytes_are_not_in_yields_to_the_declaration_with_a_warning() -> None:
    page = parse_feed(read("rss2_windows1251.xml"), content_type="text/xml; charset=utf-8")

    (warning,) = page.warnings
    assert warning.kind == PageWarning.ENCODING
    assert "charset=utf-8" in warning.text and "cp1251" in warning.text
    (item,) = page.items
    assert item.title == "Отключили интернет без предупреждения"
    assert item.body.endswith("уже второй день. Ёлки-палки!")
    assert item.external_id == "77"


def test_one_broken_entry_keeps_the_others_with_a_warning() -> None:
    page = parse_feed(read("rss2_broken_entry.xml"))

    titles = [m.title for m in page.items]
    assert titles[0] == "Долго ждал курьера" and titles[-1] == "Вернули не ту сумму"
    assert page.items[-1].body == "Вернули 500 вместо 5000."
    (warning,) = page.warnings
    assert warning.kind == PageWarning.MALFORMED
    assert "malformed XML at line 11" in warning.text and "mismatched tag" in warning.text


def test_truncated_feed_keeps_what_was_read() -> None:
    body = read("rss2_complaints.xml")
    cut = body[: body.index(b"<title>Card blocked")]

    page = parse_feed(cut)

    assert [m.external_id for m in page.items][:3] == [
        "complaint-10451",
        "https://complaints.example/complaints/10452",
        "10453",
    ]
    assert page.warnings and "malformed XML" in page.warnings[0].text


def test_empty_feed_is_no_items_and_no_error() -> None:
    page = parse_feed(read("rss2_empty.xml"))
    assert page.items == [] and page.warnings == [] and page.skipped == 0


@pytest.mark.parametrize("body", [b"", b"   \n  "])
def test_empty_body_is_a_parse_error(body: bytes) -> None:
    with pytest.raises(ParseError, match="empty body"):
        parse_feed(body)


def test_html_page_given_to_the_feed_parser() -> None:
    html = "<!DOCTYPE html><html><head><title>Жалобы</title></head><body><p>Это не лента</p></body></html>"
    with pytest.raises(ParseError, match="expected RSS or Atom, got text/html"):
        parse_feed(html.encode(), content_type="text/html; charset=utf-8")


def test_feed_served_as_text_html_is_still_read() -> None:
    page = parse_feed(rss("<item><title>Жалоба</title><guid>1</guid></item>"), content_type="text/html")
    assert [m.title for m in page.items] == ["Жалоба"]


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        (b"garbage <<< &&& >>>", "application/xml", "malformed XML at line 1"),
        (b'{"items": []}', "application/json", "got application/json"),
        (b"<?xml version='1.0'?><catalog><book/></catalog>", "application/xml", "without a feed element"),
    ],
)
def test_not_a_feed_at_all(body: bytes, content_type: str, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        parse_feed(body, content_type=content_type)


def test_body_that_looks_like_a_path_is_not_read_from_disk() -> None:
    # Given bare bytes feedparser would try them as a file name first.
    with pytest.raises(ParseError):
        parse_feed(b"/etc/passwd", content_type=None)


def test_billion_laughs_is_refused_or_bounded_quickly() -> None:
    levels = "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' if i else '<!ENTITY lol0 "lol">' for i in range(10))
    body = (
        f'<?xml version="1.0"?><!DOCTYPE rss [{levels}]><rss version="2.0"><channel><title>&lol9;</title>'
        "<item><title>&lol9;</title><description>Жалоба &lol9;</description></item></channel></rss>"
    ).encode()

    # A blow-up would take minutes and gigabytes; expat refuses the expansion instead.
    try:
        page = parse_feed(body)
    except ParseError:
        return
    for item in page.items:
        assert len(item.body) < 10_000 and len(item.title or "") < 10_000


def test_external_entities_are_not_fetched() -> None:
    body = (
        b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        b'<rss version="2.0"><channel><item><title>t&xxe;</title><description>d</description></item>'
        b"</channel></rss>"
    )
    page = parse_feed(body)
    assert all("root:" not in (m.title or "") + m.body for m in page.items)


def test_hostile_strings_are_cleaned() -> None:
    page = parse_feed(
        rss(
            "<item><guid>1</guid><title>Счёт&#x202E;gnp.exe</title>"
            "<description>&lt;p onmouseover=alert(1)&gt;Текст&lt;/p&gt;&#x2066;&#x7;</description>"
            "<link>javascript:alert(1)</link></item>"
        )
    )
    (item,) = page.items
    assert item.title == "Счётgnp.exe"
    assert item.body == "Текст"
    assert item.url is None


def test_fields_are_capped() -> None:
    page = parse_feed(
        rss(f"<item><guid>1</guid><title>{'Я' * 5_000}</title><description>{'жалоба ' * 50_000}</description></item>")
    )
    (item,) = page.items
    assert len(item.title or "") == 1_000
    assert len(item.body) <= 100_000 and item.body.startswith("жалоба жалоба")


def test_dates_feedparser_cannot_read_fall_back_to_parse_datetime() -> None:
    page = parse_feed(rss("<item><guid>1</guid><title>t</title><pubDate>3 листопада 2026 10:00</pubDate></item>"))
    assert page.items[0].published_at == datetime(2026, 11, 3, 10, 0, tzinfo=UTC)


def test_every_item_of_a_50_item_feed_is_read() -> None:
    body = feed(50)  # the feed bench/parsing.py times
    page = parse_feed(body)
    assert len(page.items) == 50


@pytest.mark.parametrize(
    ("raw_author", "expected"),
    [
        ("noreply@kundenstimme.example (Jürgen Becker)", "Jürgen Becker"),
        ("care@shop.online", "care@shop.online"),
        ("ivan@mail.ru (Иван Петров)", "Иван Петров"),
        ("Ольга Сидоренко", "Ольга Сидоренко"),
        ("anna@acme.de", "anna@acme.de"),
    ],
)
def test_rss_author_email_and_name_survive_long_top_level_domains(raw_author: str, expected: str | None) -> None:
    body = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
        f"<item><guid>1</guid><title>Жалоба</title><description>Текст</description><author>{raw_author}</author></item>"
        "</channel></rss>"
    ).encode()
    page = parse(
        body=body, text=body.decode(), url="https://board.example/", content_type="application/rss+xml", settings=None
    )
    assert page.items[0].author == expected
