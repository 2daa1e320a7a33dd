"""A loopback feed server for bench/poll.py: N distinct RSS 2.0 feeds with strong ETags.

Runs in its own process (`python bench/feedserver.py --sources N --items M`) so that it
does not share the poller's GIL, and prints `PORT <n>` once it is listening. It is a bare
asyncio protocol with pre-rendered bodies: a request costs a dictionary lookup and one
socket write, so the poller, not the server, is what a benchmark measures.

    GET /robots.txt       allow everything
    GET /f/<i>.rss        feed i (0 <= i < N): 200 with the body, or 304 when If-None-Match matches
    GET /control/bump     next generation: every feed gets new items (new guids), so new ETags
    GET /control/stats    JSON: requests by status, CPU seconds, peak RSS, bytes of the bodies
    GET /control/stop     exit

`python bench/feedserver.py load --url http://127.0.0.1:PORT --client raw|httpx --status 304|200`
measures the server's ceiling from a separate process and prints JSON: `raw` is a bare
keep-alive socket client (the server's limit), `httpx` the client library the poller uses.

Items are ~2 KB of complaint text in Russian, German or English (escaped HTML paragraphs in
<description>, as complaint boards publish them), so a 50-item feed is ~100 KB.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import random
import resource
import socket
import sys
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any
from xml.sax.saxutils import escape

__all__ = ["FeedSet", "main"]

POOL_SIZE = 3000
ITEM_BYTES = 2000  # target size of one <item> in UTF-8

_RU_TITLES = [
    "Не доставили заказ", "Вернули деньги не полностью", "Хамство в пункте выдачи", "Списали деньги дважды",
    "Товар пришёл разбитым", "Не отвечают на обращения", "Навязали платную подписку", "Сломался через неделю",
]  # fmt: skip
_RU = [
    "Заказал в {shop} ноутбук {date}, заказ №{order}, оплатил сразу картой {amount} рублей.",
    "Обещали доставить за три дня, прошло уже {days} дней, а посылка так и висит на складе в городе {city}.",
    "На горячей линии каждый раз отвечает новый оператор, просит подождать ещё сутки и кладёт трубку.",
    "Курьер приехал на четыре часа позже, ничего не объяснил и отказался поднять коробку на этаж.",
    "В чате поддержки мне трижды прислали одинаковый шаблонный ответ, который не относится к моей проблеме.",
    "Когда я попросил вернуть деньги, менеджер сказал, что возврат возможен только через тридцать дней.",
    "Коробка была вскрыта, внутри не хватало зарядного устройства и гарантийного талона.",
    "Я постоянный клиент {shop} уже много лет, но такого отношения не встречал никогда.",
    "Прошу разобраться и вернуть мне {amount} рублей, иначе буду вынужден обратиться в Роспотребнадзор.",
    "В личном кабинете статус заказа не меняется, трек-номер не отслеживается ни на одном сайте.",
    "Менеджер пообещал перезвонить до конца дня, но так и не перезвонил, хотя я ждал до девяти вечера.",
    "Пишу здесь, потому что по телефону и по почте никто не реагирует на мои обращения уже {days} дней.",
    "Хочу предупредить других покупателей: внимательно проверяйте товар при получении в пункте выдачи.",
    "Сотрудница пункта выдачи на улице Ленина грубила и отказалась выдать заказ без объяснения причин.",
]  # fmt: skip
_DE_TITLES = [
    "Lieferung nie angekommen", "Geld nicht erstattet", "Unfreundlicher Kundenservice", "Doppelt abgebucht",
    "Ware beschädigt geliefert", "Keine Antwort auf E-Mails", "Abo ungefragt verlängert", "Nach einer Woche defekt",
]  # fmt: skip
_DE = [
    "Ich habe am {date} bei {shop} eine Waschmaschine bestellt, Bestellnummer {order}, und sofort {amount} Euro bezahlt.",
    "Die Lieferung war für drei Tage angekündigt, inzwischen sind {days} Tage vergangen und nichts ist passiert.",
    "Bei der Hotline meldet sich jedes Mal jemand anderes, niemand fühlt sich zuständig und das Gespräch wird beendet.",
    "Der Paketbote kam vier Stunden zu spät und hat die Sendung einfach beim Nachbarn in {city} abgegeben.",
    "Im Kundenchat bekam ich dreimal dieselbe Textbaustein-Antwort, die mit meinem Problem nichts zu tun hat.",
    "Als ich mein Geld zurückverlangt habe, hieß es, eine Erstattung sei erst nach dreißig Tagen möglich.",
    "Der Karton war geöffnet, das Netzteil und die Garantiekarte fehlten, die Gebrauchsanleitung war zerrissen.",
    "Ich bin seit Jahren Stammkunde bei {shop}, aber so einen Umgang habe ich noch nie erlebt.",
    "Ich erwarte die Rückzahlung von {amount} Euro innerhalb einer Woche, sonst wende ich mich an die Verbraucherzentrale.",
    "Im Kundenkonto ändert sich der Status nicht, und die Sendungsnummer ist bei keinem Paketdienst zu finden.",
    "Die Mitarbeiterin versprach einen Rückruf noch am selben Tag, doch niemand hat sich bei mir gemeldet.",
    "Ich schreibe hier öffentlich, weil auf Anrufe und E-Mails seit {days} Tagen überhaupt niemand reagiert.",
]  # fmt: skip
_EN_TITLES = [
    "Order never delivered", "Refund only partial", "Rude staff at pickup point", "Charged twice",
    "Item arrived broken", "Nobody answers my emails", "Subscription renewed without asking", "Broke after a week",
]  # fmt: skip
_EN = [
    "I ordered a laptop from {shop} on {date}, order number {order}, and paid {amount} dollars up front by card.",
    "Delivery was promised within three days, it has now been {days} days and the parcel is still stuck in {city}.",
    "Every time I call the hotline a different agent answers, asks me to wait another day and hangs up.",
    "The courier turned up four hours late, gave no explanation and refused to carry the box upstairs.",
    "The support chat sent me the same canned reply three times, and it had nothing to do with my problem.",
    "When I asked for my money back the manager told me refunds are only possible after thirty days.",
    "The box had been opened, the charger and the warranty card were missing and the manual was torn.",
    "I have been a loyal customer of {shop} for years, but I have never been treated like this before.",
    "I expect a refund of {amount} dollars within a week, otherwise I will file a complaint with the regulator.",
    "The order status in my account never changes and the tracking number is unknown to every carrier.",
    "The agent promised to call me back the same day, but nobody ever did, even though I waited all evening.",
    "I am posting this publicly because nobody has reacted to my calls and emails for {days} days now.",
]  # fmt: skip
_LANGS = [("ru", _RU_TITLES, _RU, 0.4), ("de", _DE_TITLES, _DE, 0.3), ("en", _EN_TITLES, _EN, 0.3)]
_SHOPS = ["Акме", "Acme", "Beta Markt", "Бета Маркет"]
_CITIES = ["Москва", "Berlin", "Казань", "Hamburg", "Leeds", "Новосибирск", "München", "Bristol"]
_AUTHORS = ["Иван Петров", "Anna Schmidt", "John Carter", "Мария К.", "Jörg Müller", "Sarah O'Neil"]
_EPOCH = datetime(2026, 11, 1, tzinfo=UTC)


def _pool(rng: random.Random) -> list[tuple[str, str, str]]:
    """(title, escaped description, author) triples, each item ~ITEM_BYTES when rendered."""
    out = []
    for _ in range(POOL_SIZE):
        _code, titles, sentences, _share = rng.choices(_LANGS, weights=[w for *_, w in _LANGS])[0]
        slots = {
            "shop": rng.choice(_SHOPS),
            "date": f"{rng.randint(1, 28):02d}.{rng.randint(1, 12):02d}.2026",
            "order": rng.randint(100000, 999999),
            "amount": rng.randint(900, 150000),
            "days": rng.randint(5, 40),
            "city": rng.choice(_CITIES),
        }
        paragraphs: list[str] = []
        size = 400  # the rest of the <item>: title, guid, link, date, author
        while size < ITEM_BYTES:
            chosen = rng.sample(sentences, k=3)
            para = " ".join(s.format(**slots) for s in chosen)
            paragraphs.append(para)
            size += len(para.encode()) + 30
        html = "".join(f"<p>{p}</p>" for p in paragraphs)
        out.append((rng.choice(titles), escape(html), rng.choice(_AUTHORS)))
    return out


class FeedSet:
    """Every feed of the current generation, rendered to bytes with its ETag."""

    def __init__(self, sources: int, items: int, seed: int = 1) -> None:
        self.sources, self.items = sources, items
        self.pool = _pool(random.Random(seed))
        self.generation = -1
        self.bodies: list[bytes] = []
        self.etags: list[bytes] = []
        self.ok_heads: list[bytes] = []
        self.not_modified: list[bytes] = []
        self.bump()

    def bump(self) -> float:
        started = time.perf_counter()
        self.generation += 1
        g = self.generation
        rng = random.Random(1000 + g)
        pool, n_pool = self.pool, len(self.pool)
        bodies, etags, ok_heads, not_modified = [], [], [], []
        for i in range(self.sources):
            parts = [
                '<?xml version="1.0" encoding="utf-8"?>\n'
                '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>'
                f"<title>Жалобы и отзывы — доска {i}</title><link>https://board{i}.example/</link>"
                f"<description>Complaints board {i}</description>"
            ]
            start = rng.randrange(n_pool)
            for j in range(self.items):
                title, description, author = pool[(start + j * 7) % n_pool]
                guid = f"b{i}-g{g}-{j}"
                when = format_datetime(_EPOCH + timedelta(days=g, minutes=i + j), usegmt=True)
                parts.append(
                    f"<item><title>{escape(title)} (№{i * 1000 + j})</title>"
                    f"<link>https://board{i}.example/c/{guid}</link>"
                    f'<guid isPermaLink="false">{guid}</guid><pubDate>{when}</pubDate>'
                    f"<dc:creator>{escape(author)}</dc:creator><description>{description}</description></item>"
                )
            parts.append("</channel></rss>\n")
            body = "".join(parts).encode()
            etag = b'"' + hashlib.blake2b(body, digest_size=12).hexdigest().encode() + b'"'
            bodies.append(body)
            etags.append(etag)
            ok_heads.append(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml; charset=utf-8\r\n"
                b"Content-Length: " + str(len(body)).encode() + b"\r\nETag: " + etag + b"\r\n\r\n"
            )
            not_modified.append(b"HTTP/1.1 304 Not Modified\r\nETag: " + etag + b"\r\n\r\n")
        self.bodies, self.etags, self.ok_heads, self.not_modified = bodies, etags, ok_heads, not_modified
        return time.perf_counter() - started


def _simple(status: bytes, body: bytes, content_type: bytes = b"text/plain; charset=utf-8") -> bytes:
    return (
        b"HTTP/1.1 " + status + b"\r\nContent-Type: " + content_type + b"\r\nContent-Length: "
        + str(len(body)).encode() + b"\r\n\r\n" + body
    )  # fmt: skip


_ROBOTS = _simple(b"200 OK", b"User-agent: *\nAllow: /\n")
_NOT_FOUND = _simple(b"404 Not Found", b"not found\n")


class _Stats:
    def __init__(self) -> None:
        self.by_status: dict[int, int] = {}
        self.bytes_sent = 0
        self.connections = 0


class _Http(asyncio.Protocol):
    """HTTP/1.1 with keep-alive; GET only; requests are small so headers are parsed naively."""

    def __init__(self, feeds: FeedSet, stats: _Stats, stop: asyncio.Event) -> None:
        self.feeds, self.stats, self.stop = feeds, stats, stop
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.stats.connections += 1
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while (end := self.buffer.find(b"\r\n\r\n")) >= 0:
            head, self.buffer = self.buffer[:end], self.buffer[end + 4 :]
            if not self._answer(head):
                return

    def _answer(self, head: bytes) -> bool:
        assert self.transport is not None
        lines = head.split(b"\r\n")
        parts = lines[0].split(b" ")
        path = parts[1] if len(parts) > 1 else b"/"
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            headers[name.strip().lower()] = value.strip()
        status, out = self._route(path, headers)
        self.stats.by_status[status] = self.stats.by_status.get(status, 0) + 1
        self.stats.bytes_sent += sum(len(chunk) for chunk in out)
        self.transport.writelines(out)
        if headers.get(b"connection", b"").lower() == b"close":
            self.transport.close()
            return False
        return True

    def _route(self, path: bytes, headers: dict[bytes, bytes]) -> tuple[int, list[bytes]]:
        feeds = self.feeds
        if path.startswith(b"/f/") and path.endswith(b".rss"):
            try:
                i = int(path[3:-4])
            except ValueError:
                return 404, [_NOT_FOUND]
            if not 0 <= i < feeds.sources:
                return 404, [_NOT_FOUND]
            if headers.get(b"if-none-match") == feeds.etags[i]:
                return 304, [feeds.not_modified[i]]
            return 200, [feeds.ok_heads[i], feeds.bodies[i]]
        if path == b"/robots.txt":
            return 200, [_ROBOTS]
        if path == b"/control/bump":
            seconds = feeds.bump()
            return 200, [_json({"generation": feeds.generation, "seconds": round(seconds, 3)})]
        if path == b"/control/stats":
            usage = resource.getrusage(resource.RUSAGE_SELF)
            return 200, [
                _json(
                    {
                        "by_status": self.stats.by_status,
                        "bytes_sent": self.stats.bytes_sent,
                        "connections": self.stats.connections,
                        "cpu_s": usage.ru_utime + usage.ru_stime,
                        "maxrss_kb": usage.ru_maxrss,
                        "body_bytes": sum(map(len, feeds.bodies)),
                        "generation": feeds.generation,
                    }
                )
            ]
        if path == b"/control/stop":
            self.stop.set()
            return 200, [_json({"stopping": True})]
        return 404, [_NOT_FOUND]


def _json(value: object) -> bytes:
    return _simple(b"200 OK", json.dumps(value).encode(), b"application/json")


async def serve(sources: int, items: int, host: str, port: int) -> None:
    feeds = FeedSet(sources, items)
    stats = _Stats()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: _Http(feeds, stats, stop), host, port, backlog=4096)
    bound = server.sockets[0].getsockname()[1]
    print(f"PORT {bound}", flush=True)
    async with server:
        await stop.wait()


async def _raw_worker(host: str, port: int, paths: list[bytes], etag: bytes | None, deadline: float) -> int:
    reader, writer = await asyncio.open_connection(host, port)
    conditional = b"If-None-Match: " + etag + b"\r\n" if etag else b""
    done = 0
    try:
        while time.perf_counter() < deadline:
            path = paths[done % len(paths)]
            writer.write(b"GET " + path + b" HTTP/1.1\r\nHost: bench\r\n" + conditional + b"\r\n")
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            if length:
                await reader.readexactly(length)
            done += 1
    finally:
        writer.close()
    return done


async def _httpx_worker(client: Any, base: str, paths: list[bytes], etag: bytes | None, deadline: float) -> int:
    headers = {"If-None-Match": etag.decode()} if etag else {}
    done = 0
    while time.perf_counter() < deadline:
        response = await client.get(base + paths[done % len(paths)].decode(), headers=headers)
        response.read()
        done += 1
    return done


async def load(url: str, client: str, status: int, seconds: float, connections: int, feeds: int) -> dict[str, Any]:
    """Requests per second for feed GETs answered `status` (304: one feed with its ETag; 200: `feeds` feeds)."""
    import httpx

    split = httpx.URL(url)
    host, port = split.host, split.port or 80
    async with httpx.AsyncClient(
        limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections), timeout=60
    ) as http:
        etag = None
        if status == 304:
            paths = [b"/f/0.rss"]
            etag = (await http.get(url + "/f/0.rss")).headers["etag"].encode()
        else:
            paths = [f"/f/{i}.rss".encode() for i in range(feeds)]
        started = time.perf_counter()
        deadline = started + seconds
        if client == "raw":
            jobs = [_raw_worker(host, port, paths[k:] + paths[:k], etag, deadline) for k in range(connections)]
        else:
            jobs = [_httpx_worker(http, url, paths[k:] + paths[:k], etag, deadline) for k in range(connections)]
        counts = await asyncio.gather(*jobs)
        elapsed = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "client": client,
        "status": status,
        "connections": connections,
        "requests": sum(counts),
        "seconds": round(elapsed, 3),
        "per_second": round(sum(counts) / elapsed, 1),
        "client_cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command")
    serve_cmd = commands.add_parser("serve", help="serve the feeds (the default)")
    load_cmd = commands.add_parser("load", help="measure the server's ceiling, print JSON")
    for p in (parser, serve_cmd):
        p.add_argument("--sources", type=int, default=2000)
        p.add_argument("--items", type=int, default=50)
        p.add_argument("--host", default="127.0.0.1")
        p.add_argument("--port", type=int, default=0)
    load_cmd.add_argument("--url", required=True, help="http://127.0.0.1:PORT")
    load_cmd.add_argument("--client", choices=["raw", "httpx"], default="raw")
    load_cmd.add_argument("--status", type=int, choices=[200, 304], default=304)
    load_cmd.add_argument("--seconds", type=float, default=2.0)
    load_cmd.add_argument("--connections", type=int, default=64)
    load_cmd.add_argument("--feeds", type=int, default=100, help="distinct feeds cycled through for 200s")
    args = parser.parse_args(argv)
    if args.command == "load":
        result = asyncio.run(load(args.url, args.client, args.status, args.seconds, args.connections, args.feeds))
        print(json.dumps(result), flush=True)
        return
    try:
        asyncio.run(serve(args.sources, args.items, args.host, args.port))
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
