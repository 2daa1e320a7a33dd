"""The customer register in the database: importing it and searching it.

Import (`import_batches`, `import_customers`) upserts by (brand, external id), one
batch of rows at a time:

  1. rows the reader refused (monitor.customers.register_file) go to the report as they are;
     a phone written without "+country" is read now in the brand's country, and a
     row whose phone still cannot be read is refused the same way;
  2. one query loads the batch's customers that already exist;
  3. new customers are inserted (COPY on PostgreSQL, ids drawn from the sequence
     first; a multi-row INSERT … RETURNING id elsewhere), changed ones updated by
     primary key, unchanged ones left alone (a re-import of the same file writes
     nothing);
  4. the keys of new customers, and of changed ones whose name or identifiers
     changed, are (re)built: old keys deleted, new ones inserted in bulk (COPY on
     PostgreSQL; monitor.customers.keys says which keys).

Nothing is committed here: `import_batches` yields the running report after each
batch so the caller can commit (and show progress) between batches; a crash then
loses at most the batch in flight, and importing the file again finishes the job.

Re-index (`reindex_batches`, CLI `replywatch customers reindex`) rebuilds the keys of
registers already stored when the rules of monitor.customers.keys change, batch by
batch in customer id order; running it again after a crash finishes the job.

Search (`search_customers`) looks up the same keys, never scans: an external id,
e-mail, phone or order number exactly; a name by its words (any script, any order,
one typo), a single word also as the start of a name word ("petr" finds Petrov).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from itertools import combinations
from operator import itemgetter
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import Session

from monitor.core.text import words
from monitor.customers.frequencies import touch_register
from monitor.customers.keys import (
    customer_keys,
    is_e164,
    lookup_keys,
    name_words,
    normalise_email,
    normalise_order,
    normalise_phone,
    pair_key,
)
from monitor.customers.register_row import RegisterRow, RowError
from monitor.models import Brand, Customer, CustomerKey

__all__ = [
    "BATCH_SIZE",
    "ImportReport",
    "import_batches",
    "import_customers",
    "reindex_batches",
    "search_customers",
    "vacuum_register",
]

# Rows per batch: larger batches touch each page of the key index fewer times (measured:
# 10,000 imports a 100,000-customer register 25% faster than 2,000).
BATCH_SIZE = 10_000
# Customers created or changed by one import from which it refreshes the planner's statistics (PostgreSQL).
ANALYZE_AFTER = 1_000
_CUSTOMER = Customer.__table__  # type: ignore[attr-defined]
_KEY = CustomerKey.__table__  # type: ignore[attr-defined]
_FIELDS = ("full_name", "names", "emails", "phones", "orders", "city", "tier", "lifetime_value")
_KEYED = ("full_name", "names", "emails", "phones", "orders")
_LISTS = ("names", "emails", "phones", "orders")


@dataclass(slots=True)
class ImportReport:
    """What an import did; `read` = created + updated + unchanged + len(errors)."""

    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)


def import_customers(
    *,
    session: Session,
    brand_id: int,
    rows: Iterable[RegisterRow | RowError],
    now: datetime,
    default_region: str | None,
    on_progress: Callable[[int], None] | None = None,
    batch_size: int = BATCH_SIZE,
) -> ImportReport:
    """Import every row in one transaction of the caller's; `on_progress(rows read so far)` after each batch."""
    report = ImportReport()
    for report in import_batches(
        session=session, brand_id=brand_id, rows=rows, now=now, default_region=default_region, batch_size=batch_size
    ):
        if on_progress is not None:
            on_progress(report.read)
    return report


def import_batches(
    *,
    session: Session,
    brand_id: int,
    rows: Iterable[RegisterRow | RowError],
    now: datetime,
    default_region: str | None,
    batch_size: int = BATCH_SIZE,
) -> Iterator[ImportReport]:
    """Import `rows`, yielding the running report after each batch of `batch_size` rows read (at least once).

    An external id twice in one batch is an error of the later row (read_register
    already finds these across the whole file); rows from elsewhere that repeat an
    id in a later batch update the customer again.
    """
    report = ImportReport()
    batch: dict[str, RegisterRow] = {}
    pending = 0
    for item in rows:
        report.read += 1
        pending += 1
        row = item if isinstance(item, RowError) else _read_phones(item, default_region)
        if isinstance(row, RowError):
            report.errors.append(row)
        elif row.external_id in batch:
            # read_register already refuses these; rows from elsewhere get the same rule.
            earlier = batch[row.external_id].line
            report.errors.append(RowError(row.line, row.external_id, f"external id already used on line {earlier}"))
        else:
            batch[row.external_id] = row
        if pending >= batch_size:
            _store(session, brand_id, list(batch.values()), now, report)
            batch, pending = {}, 0
            yield report
    _store(session, brand_id, list(batch.values()), now, report)
    if report.created or report.updated:
        # Matching processes reload the register's frequencies (monitor.customers.frequencies).
        touch_register(session, brand_id, now)
    if report.created + report.updated >= ANALYZE_AFTER and session.get_bind().dialect.name == "postgresql":
        # Fresh statistics with the last batch's commit: a register that grew by thousands is otherwise
        # planned from the old ones until autovacuum gets to it (never, where it is off), and its first
        # lookups can be planned as scans. ANALYZE samples 30,000 rows a table: a second or two.
        session.execute(sa.text("ANALYZE customer, customer_key"))
    yield report


def vacuum_register(engine: sa.Engine, report: ImportReport) -> bool:
    """VACUUM the register's tables after a large import, once it is committed (PostgreSQL); whether it ran.

    Matching's blocking lookup reads customer_key by its primary key, which holds every column it
    needs: an index-only scan, but only for pages the visibility map marks all-visible, and only
    VACUUM sets it. Until then every key row found is read from the table too. Autovacuum does it
    in time where it is on; where it is off (as on the benchmark machine) never. Measured at a
    million customers: 0.50-0.52 ms of the database's CPU a mention before, 0.33-0.35 ms after, and
    VACUUM took 1.4 s (docs/PERFORMANCE.md, session 8). It cannot run in a transaction, so the caller
    runs it after its last commit; it takes no lock that matching or writers wait for.
    """
    if report.created + report.updated < ANALYZE_AFTER or engine.dialect.name != "postgresql":
        return False
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM customer, customer_key")
    return True


def _read_phones(row: RegisterRow, region: str | None) -> RegisterRow | RowError:
    if all(is_e164(p) for p in row.phones):
        return row  # read_register has already checked these
    phones = []
    for raw in row.phones:
        phone = raw if is_e164(raw) else normalise_phone(raw, region)
        if phone is None:
            hint = f" (read in {region})" if region else " (no +country code, and the brand has no country)"
            return RowError(row.line, row.external_id, f"unreadable phone number {raw[:40]!r}{hint}")
        phones.append(phone)
    return RegisterRow(**{**_as_dict(row), "line": row.line, "phones": tuple(dict.fromkeys(phones))})


def _as_dict(row: RegisterRow) -> dict[str, Any]:
    return {name: getattr(row, name) for name in ("external_id", *_FIELDS)}


def _values(row: RegisterRow) -> dict[str, Any]:
    values = _as_dict(row)
    for name in _LISTS:
        values[name] = list(values[name])
    return values


def _store(session: Session, brand_id: int, rows: list[RegisterRow], now: datetime, report: ImportReport) -> None:
    if not rows:
        return
    columns = [_CUSTOMER.c.id, _CUSTOMER.c.external_id, *(_CUSTOMER.c[name] for name in _FIELDS)]
    ids = [row.external_id for row in rows]
    if session.get_bind().dialect.name == "postgresql":
        # The batch's ids as one array joined to the table, so that each id probes the unique index. As an
        # IN list of 10,000 parameters, on a table not analyzed since the import began (autovacuum off, or
        # behind a bulk load), PostgreSQL planned a sequential scan that compared every row with every id:
        # four minutes a batch at 850,000 customers.
        wanted = sa.func.unnest(sa.literal(ids, ARRAY(sa.String))).table_valued("eid").render_derived(name="wanted")
        query = sa.select(*columns).join_from(wanted, _CUSTOMER, _CUSTOMER.c.external_id == wanted.c.eid)
    else:
        query = sa.select(*columns).where(_CUSTOMER.c.external_id.in_(ids))
    existing = {r.external_id: r for r in session.execute(query.where(_CUSTOMER.c.brand_id == brand_id))}
    created: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    rekey: dict[int, dict[str, Any]] = {}
    for row in rows:
        values = _values(row)
        old = existing.get(row.external_id)
        if old is None:
            created.append({**values, "brand_id": brand_id, "created_at": now, "updated_at": now})
        elif any(getattr(old, name) != values[name] for name in _FIELDS):
            changed.append({**values, "id": old.id, "updated_at": now})
            if any(getattr(old, name) != values[name] for name in _KEYED):
                rekey[old.id] = values
        else:
            report.unchanged += 1
    if changed:
        session.execute(sa.update(Customer), changed)
        report.updated += len(changed)
        if rekey:  # so far only changed customers whose keys change
            session.execute(sa.delete(_KEY).where(_KEY.c.customer_id.in_(list(rekey))))
    if created:
        rekey.update(zip(_insert_customers(session, created), created, strict=True))
        report.created += len(created)
    keys = [
        (cid, brand_id, kind, value)
        for cid, values in rekey.items()
        for kind, value in customer_keys(
            full_name=values["full_name"],
            names=values["names"],
            emails=values["emails"],
            phones=values["phones"],
            orders=values["orders"],
        )
    ]
    if keys:
        _insert_keys(session, keys)


_DELETE_KEYS_PG = sa.text(
    "DELETE FROM customer_key AS k USING unnest(CAST(:ids AS integer[])) AS batch(id) WHERE k.customer_id = batch.id"
)


def reindex_batches(*, session: Session, brand_id: int | None, batch_size: int = BATCH_SIZE) -> Iterator[int]:
    """Rebuild the keys of a brand's customers (every brand's when None); yields how many are done so far.

    For each batch of customers, in id order: their keys are deleted and filed anew by
    the current rules. The caller commits between batches (a crash keeps the batches
    done; keys of one customer are never half written within a committed batch).

    Safe beside an import or another rebuild (PostgreSQL): the batch's customer rows are
    locked (FOR UPDATE), so an import changing one of them waits, or is waited for and its
    new values are the ones re-keyed; a customer committed meanwhile is not in the batch,
    and only the keys of the batch's own customers are deleted.
    """
    done, last = 0, 0
    columns = [_CUSTOMER.c.id, _CUSTOMER.c.brand_id, *(_CUSTOMER.c[name] for name in _KEYED)]
    postgresql = session.get_bind().dialect.name == "postgresql"
    while True:
        stmt = sa.select(*columns).where(_CUSTOMER.c.id > last).order_by(_CUSTOMER.c.id).limit(batch_size)
        if brand_id is not None:
            stmt = stmt.where(_CUSTOMER.c.brand_id == brand_id)
        rows = session.execute(stmt.with_for_update()).all()
        if not rows:
            return
        ids = [r.id for r in rows]
        if postgresql:  # the ids as one array joined to the index (as in _store: no IN list of 10,000)
            session.execute(_DELETE_KEYS_PG, {"ids": ids})
        else:
            session.execute(sa.delete(_KEY).where(_KEY.c.customer_id.in_(ids)))
        keys = [
            (r.id, r.brand_id, kind, value)
            for r in rows
            for kind, value in customer_keys(
                full_name=r.full_name, names=r.names, emails=r.emails, phones=r.phones, orders=r.orders
            )
        ]
        if keys:
            _insert_keys(session, keys)
        done += len(rows)
        last = rows[-1].id
        yield done


_COPIED = ("brand_id", "external_id", *_FIELDS, "created_at", "updated_at")


def _insert_customers(session: Session, created: list[dict[str, Any]]) -> list[int]:
    """Insert new customers, returning their ids in order: COPY on PostgreSQL, INSERT … RETURNING elsewhere.

    COPY returns nothing, so the ids are taken from the table's sequence first (one
    query for the batch) and written with the rows. Measured on a 20,000-customer
    import: the multi-row INSERT … RETURNING cost more than building the keys.
    """
    conn = session.connection()
    if conn.dialect.name != "postgresql":
        stmt = sa.insert(_CUSTOMER).returning(_CUSTOMER.c.id, sort_by_parameter_order=True)
        return list(session.execute(stmt, created).scalars())
    ids = [
        row[0]
        for row in conn.exec_driver_sql(
            "SELECT nextval(pg_get_serial_sequence('customer', 'id')) FROM generate_series(1, %s)", (len(created),)
        )
    ]
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor, cursor.copy(f"COPY customer (id, {', '.join(_COPIED)}) FROM STDIN") as copy:
        for cid, values in zip(ids, created, strict=True):
            copy.write_row(
                (cid, *(json.dumps(values[n]) if n in _LISTS else values[n] for n in _COPIED))  # JSONB from text
            )
    return ids


def _copy_text(value: str) -> str:
    """A value for COPY's text format: backslash, tab and line breaks escaped (keys rarely hold any)."""
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return value


def _insert_keys(session: Session, keys: list[tuple[int, int, str, str]]) -> None:
    """Bulk insert at driver level: COPY on PostgreSQL, executemany on SQLite.

    A register has some twenty keys per customer; building a parameter dict per
    key through SQLAlchemy costs more than the insert itself.
    """
    conn = session.connection()
    # In index order, so that neighbouring keys land on pages already at hand.
    keys.sort(key=itemgetter(2, 3, 0))
    if conn.dialect.name == "postgresql":
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        with cursor, cursor.copy("COPY customer_key (customer_id, brand_id, kind, value) FROM STDIN") as copy:
            # COPY's text format written directly: a row object per key (write_row) cost more
            # than the server's work. Only the value can hold a character COPY reads specially.
            copy.write("".join(f"{c}\t{b}\t{k}\t{_copy_text(v)}\n" for c, b, k, v in keys))
    elif conn.dialect.paramstyle == "qmark":
        conn.exec_driver_sql("INSERT INTO customer_key (customer_id, brand_id, kind, value) VALUES (?, ?, ?, ?)", keys)
    else:
        session.execute(
            sa.insert(_KEY), [dict(zip(("customer_id", "brand_id", "kind", "value"), k, strict=True)) for k in keys]
        )


# -- search -------------------------------------------------------------------------------


def search_customers(
    *, session: Session, brand_id: int | None, query: str, limit: int, default_region: str | None = None
) -> list[Customer]:
    """Customers for a staff search box, best first: identifiers, then whole names, then words.

    Ranks: external id, e-mail, phone, order number (exact) < both words of a name
    (by sound, either order) < a name within one typo < a whole name word < a name
    word starting with the query. Within a rank, by name.
    """
    text = " ".join(query.split())
    if not text or limit <= 0:
        return []
    brands = [brand_id] if brand_id is not None else sa.select(Brand.id).scalar_subquery()
    lookups: list[tuple[int, str, set[str]]] = []
    if email := normalise_email(text):
        lookups.append((0, "email", {email}))
    if sum(c.isdigit() for c in text) >= 6 and (phone := normalise_phone(text, default_region)):
        lookups.append((0, "phone", {phone}))
    if any(c.isdigit() for c in text) and (order := normalise_order(text)):
        lookups.append((0, "order", {order}))
    parts = [w for w in name_words(text) if not w.initial]
    exact = {pair_key(x, y) for a, b in combinations(parts, 2) for x in a.sounds for y in b.sounds}
    near = {value for kind, value in lookup_keys(text) if kind == "sound"} - exact
    nicks = {value for kind, value in lookup_keys(text) if kind in ("nick", "initial")}
    lookups += [(1, "sound", exact), (2, "sound", near), (2, "nick", nicks), (3, "name", set(words(text)))]

    rank: dict[int, int] = {}
    for cid in session.scalars(
        sa.select(Customer.id).where(Customer.brand_id.in_(brands), Customer.external_id == text).limit(limit)
    ):
        rank[cid] = 0
    cap = max(limit * 4, 50)
    for level, kind, values in lookups:
        if not values or len(rank) >= cap:
            continue
        stmt = sa.select(_KEY.c.customer_id).where(
            _KEY.c.brand_id.in_(brands), _KEY.c.kind == kind, _KEY.c.value.in_(sorted(values))
        )
        for cid in session.scalars(stmt.limit(cap)):
            rank.setdefault(cid, level)
    folded = "".join(words(text))
    if len(rank) < limit and len(folded) >= 3 and " " not in text:
        # A word being typed: "petr" → petrov, petrova, petrosyan (an index range, not a scan).
        stmt = sa.select(_KEY.c.customer_id).where(
            _KEY.c.brand_id.in_(brands), _KEY.c.kind == "name", _KEY.c.value >= folded, _KEY.c.value < folded + "~"
        )
        for cid in session.scalars(stmt.limit(cap)):
            rank.setdefault(cid, 4)
    if not rank:
        return []
    found = session.scalars(sa.select(Customer).where(Customer.id.in_(rank))).all()
    return sorted(found, key=lambda c: (rank[c.id], c.full_name, c.id))[:limit]  # type: ignore[index]
