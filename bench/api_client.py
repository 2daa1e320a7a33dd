"""The client side of bench/api.py, run in a process of its own (`bench/api.py client …`) so that it
never shares the server's GIL: sequential latency per kind of request, and the list under load
(with wrk when installed)."""

from __future__ import annotations

import asyncio
import collections
import re
import statistics
import subprocess
import time
from typing import Any

import httpx

__all__ = ["WARMUP", "load", "sequential", "summary", "wrk"]

WARMUP = 20


def sequential(base: str, token: str, plan: dict[str, list[str]]) -> dict[str, Any]:
    """Each kind's paths one after another on one keep-alive connection: latency in ms, and non-200 answers."""
    out: dict[str, Any] = {}
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60) as client:
        for kind, paths in plan.items():
            for path in paths[:WARMUP]:
                client.get(path)
            times, bad, items = [], 0, 0
            for path in paths[WARMUP:]:
                started = time.perf_counter()
                response = client.get(path)
                body = response.content
                times.append((time.perf_counter() - started) * 1000)
                if response.status_code != 200:
                    bad += 1
                elif kind != "detail":
                    items += body.count(b'"opened_at"')  # one per case in a page
            out[kind] = {"n": len(times), "non_200": bad, "mean_items": items / max(1, len(times)), **summary(times)}
    return out


async def load(base: str, token: str, path: str, clients: int, seconds: float) -> dict[str, Any]:
    """`clients` loops sending `path` for `seconds` (and at most 200 requests/s each): requests/s and latency."""
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    times: list[float] = []
    codes: collections.Counter[int] = collections.Counter()
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {token}"}, limits=limits,
                                 timeout=60) as client:  # fmt: skip
        stop = time.monotonic() + seconds

        async def one() -> None:
            for _ in range(int(seconds * 200)):
                if time.monotonic() >= stop:
                    return
                started = time.perf_counter()
                response = await client.get(path)
                times.append((time.perf_counter() - started) * 1000)
                codes[response.status_code] += 1

        started = time.perf_counter()
        await asyncio.gather(*(one() for _ in range(clients)))
        elapsed = time.perf_counter() - started
    return {"tool": "httpx async", "requests": len(times), "seconds": elapsed, "rps": len(times) / elapsed,
            "non_200": sum(n for c, n in codes.items() if c != 200), **summary(times)}  # fmt: skip


def wrk(base: str, token: str, path: str, clients: int, seconds: float) -> dict[str, Any]:
    """wrk with one thread (the server needs the CPUs more than the client)."""
    command = ["wrk", "-t1", f"-c{clients}", f"-d{seconds:g}s", "--latency", "--timeout", "10s",
               "-H", f"Authorization: Bearer {token}", base + path]  # fmt: skip
    out = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=True).stdout

    def ms(text: str) -> float:
        value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    latency = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)\s*$", out, re.M))
    requests = re.search(r"(\d+) requests in ([\d.]+)(s|m)", out)
    non_200 = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    if requests is None or len(latency) < 4:
        raise RuntimeError(f"could not read wrk's output:\n{out}")
    return {
        "tool": "wrk -t1", "requests": int(requests.group(1)), "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        "non_200": int(non_200.group(1)) if non_200 else 0, "socket_errors": errors.group(1) if errors else None,
        "median_ms": ms(latency["50"]), "p90_ms": ms(latency["90"]), "p99_ms": ms(latency["99"]),
    }  # fmt: skip


def summary(times: list[float]) -> dict[str, float]:
    if not times:
        return {}
    ordered = sorted(times)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    return {"median_ms": statistics.median(ordered), "p90_ms": pick(0.90), "p99_ms": pick(0.99), "max_ms": ordered[-1]}
