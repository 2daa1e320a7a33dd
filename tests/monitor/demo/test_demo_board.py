"""The demo's fictional complaint board, over real HTTP on loopback, and its watch list."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from importlib import resources
from urllib.parse import urljoin

import httpx
import jmespath
import pytest
import yaml

from monitor.demo.board import BoardServer, create_board_app
from monitor.demo.catalogue import LISTINGS, Complaint, Listing, demo_config_path, load_complaints

T0 = 1_750_000_000.0
ATOM = "{http://www.w3.org/2005/Atom}"
DC = "{http://purl.org/dc/elements/1.1/}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}"
BY_KEY = {x.key: x for x in LISTINGS}
ID_IN_URL = re.compile(r"(?:/item/|[?&]p=)(\d+)$")


def _records() -> list[dict]:
    text = resources.files("monitor.demo").joinpath("complaints.json").read_text(encoding="utf-8")
    return json.loads(text)["complaints"]


def _sources_text() -> str:
    return resources.files("monitor.demo").joinpath("sources.yaml").read_text(encoding="utf-8")


def _sources(url: str) -> list[dict]:
    return yaml.safe_load(_sources_text().replace("${REPLYWATCH_DEMO_BOARD}", url))["sources"]


def _expected_ids(listing, released: int = 0) -> set[str]:
    """Ids a listing shows once `released` of the pending complaints are out."""
    recs = _records()
    pending = sorted((r for r in recs if r["release_after"] > 0), key=lambda r: (r["release_after"], r["id"]))
    out = {r["id"] for r in pending[:released]} | {r["id"] for r in recs if r["release_after"] == 0}
    brand = listing.brand or (dict(re.findall(r"(\w+)=(\w+)", listing.query)).get("company"))
    return {
        r["id"] for r in recs if r["id"] in out and r["site"] == listing.site and (brand is None or r["brand"] == brand)
    }


@pytest.fixture(scope="module")
def board():
    """The shipped board with its clock stopped at the start: only release_after 0 is visible."""
    with BoardServer(create_board_app(clock=lambda: T0)) as server, httpx.Client(base_url=server.url) as client:
        yield client


# ------------------------------------------------------------------ reading sources the way sources.yaml says


def _pick(node, selector: str | None) -> str | None:
    if not selector:
        return None
    css, _, attr = selector.rpartition("@") if "@" in selector else (selector, "", "")
    target = node.css_first(css) if css else node
    if target is None:
        return None
    return target.attributes.get(attr) if attr else target.text(deep=True, separator=" ", strip=True)


def _read_html(text: str, url: str, settings: dict) -> tuple[list[dict], str | None]:
    lexbor = pytest.importorskip("selectolax.lexbor")
    tree = lexbor.LexborHTMLParser(text)
    items = [{k: _pick(node, sel) for k, sel in settings["fields"].items()} for node in tree.css(settings["item"])]
    nxt = _pick(tree.root, settings.get("next_page"))
    return items, urljoin(url, nxt) if nxt else None


def _read_json(data: object, settings: dict) -> tuple[list[dict], str | None]:
    items = [
        {k: jmespath.search(expr, raw) for k, expr in settings["fields"].items()}
        for raw in jmespath.search(settings["items"], data)
    ]
    return items, jmespath.search(settings["next_page"], data) if settings.get("next_page") else None


def _read_feed(body: bytes) -> list[dict]:
    root = ET.fromstring(body)
    if root.tag == "rss":
        return [
            {
                "id": item.findtext("guid"),
                "url": item.findtext("link"),
                "title": item.findtext("title"),
                "body": max(item.findtext("description") or "", item.findtext(CONTENT + "encoded") or "", key=len),
                "author": item.findtext(DC + "creator") or item.findtext("author"),
                "published": item.findtext("pubDate"),
            }
            for item in root.iter("item")
        ]
    assert root.tag == ATOM + "feed"
    return [
        {
            "id": e.findtext(ATOM + "id"),
            "url": e.find(ATOM + "link").get("href"),
            "title": e.findtext(ATOM + "title"),
            "body": e.findtext(ATOM + "content"),
            "author": e.findtext(f"{ATOM}author/{ATOM}name"),
            "published": e.findtext(ATOM + "updated"),
        }
        for e in root.iter(ATOM + "entry")
    ]


def _collect(client: httpx.Client, source: dict) -> tuple[list[dict], int]:
    """Every item of a source, following next-page links; and how many pages it took."""
    url, items, pages = source["url"], [], 0
    settings = source.get(source["kind"]) or {}
    while url and pages < settings.get("max_pages", 1):
        response = client.get(url)
        assert response.status_code == 200, url
        pages += 1
        if source["kind"] == "feed":
            found, url = _read_feed(response.content), None
        elif source["kind"] == "json":
            found, url = _read_json(response.json(), settings)
        else:
            found, url = _read_html(response.text, str(response.url), settings)
        items += found
    return items, pages


def _ids(items: list[dict]) -> set[str]:
    out = set()
    for item in items:
        match = ID_IN_URL.search(item["url"] or "")
        assert match, item["url"]
        out.add(match.group(1))
    return out


# ------------------------------------------------------------------ the board


def test_index_and_robots(board):
    index = board.get("/")
    assert index.status_code == 200
    assert index.headers["content-type"].startswith("text/html")
    for listing in LISTINGS:
        assert f'href="{listing.path}{listing.query}"'.replace("&", "&amp;") in index.text
        assert listing.key in index.text
    robots = board.get("/robots.txt")
    assert robots.status_code == 200
    assert "User-agent: *" in robots.text and "Allow: /" in robots.text


def feeds(board, kind: str, media_type: str) -> list[tuple[Listing, ET.Element]]:
    """Every listing of `kind` (at least three), fetched: each answers `media_type` and parses as XML."""
    listings = [x for x in LISTINGS if x.kind == kind]
    assert len(listings) >= 3
    found = []
    for listing in listings:
        response = board.get(listing.path)
        assert response.headers["content-type"].startswith(media_type)
        found.append((listing, ET.fromstring(response.content)))
    return found


def test_rss_feeds_parse(board):
    for listing, root in feeds(board, "rss", "application/rss+xml"):
        items = root.findall("channel/item")
        assert len(items) == len(_expected_ids(listing)) > 0
        for item in items:
            for tag in ("guid", "link", "pubDate", "description"):
                assert item.findtext(tag), (listing.key, tag)
            assert item.findtext(DC + "creator") or item.findtext("author")


def test_atom_feeds_parse(board):
    for listing, root in feeds(board, "atom", "application/atom+xml"):
        entries = root.findall(ATOM + "entry")
        assert len(entries) == len(_expected_ids(listing)) > 0
        for entry in entries:
            for tag in ("id", "title", "updated"):
                assert entry.findtext(ATOM + tag), (listing.key, tag)
            assert entry.find(ATOM + "link").get("href").startswith("http://127.0.0.1:")
            assert entry.find(ATOM + "content").get("type") == "html"
            assert entry.findtext(f"{ATOM}author/{ATOM}name")


def test_feeds_are_clean_for_feedparser(board):
    feedparser = pytest.importorskip("feedparser")
    for listing in LISTINGS:
        if listing.kind not in ("rss", "atom"):
            continue
        parsed = feedparser.parse(board.get(listing.path).content)
        assert not parsed.bozo, (listing.key, parsed.get("bozo_exception"))
        assert len(parsed.entries) == len(_expected_ids(listing))
        for entry in parsed.entries:
            assert entry.id and entry.link and entry.author and entry.published_parsed
            assert entry.get("title") or entry.get("summary")


def test_html_listings_page_by_five(board):
    markers = {"otzyvy": 'class="review"', "karciq": 'class="karciq-card"', "grumble": 'class="thread"'}
    markers["staryforum"] = 'class="msg"'
    nexts = {"otzyvy": 'class="next"', "karciq": 'class="pager-next"', "grumble": 'class="older"'}
    nexts["staryforum"] = 'class="nav-next"'
    html_listings = [x for x in LISTINGS if x.kind == "html"]
    assert len(html_listings) >= 3
    for listing in html_listings:
        total = len(_expected_ids(listing))
        assert total > 5, f"{listing.key} should need a second page"
        first = board.get(listing.path + listing.query)
        assert first.text.count(markers[listing.site]) == 5
        assert nexts[listing.site] in first.text
        href = re.search(nexts[listing.site] + r'[^>]*href="([^"]+)"', first.text).group(1)
        second = board.get(urljoin(str(first.url), href.replace("&amp;", "&")))
        assert second.text.count(markers[listing.site]) == total - 5
        assert nexts[listing.site] not in second.text


def test_json_apis_parse_and_link_the_next_page(board):
    json_listings = [x for x in LISTINGS if x.kind == "json"]
    assert len(json_listings) >= 3
    next_of = {"complaintbook": "links.next", "trustmeter": "next", "skargi": "paging.next_url"}
    for listing in json_listings:
        response = board.get(listing.path + listing.query)
        assert response.headers["content-type"] == "application/json"
        next_url = jmespath.search(next_of[listing.site], json.loads(response.content))
        assert next_url and next_url.startswith(str(board.base_url).rstrip("/") + listing.path)
        assert board.get(next_url).status_code == 200


def test_windows_1251_page_is_really_cp1251(board):
    response = board.get("/staryforum/viewforum.php?f=7")
    assert response.headers["content-type"] == "text/html; charset=windows-1251"
    with pytest.raises(UnicodeDecodeError):
        response.content.decode("utf-8")
    text = response.content.decode("cp1251")
    assert "Акме" in text and 'charset=windows-1251"' in text
    item = re.search(r'href="(viewtopic\.php\?p=\d+)"', text).group(1)
    page = board.get("/staryforum/" + item)
    assert page.status_code == 200 and page.content.decode("cp1251")


def test_the_broken_source_always_fails(board):
    for _ in range(2):
        assert board.get("/vsezhaloby/rss.xml").status_code == 500


def test_conditional_get_round_trip(board):
    for listing in LISTINGS:
        if listing.kind == "broken":
            continue
        url = listing.path + listing.query
        first = board.get(url)
        etag, last_modified = first.headers["etag"], first.headers["last-modified"]
        assert re.fullmatch(r'"[0-9a-f]{32}"', etag)
        again = board.get(url, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.content == b""
        assert again.headers["etag"] == etag
        assert board.get(url, headers={"If-None-Match": '"stale"'}).status_code == 200
        assert board.get(url, headers={"If-Modified-Since": last_modified}).status_code == 304
    assert board.get("/otzyvy/acme/?page=2").headers["etag"] != board.get("/otzyvy/acme/").headers["etag"]


def test_complaints_are_released_one_by_one():
    now = [T0]
    app = create_board_app(started_at=T0, clock=lambda: now[0], release_every=10)
    recs = sorted((r for r in _records() if r["release_after"] > 0), key=lambda r: (r["release_after"], r["id"]))
    first, second = recs[0], recs[1]

    def listing_of(rec):
        return next(x for x in LISTINGS if x.site == rec["site"] and x.brand in (None, rec["brand"]))

    with BoardServer(app) as server, httpx.Client(base_url=server.url) as client:
        url = listing_of(first).path + listing_of(first).query
        before = client.get(url)
        assert first["id"] not in before.text
        now[0] = T0 + 9.9
        assert client.get(url, headers={"If-None-Match": before.headers["etag"]}).status_code == 304
        now[0] = T0 + 10
        after = client.get(url, headers={"If-None-Match": before.headers["etag"]})
        assert after.status_code == 200 and first["id"] in after.text
        second_url = listing_of(second).path + listing_of(second).query
        assert second["id"] not in client.get(second_url).text
        now[0] = T0 + 20
        assert second["id"] in client.get(second_url).text
        now[0] = T0 + 10 * len(recs)
        assert f"{len(_records())} complaints visible; 0 more" in client.get("/").text


def test_a_cross_post_shows_on_several_sites(board):
    groups = defaultdict(list)
    for rec in _records():
        if rec.get("crosspost") and rec["release_after"] == 0:
            groups[rec["crosspost"]].append(rec)
    spread = [g for g in groups.values() if len({r["site"] for r in g}) >= 2]
    assert spread
    for group in spread:
        bodies = {" ".join(r["body"].split()) for r in group}
        assert len(bodies) == len(group), "cross-posts differ in small edits"
        for rec in group:
            listing = next(x for x in LISTINGS if x.site == rec["site"] and x.brand in (None, rec["brand"]))
            source = next(s for s in _sources(str(board.base_url).rstrip("/")) if s["key"] == listing.key)
            items, _ = _collect(board, source)
            assert rec["id"] in _ids(items)


def test_complaints_json_is_varied_and_realistic():
    recs = _records()
    complaints = load_complaints()
    assert len(recs) == len(complaints) >= 66
    assert all(isinstance(c, Complaint) for c in complaints)
    assert len({r["id"] for r in recs}) == len(recs)
    by_lang = defaultdict(list)
    for r in recs:
        by_lang[r["language"]].append(r)
    assert {"ru", "de", "en", "be", "hy", "uk"} <= set(by_lang)
    assert all(re.search("[\u0531-\u058f]", r["body"]) for r in by_lang["hy"])
    assert all(re.search("[ўЎ]", r["body"] + r.get("title", "")) for r in by_lang["be"][:3])
    assert all("і" in r["body"] for r in by_lang["be"])
    assert all(re.search("[ієїґ]", r["body"]) for r in by_lang["uk"])
    assert re.search("[äöüß]", " ".join(r["body"] for r in by_lang["de"]))
    assert {r["brand"] for r in recs} >= {"acme", "lastochka"}
    assert {r["site"] for r in recs} <= {x.site for x in LISTINGS}
    everything = " ".join(r["body"] for r in recs)
    for needle in ("Акмы", "в Акме", "Ակմե", "Акмэ", "acme.example", "7731-220", "AC-55120", "+374 91 123456"):
        assert needle in everything, needle
    assert re.search(r"\+7 \d{3} \d{3}-\d{2}-\d{2}", everything)
    assert re.search(r"[\w.]+@[\w-]+\.example", everything)
    at_start = sum(1 for r in recs if r["release_after"] == 0) / len(recs)
    assert 0.6 <= at_start <= 0.8
    assert all(r.get("rating") in (None, 1, 2, 3, 4, 5) for r in recs)
    sentences = [len(re.findall(r"[.!?։]+(?:\s|$)", r["body"])) for r in recs]
    assert min(sentences) <= 1 and max(sentences) >= 5


def test_markup_survives_hostile_text():
    evil = "<script>alert('x')</script> & ]]> \"q\" \x00\x07 <!-- --> 😡 \ud800"
    complaints = [
        Complaint(
            id=str(9000 + i), site=x.site, brand=x.brand or "acme", title=evil, body=evil + "\n\n" + evil, author=evil
        )
        for i, x in enumerate(LISTINGS)
        if x.kind != "broken"
    ]
    with BoardServer(create_board_app(complaints=complaints)) as server, httpx.Client() as client:
        for source in _sources(server.url):
            if source["key"] == "vsezhaloby":
                continue
            items, _ = _collect(client, source)
            assert len(items) == 1, source["key"]
            if source["kind"] != "json":
                assert "<script>" not in client.get(source["url"]).text
            text = items[0]["body"]
            if source["kind"] == "feed" or source.get("json", {}).get("body_is_html"):
                text = re.sub(r"<[^>]+>", "", text)
            assert "alert('x')" in text.replace("&#x27;", "'").replace("&#39;", "'"), source["key"]


# ------------------------------------------------------------------ the watch list


def test_every_source_in_sources_yaml_is_served(board):
    base = str(board.base_url).rstrip("/")
    sources = _sources(base)
    assert len(sources) >= 13
    assert len({s["key"] for s in sources}) == len(sources)
    assert {s["key"] for s in sources} == set(BY_KEY)
    kinds = defaultdict(int)
    for source in sources:
        assert re.fullmatch(r"[a-z0-9][a-z0-9_-]*", source["key"])
        listing = BY_KEY[source["key"]]
        assert source["url"] == base + listing.path + listing.query
        response = board.get(source["url"])
        if listing.kind == "broken":
            assert response.status_code == 500
            continue
        assert response.status_code == 200, source["key"]
        kinds[listing.kind] += 1
        items, pages = _collect(board, source)
        assert _ids(items) == _expected_ids(listing), source["key"]
        assert all(item["body"] and item["author"] and item["published"] for item in items), source["key"]
        if source["kind"] != "feed":
            assert pages >= 2, f"{source['key']} should show its pagination"
    assert all(kinds[k] >= 3 for k in ("rss", "atom", "html", "json"))


def test_sources_yaml_passes_the_config_loader():
    assert demo_config_path().read_text(encoding="utf-8") == _sources_text()
    config = pytest.importorskip("monitor.config")
    loaded = config.parse_config(
        _sources_text(), path="sources.yaml", env={"REPLYWATCH_DEMO_BOARD": "http://127.0.0.1:1"}
    )
    assert {s.key for s in loaded.sources} == set(BY_KEY)
    assert {b.key for b in loaded.brands} == {"acme", "lastochka"}
