"""The worker: every job of the service on one APScheduler schedule, in one process.

    job            every       what (monitor.worker.jobs, or its own module)
    poll-tick      tick        claim due sources into free slots and poll them (Poller)
    cases          tick        tie new mentions to brands, cases and customers
    sla-sweep      60 s        flip SLA clocks, age unverified replies, backfill deadlines
    poll-roll-up   1 h         sum the days just over into poll_day rows (coverage reports)
    report:<key>   its cron    make a scheduled report and announce it
    alerts         (AlertRunner.schedule) route outbox events to channels and deliver them
    heartbeat      30 s        with a heartbeat file: write the time into it (`replywatch alive` reads it,
                               the container health check of a worker, which serves no HTTP)

Jobs run in the Poller's database executor (one thread on SQLite, the only writer), each
owning its transaction. Several workers may share one PostgreSQL: polls are claimed with
row leases and every sweep is a compare-and-set, so no job needs to run in one place only.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from monitor.alerts.runner import AlertRunner
from monitor.cases.pipeline import ProcessCounts
from monitor.cases.sla import SweepCounts
from monitor.config.reports import ReportDefinition
from monitor.reports.schedule import ReportRun, trigger_of
from monitor.worker import jobs
from monitor.worker.poller import Poller

__all__ = ["HEARTBEAT_EVERY", "Worker"]

HEARTBEAT_EVERY = 30  # seconds; a health check allows a few missed beats


class Worker:
    """Schedules the jobs of one config against one database around a Poller it drives."""

    def __init__(self, poller: Poller, *, heartbeat: Path | None = None) -> None:
        self.poller = poller
        self.heartbeat = heartbeat
        self.config = poller.config
        self.sessions = poller.sessions
        self.clock = poller.clock
        self.alerts = AlertRunner(config=self.config, sessions=self.sessions, worker=poller.worker, db=poller.db,
                                  clock=poller.clock)  # fmt: skip
        self._scheduler: AsyncIOScheduler | None = None

    async def process_cases(self) -> ProcessCounts:
        return await self.poller.in_db(
            lambda: jobs.process_cases(sessions=self.sessions, config=self.config, now=self.clock())
        )

    async def rematch_customers(self) -> jobs.RematchCounts:
        return await self.poller.in_db(
            lambda: jobs.rematch_customers(sessions=self.sessions, config=self.config, now=self.clock())
        )

    async def train_customers(self) -> int:
        return await self.poller.in_db(
            lambda: jobs.train_customers(sessions=self.sessions, config=self.config, now=self.clock())
        )

    async def sweep_sla(self) -> SweepCounts:
        return await self.poller.in_db(lambda: jobs.sweep_sla(sessions=self.sessions, config=self.config,
                                                              now=self.clock()))  # fmt: skip

    async def refresh_statistics(self) -> bool:
        return await self.poller.in_db(lambda: jobs.refresh_db_statistics(sessions=self.sessions))

    async def roll_up_polls(self) -> int:
        return await self.poller.in_db(lambda: jobs.roll_up_polls(sessions=self.sessions, now=self.clock()))

    async def run_report(self, definition: ReportDefinition) -> list[ReportRun]:
        return await self.poller.in_db(
            lambda: jobs.run_scheduled_report(
                sessions=self.sessions, config=self.config, definition=definition, now=self.clock()
            )
        )

    def beat(self) -> None:
        """Write the time into the heartbeat file, atomically (a reader never sees half a file)."""
        if self.heartbeat is None:
            return
        partial = self.heartbeat.with_name(f".{self.heartbeat.name}.{os.getpid()}")
        partial.write_text(datetime.now(UTC).isoformat(), encoding="utf-8")
        partial.replace(self.heartbeat)

    def start(self) -> None:
        """Put every job on the schedule and start it on the running event loop."""
        scheduler = self._scheduler = AsyncIOScheduler(timezone=UTC)
        tick = self.config.scheduler.tick.total_seconds()
        now = datetime.now(UTC)
        once = {"max_instances": 1, "coalesce": True}
        scheduler.add_job(self.poller.tick, "interval", seconds=tick, id="poll-tick", next_run_time=now, **once)
        scheduler.add_job(self.process_cases, "interval", seconds=tick, id="cases", **once)
        scheduler.add_job(self.sweep_sla, "interval", seconds=60, id="sla-sweep", next_run_time=now, **once)
        # A register imported or edited: its open cases without a customer are matched again.
        scheduler.add_job(self.rematch_customers, "interval", seconds=60, id="customers-rematch", **once)
        # Matching's weights learned from the brand's own cases (EM), once it has enough and then daily.
        scheduler.add_job(self.train_customers, "interval", hours=1, id="customers-train",
                          next_run_time=now + timedelta(minutes=2), **once)  # fmt: skip
        # Hourly, not nightly: a day is summed up once it has been over for an hour (coverage.SETTLE),
        # and a run that finds nothing missing costs one small query.
        scheduler.add_job(self.roll_up_polls, "interval", hours=1, id="poll-roll-up",
                          next_run_time=now + timedelta(minutes=5), **once)  # fmt: skip
        # SQLite, and PostgreSQL with autovacuum off, keep no planner statistics of their own: refreshed soon
        # after start, then hourly.
        scheduler.add_job(self.refresh_statistics, "interval", hours=1, id="db-statistics",
                          next_run_time=now + timedelta(minutes=1), **once)  # fmt: skip
        for definition in self.config.reports:
            # A report missed while no worker ran is still made within the hour, once.
            scheduler.add_job(self.run_report, trigger_of(definition), args=[definition],
                              id=f"report:{definition.key}", misfire_grace_time=3600, coalesce=True)  # fmt: skip
        if self.config.channels:
            self.alerts.schedule(scheduler)
        if self.heartbeat is not None:
            scheduler.add_job(self.beat, "interval", seconds=HEARTBEAT_EVERY, id="heartbeat", next_run_time=now, **once)
        self.poller.refilling = True
        scheduler.start()

    async def aclose(self) -> None:
        """Stop the schedule, then let polls in flight finish and close the poller."""
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None
        await self.poller.aclose()
        await self.alerts.aclose()
