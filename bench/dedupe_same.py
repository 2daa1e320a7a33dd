"""Does the case step give the same result with another checkout's code? A dump to compare.

    .venv/bin/python bench/dedupe_same.py --mentions 1000 --out /tmp/mine.json [--database URL]
    BENCH_CODE=/work/main .venv/bin/python bench/dedupe_same.py --mentions 1000 --out /tmp/main.json [--database URL]
    cmp /tmp/main.json /tmp/mine.json

bench/dedupe_build.py's stream is stored and processed (`process_cases`, batches of `--batch`), then
written out: each mention's case (named by the case's first mention), method, score, tone and place
clock; each case's counters, priority, category, deadlines and search text; every timeline row with
its data, in id order; every outbox event. Not timed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
if os.environ.get("BENCH_CODE"):
    sys.path.insert(0, os.environ["BENCH_CODE"])

import sqlalchemy as sa

from bench.database import prepare_database
from bench.dedupe_build import CONFIG, NOW, stream
from monitor.core.db import make_engine, make_session_factory, session_scope
from monitor.ingest.polling import sync_config
from monitor.ingest.store import store_mentions
from monitor.models import Brand, Case, CaseEvent, Event, Mention, Source
from monitor.worker.jobs import process_cases


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database")
    parser.add_argument("--mentions", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="dedupe-same-") as tmp:
        url = prepare_database(args.database, Path(tmp))
        engine = make_engine(url)
        sessions = make_session_factory(engine)
        with session_scope(sessions) as session:
            sync_config(session=session, config=CONFIG, now=NOW)
            source_ids = list(session.scalars(sa.select(Source.id).order_by(Source.id)))
            brand_id = session.scalar(sa.select(Brand.id))
        items = stream(args.mentions, args.seed)
        with session_scope(sessions) as session:
            for index, source_id in enumerate(source_ids):
                store_mentions(session=session, source_id=source_id, items=[i for s, i in items if s == index],
                               now=NOW, brand_id=brand_id, language_hint="ru")  # fmt: skip
        process_cases(sessions=sessions, config=CONFIG, now=NOW, batch=args.batch)
        with session_scope(sessions) as session:
            first = dict(
                session.execute(sa.select(Mention.case_id, sa.func.min(Mention.id)).group_by(Mention.case_id)).all()
            )
            dump = {
                "mentions": [(m.id, first.get(m.case_id), m.case_method, m.case_score, m.tone, m.brand_rule,
                              m.place_state, str(m.place_due_at), m.place_sla)
                             for m in session.scalars(sa.select(Mention).order_by(Mention.id))],
                "cases": sorted((first[c.id], c.mention_count, c.places_unanswered, c.priority, c.category,
                                 str(c.response_due_at), str(c.resolution_due_at), c.title, c.search_text)
                                for c in session.scalars(sa.select(Case))),
                "timeline": [(first[e.case_id], e.kind, e.mention_id, json.dumps(e.data, sort_keys=True))
                             for e in session.scalars(sa.select(CaseEvent).order_by(CaseEvent.id))],
                "events": sorted((e.kind, first[e.payload["case_id"]], e.payload.get("mention_id"))
                                 for e in session.scalars(sa.select(Event))),
            }  # fmt: skip
        engine.dispose()
    args.out.write_text(json.dumps(dump, default=str, indent=0))
    print(f"{args.out}: {len(dump['mentions'])} mentions, {len(dump['cases'])} cases, "
          f"{len(dump['timeline'])} timeline rows, {len(dump['events'])} events")  # fmt: skip


if __name__ == "__main__":
    main()
