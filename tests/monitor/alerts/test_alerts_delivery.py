"""Routing and delivery on SQLite and PostgreSQL: outages, 429, quiet hours, digests, rate limits, dead letters."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from monitor.alerts.dispatch import DeliveryConflict, claim_deliveries, retry_delivery
from monitor.alerts.transports import verify_signature
from monitor.core.db import SessionFactory, session_scope
from monitor.core.errors import NotFound
from monitor.models.alerts import AlertAttempt, AlertChannelState, AlertDelivery
from tests.support.alert_receiver import Receiver
from tests.support.alerts import SECRET, Clock, alerts_config, deliveries, emit_events, runner, webhook
from tests.support.clock import NOW

KINDS = ["case.opened", "case.sla_at_risk", "source.failing", "reply.disappeared", "case.sla_breached"]


async def test_outage_then_recovery_delivers_every_event_exactly_once(sessions: SessionFactory) -> None:
    with Receiver() as receiver:
        config = alerts_config(webhook(receiver.url(), rate_limit=1000, max_attempts=40))
        clock = Clock(NOW)
        ids = emit_events(
            sessions, config, NOW, [(KINDS[i % 5], {"case_id": i + 1, "brand": "acme"}) for i in range(30)]
        )
        alerts = runner(config, sessions, clock)
        assert (await alerts.route()).deliveries == 30

        receiver.fail_with(500)
        for _ in range(4):
            counts = await alerts.dispatch()
            assert counts.sent == 0
            clock.advance(minutes=6)  # past max_backoff: everything is due again
        assert all(d.state == "pending" and d.last_status == 500 for d in deliveries(sessions))

        receiver.fail_with(429, retry_after=120)
        first = await alerts.dispatch()
        assert first.claimed >= 1 and first.sent == 0
        with session_scope(sessions) as session:
            paused = session.get(AlertChannelState, "hook")
            assert paused is not None and paused.paused_until == clock.now + timedelta(seconds=120)
        clock.advance(seconds=60)
        assert (await alerts.dispatch()).claimed == 0  # the channel waits as the service asked

        receiver.recover()
        clock.advance(minutes=6)
        while (await alerts.dispatch()).claimed:
            clock.advance(minutes=6)
        await alerts.aclose()

    expected = {f"rw-hook-{i}" for i in ids}
    delivered = receiver.delivered()
    assert Counter(delivered) == Counter(expected)  # every key accepted once, none twice
    assert all(d.state == "sent" for d in deliveries(sessions))
    assert all(verify_signature(SECRET, r.headers["x-replywatch-signature"], r.body) for r in receiver.received)
    with session_scope(sessions) as session:
        attempts = session.scalar(sa.select(sa.func.count()).select_from(AlertAttempt))
        total = session.scalar(sa.select(sa.func.sum(AlertDelivery.attempts)))
    assert attempts == total == len(receiver.received)


async def test_quiet_hours_hold_events_until_they_end_except_bypassed_kinds(sessions: SessionFactory) -> None:
    # NOW is 09:30 UTC = 12:30 in Moscow, inside acme's quiet hours 12:00-14:00 there.
    rules = "[{events: ['case.*'], quiet_hours: {start: '12:00', end: '14:00', bypass: [case.sla_breached]}}]"
    with Receiver() as receiver:
        config = alerts_config(webhook(receiver.url(), rules=rules))
        clock = Clock(NOW)
        emit_events(sessions, config, NOW, [("case.opened", {"case_id": 1, "brand": "acme"}),
                                            ("case.sla_breached", {"case_id": 2, "brand": "acme"}),
                                            ("case.opened", {"case_id": 3, "brand": "beta"})])  # fmt: skip
        alerts = runner(config, sessions, clock)
        await alerts.route()
        held = [d for d in deliveries(sessions) if d.state == "held"]
        assert [(d.brand, d.hold_reason, d.next_attempt_at) for d in held] == [
            ("acme", "quiet_hours", datetime(2026, 11, 20, 11, 0, tzinfo=UTC))
        ]
        await alerts.dispatch()  # beta is in UTC (09:30, not quiet); the breach bypasses
        assert sorted(r.json["events"][0]["case_id"] for r in receiver.ok()) == [2, 3]
        clock.now = datetime(2026, 11, 20, 10, 59, tzinfo=UTC)
        assert (await alerts.dispatch()).claimed == 0
        clock.now = datetime(2026, 11, 20, 11, 0, tzinfo=UTC)
        assert (await alerts.dispatch()).sent == 1
        await alerts.aclose()
    assert [r.json["events"][0]["case_id"] for r in receiver.ok()][-1] == 1


async def test_a_burst_of_500_complaints_is_one_digest(sessions: SessionFactory) -> None:
    rules = "[{events: [case.opened], digest: 15m}, {events: ['*']}]"
    with Receiver() as receiver:
        config = alerts_config(webhook(receiver.url(), rules=rules))
        clock = Clock(NOW)
        burst = [("case.opened", {"case_id": i, "brand": "acme"}) for i in range(1, 501)]
        emit_events(sessions, config, NOW, [*burst, ("source.failing", {"source": "x", "error": "HTTP 500"})])
        alerts = runner(config, sessions, clock)
        await alerts.route()
        assert (await alerts.dispatch()).sent == 1  # only the source alert: the digest is collecting
        clock.advance(minutes=10)
        emit_events(sessions, config, clock.now, [("case.opened", {"case_id": 501, "brand": "acme"})])
        await alerts.route()
        assert (await alerts.dispatch()).claimed == 0
        clock.advance(minutes=5)
        assert (await alerts.dispatch()).sent == 1
        clock.advance(minutes=1)
        emit_events(sessions, config, clock.now, [("case.opened", {"case_id": 502, "brand": "acme"})])
        await alerts.route()  # the sent digest is closed: a new one opens
        await alerts.aclose()
    digest = receiver.ok()[1].json
    assert digest["digest"] is True and len(digest["events"]) == 501
    assert digest["title"] == "[Acme] 501 × new complaint in 10 min"
    assert "… and 491 more" in digest["text"]
    states = Counter((d.digest, d.state, d.event_count) for d in deliveries(sessions))
    assert states == Counter({(False, "sent", 1): 1, (True, "sent", 501): 1, (True, "held", 1): 1})


async def test_rules_choose_channels_by_kind_brand_and_priority(sessions: SessionFactory) -> None:
    channels = (
        webhook("http://127.0.0.1:9/a", key="urgent", rules="[{events: ['case.sla_*'], min_priority: high}]")
        + webhook("http://127.0.0.1:9/b", key="beta-only", rules="[{brands: [beta]}]")
        + webhook("http://127.0.0.1:9/c", key="sources", rules="[{events: ['source.*']}]")
        + webhook("http://127.0.0.1:9/d", key="muted", enabled="false")
    )
    config = alerts_config(channels)
    ids = emit_events(sessions, config, NOW, [
        ("case.sla_at_risk", {"case_id": 1, "brand": "acme", "priority": "urgent"}),
        ("case.sla_at_risk", {"case_id": 2, "brand": "acme", "priority": "normal"}),
        ("case.sla_breached", {"case_id": 3, "brand": "beta", "priority": "high"}),
        ("source.failing", {"source": "board", "error": "HTTP 503"}),
        ("report.ready", {"brand": "beta"}),
    ])  # fmt: skip
    alerts = runner(config, sessions, Clock(NOW))
    counts = await alerts.route()
    await alerts.aclose()
    assert counts.events == 5
    got = sorted((d.channel, ids.index(d.event_id)) for d in deliveries(sessions))
    assert got == [("beta-only", 2), ("beta-only", 4), ("sources", 3), ("urgent", 0), ("urgent", 2)]
    # Routing is done once: a second pass finds nothing new.
    assert (await runner(config, sessions, Clock(NOW)).route()).events == 0


async def test_rate_limit_and_dead_letters(sessions: SessionFactory) -> None:
    with Receiver() as receiver:
        config = alerts_config(webhook(receiver.url(), rate_limit=5, max_attempts=3))
        clock = Clock(NOW)
        emit_events(sessions, config, NOW, [("source.failing", {"source": f"s{i}"}) for i in range(12)])
        alerts = runner(config, sessions, clock)
        await alerts.route()
        assert (await alerts.dispatch()).sent == 5
        assert (await alerts.dispatch()).claimed == 0  # this minute's five are used
        clock.advance(seconds=60)
        assert (await alerts.dispatch()).sent == 5

        receiver.fail_with(400)  # permanent: dead-lettered at once
        clock.advance(seconds=60)
        assert (await alerts.dispatch()).failed == 2
        receiver.fail_with(503)  # transient: dead-lettered after max_attempts
        emit_events(sessions, config, clock.now, [("source.failing", {"source": "s12"})])
        await alerts.route()
        for _ in range(3):
            clock.advance(minutes=6)
            await alerts.dispatch()
        failed = [d for d in deliveries(sessions) if d.state == "failed"]
        assert [(d.attempts, d.last_status) for d in failed] == [(1, 400), (1, 400), (3, 503)]
        assert failed[2].last_error.startswith("gave up after 3 attempts: HTTP 503")

        with session_scope(sessions) as session:
            sent = next(d for d in deliveries(sessions) if d.state == "sent")
            with pytest.raises(DeliveryConflict):
                retry_delivery(session=session, delivery_id=sent.id, now=clock.now)
            with pytest.raises(NotFound):
                retry_delivery(session=session, delivery_id=10**6, now=clock.now)
            for d in failed:
                retry_delivery(session=session, delivery_id=d.id, now=clock.now)
        receiver.recover()
        clock.advance(seconds=60)
        assert (await alerts.dispatch()).sent == 3
        await alerts.aclose()
    assert all(d.state == "sent" for d in deliveries(sessions))
    assert len(set(receiver.delivered())) == 13


async def test_a_lease_left_by_a_dead_dispatcher_is_taken_over(sessions: SessionFactory) -> None:
    with Receiver() as receiver:
        config = alerts_config(webhook(receiver.url()))
        clock = Clock(NOW)
        emit_events(sessions, config, NOW, [("source.failing", {"source": "a"})])
        await runner(config, sessions, clock).route()
        with session_scope(sessions) as session:  # a dispatcher claims, then dies before sending
            assert len(claim_deliveries(session=session, config=config, now=NOW, worker="dead", limit=10)) == 1
        alerts = runner(config, sessions, clock, worker="alive")
        assert (await alerts.dispatch()).claimed == 0  # the lease still holds
        clock.advance(minutes=1)
        assert (await alerts.dispatch()).sent == 1
        await alerts.aclose()
    with session_scope(sessions) as session:
        outcomes = [(a.outcome, a.worker) for a in session.scalars(sa.select(AlertAttempt).order_by(AlertAttempt.id))]
    assert outcomes == [("abandoned", "dead"), ("sent", "alive")]


async def test_skip_locked_gives_two_dispatchers_different_deliveries(db_url: str, sessions: SessionFactory) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("FOR UPDATE SKIP LOCKED is PostgreSQL behaviour; SQLite has one writer")
    config = alerts_config(webhook("http://127.0.0.1:9/x", rate_limit=1000))
    emit_events(sessions, config, NOW, [("source.failing", {"source": f"s{i}"}) for i in range(10)])
    await runner(config, sessions, Clock(NOW)).route()
    with sessions() as one, one.begin():
        # The channel row is locked by the first claimer: the second waits for nothing and takes nothing.
        first = claim_deliveries(session=one, config=config, now=NOW, worker="w1", limit=4)
        with sessions() as two, two.begin():
            two.execute(sa.text("SET LOCAL lock_timeout = '200ms'"))
            rows = (
                two.execute(
                    sa.select(AlertDelivery.id)
                    .where(AlertDelivery.state == "pending")
                    .with_for_update(skip_locked=True)
                )
                .scalars()
                .all()
            )
    assert len(first) == 4 and len(rows) == 6
    assert not {c.delivery_id for c in first} & set(rows)


def test_plan_retry_backs_off_with_jitter_and_honours_retry_after() -> None:
    import random

    from monitor.alerts.dispatch import SendResult, plan_retry
    from monitor.config import parse_config

    settings = parse_config("alerts: {backoff: 30s, max_backoff: 1h}", env={}).alerts
    rng = random.Random(3)
    failed = SendResult(ok=False, status=503)
    for attempt, full in [(1, 30), (2, 60), (5, 480), (8, 3600), (30, 3600)]:
        waits = [(plan_retry(attempt, failed, NOW, settings, rng) - NOW).total_seconds() for _ in range(50)]
        assert all(full / 2 <= w <= full for w in waits) and len(set(waits)) > 1
    asked = SendResult(ok=False, status=429, retry_after=7200)
    assert plan_retry(1, asked, NOW, settings, rng) == NOW + timedelta(seconds=7200)


async def test_an_event_committed_after_a_later_one_is_still_routed(db_url: str, sessions: SessionFactory) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("two open writers: PostgreSQL only (SQLite has one writer, so ids commit in order)")
    from monitor.models.alerts import AlertCursor, AlertRouted
    from monitor.models.events import emit

    config = alerts_config(webhook("http://127.0.0.1:9/x"))
    emit_events(sessions, config, NOW, [])
    alerts = runner(config, sessions, Clock(NOW))
    with sessions() as slow:
        slow.begin()
        early = emit(slow, "source.failing", "slow", {"source": "slow"}, now=NOW)
        slow.flush()  # its id is taken, its commit comes later
        (late,) = emit_events(sessions, config, NOW, [("source.failing", {"source": "fast"})])
        assert late > early.id
        assert (await alerts.route()).events == 1
        slow.commit()
    assert (await alerts.route()).events == 1
    assert sorted(d.event_id for d in deliveries(sessions)) == [early.id, late]
    # Once both are older than the settle time, the watermark passes them and their markers go.
    await runner(config, sessions, Clock(NOW + timedelta(hours=1))).route()
    with session_scope(sessions) as session:
        assert session.get(AlertCursor, "events").event_id == late  # type: ignore[union-attr]
        assert session.scalar(sa.select(sa.func.count()).select_from(AlertRouted)) == 0
    await alerts.aclose()


async def test_response_desk_and_report_events_need_no_change_to_be_routed(sessions: SessionFactory) -> None:
    """The events the response desk and the reports will emit: routed by kind, brand and priority from the payload."""
    rules = "[{events: ['reply.*', 'case.sla_breached'], min_priority: high}, {events: [report.ready]}]"
    with Receiver() as receiver:
        config = alerts_config(webhook(receiver.url(), rules=rules))
        emit_events(sessions, config, NOW, [
            ("reply.disappeared", {"case_id": 4, "brand": "acme", "priority": "urgent",
                                   "url": "https://board.example/c/4#reply"}),
            ("case.sla_breached", {"case_id": 5, "brand": "acme", "priority": "low"}),
            ("report.ready", {"brand": "beta", "summary": "Coverage 98% <b>ok</b>"}),
        ])  # fmt: skip
        alerts = runner(config, sessions, Clock(NOW))
        await alerts.route()
        assert (await alerts.dispatch()).sent == 2
        await alerts.aclose()
    # sent concurrently: the order of arrival is not fixed
    reply, report = sorted((r.json for r in receiver.ok()), key=lambda body: body["title"].startswith("[Beta]"))
    assert reply["title"] == "[Acme] Reply disappeared from the site: case 4"
    assert "the place: https://board.example/c/4#reply" in reply["text"] and "priority urgent" in reply["text"]
    assert report["title"] == "[Beta] Report ready" and "Coverage 98% ‹b›ok‹/b›" in report["text"]


def test_a_report_announcement_goes_to_the_channels_the_report_names(sessions: SessionFactory) -> None:
    from monitor.alerts.routing import route_events

    # "care" takes only urgent case events by its rules; "other" is not named by the report
    config = alerts_config(
        webhook("http://127.0.0.1:9/a", key="care", rules="[{events: ['case.*'], min_priority: urgent}]")
        + webhook("http://127.0.0.1:9/b", key="other", rules="[{events: ['case.*']}]")
    )
    emit_events(sessions, config, NOW, [("report.ready", {"report": "weekly", "channels": ["care"], "summary": "x"}),
                                        ("report.ready", {"report": "daily", "channels": []})])  # fmt: skip
    with session_scope(sessions) as session:
        counts = route_events(session=session, config=config, now=NOW)
    assert counts.events == 2
    assert [(d.channel, d.state) for d in deliveries(sessions)] == [("care", "pending")]


async def test_place_and_promise_events_are_routed_and_say_what_happened(sessions: SessionFactory) -> None:
    from monitor.alerts.messages import Facts, render

    with Receiver() as receiver:
        rules = "[{events: [place.sla_breached, 'case.promise_*'], min_priority: high}]"
        config = alerts_config(webhook(receiver.url(), key="desk", rules=rules))
        ids = emit_events(sessions, config, NOW, [
            ("place.sla_breached", {"case_id": 1, "mention_id": 7, "brand": "acme", "priority": "high", "places": 3}),
            ("place.sla_breached", {"case_id": 2, "mention_id": 8, "brand": "acme", "priority": "low"}),
            ("case.promise_at_risk", {"case_id": 3, "brand": "acme", "priority": "urgent"}),
            ("case.promise_broken", {"case_id": 3, "brand": "acme", "priority": "urgent"}),
            ("case.sla_breached", {"case_id": 4, "brand": "acme", "priority": "urgent"}),
        ])  # fmt: skip
        alerts = runner(config, sessions, Clock(NOW))
        await alerts.route()
        await alerts.aclose()
    assert sorted(ids.index(d.event_id) for d in deliveries(sessions)) == [0, 2, 3]
    message = render([Facts(event_id=1, kind="place.sla_breached", created_at=NOW, brand="acme", case_id=1,
                            url="https://o.example/7", priority="high")], fmt="text", public_url="https://rw.example")  # fmt: skip
    assert "still unanswered past its deadline" in message.title and "https://o.example/7" in message.body
