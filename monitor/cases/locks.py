"""The case step's lock per brand: two workers never place posts of the same brand at the same time.

Workers share the queue of pending mentions (FOR UPDATE SKIP LOCKED), so a re-post and its
original can sit in two batches processed at once. Duplicates are found among what the database
holds, and the other worker's batch is not committed yet: without a lock the re-post would open a
case of its own (two cases, two clocks, two replies for one complaint). Near-duplicates are only
ever looked for within one brand (the brand is part of every band key), so a lock per brand is
enough: the second worker waits until the first commits, and its next statements (READ COMMITTED)
see the first one's cases and band rows.

The lock is a transaction-scoped advisory lock (`pg_advisory_xact_lock`), released at commit or
rollback, and also when the savepoint it was taken in is rolled back. Several brands are locked in
ascending id order, so two workers cannot deadlock on them. SQLite has a single writer already.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
import structlog
from sqlmodel import Session

__all__ = ["CASE_LOCK_SPACE", "lock_brands"]

log = structlog.get_logger("replywatch.cases")

# First key of the two-key advisory lock: the case step's namespace (the second key is the brand id),
# so these locks cannot collide with another feature's advisory locks on small integers.
CASE_LOCK_SPACE = 1701


def lock_brands(session: Session, brand_ids: Iterable[int]) -> None:
    """Wait for, then hold until the transaction ends, the case step's lock on each brand (PostgreSQL only)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for brand_id in sorted(set(brand_ids)):
        session.execute(sa.select(sa.func.pg_advisory_xact_lock(CASE_LOCK_SPACE, brand_id)))
