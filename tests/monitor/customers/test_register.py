"""The customer register in the database: importing CRM exports, re-indexing and searching them."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from monitor.core.db import SessionFactory, session_scope
from monitor.customers import register
from monitor.customers.keys import customer_keys
from monitor.customers.register import ImportReport, import_batches, import_customers, reindex_batches, search_customers
from monitor.customers.register_file import read_register
from monitor.customers.register_row import RowError
from monitor.models import Brand, Customer, CustomerKey
from tests.support.clock import NOW
from tests.support.factories import feed_config, synced
from tests.support.register import read

# -- importing -----------------------------------------------------------------------------------


@pytest.fixture
def brand_id(sessions: SessionFactory) -> int:
    synced(sessions, feed_config({"board": "https://board.example/feed"}), NOW)
    with session_scope(sessions) as session:
        return session.scalars(sa.select(Brand.id).where(Brand.key == "acme")).one()


def load(sessions: SessionFactory, brand_id: int, rows: list, *, region: str | None = "RU", now=NOW) -> ImportReport:
    with session_scope(sessions) as session:
        return import_customers(session=session, brand_id=brand_id, rows=rows, now=now, default_region=region)


def customers(sessions: SessionFactory) -> dict[str, Customer]:
    with session_scope(sessions) as session:
        return {c.external_id: c for c in session.scalars(sa.select(Customer))}


def keys_of(sessions: SessionFactory, external_id: str) -> set[tuple[str, str]]:
    with session_scope(sessions) as session:
        stmt = sa.select(CustomerKey.kind, CustomerKey.value).join(Customer, Customer.id == CustomerKey.customer_id)
        return {tuple(r) for r in session.execute(stmt.where(Customer.external_id == external_id))}


def test_import_creates_then_a_second_import_changes_nothing(sessions: SessionFactory, brand_id: int) -> None:
    report = load(sessions, brand_id, read("customers_utf8.csv"))
    assert (report.read, report.created, report.updated, report.unchanged, report.errors) == (5, 5, 0, 0, [])
    stored = customers(sessions)
    assert stored["C-001"].phones == ["+79123456789"] and stored["C-001"].names == ["vanya_p88", "Ваня"]
    assert stored["C-001"].created_at == NOW and stored["C-001"].lifetime_value == 12490.5
    keys = keys_of(sessions, "C-001")
    assert {("email", "ivan.petrov@mail.example"), ("phone", "+79123456789"), ("order", "7731220")} <= keys
    assert {("name", "petrov"), ("name", "ivan"), ("nick", "vanyap88"), ("initial", "a.ptrv")} <= keys
    # One key per pair of words whatever their order; typo variants of the family name only
    # (Иван is a known given name: its typos are met at lookup).
    assert {("sound", "avn|ptrv"), ("sound", "avn|ptr"), ("sound", "avn|trv")} <= keys
    assert not {("sound", "ptrv|avn"), ("sound", "ptrv|vn"), ("sound", "an|ptrv")} & keys
    before = len(keys)
    again = load(sessions, brand_id, read("customers_utf8.csv"), now=NOW + timedelta(days=1))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 5)
    assert customers(sessions)["C-001"].updated_at == NOW and len(keys_of(sessions, "C-001")) == before


def test_a_changed_row_is_updated_and_its_keys_rebuilt(sessions: SessionFactory, brand_id: int) -> None:
    load(sessions, brand_id, read("customers_utf8.csv"))
    later = NOW + timedelta(days=1)
    changed = (
        "external_id,full_name,emails,tier\n"
        "C-001,Petrov Ivan,new@mail.example,platinum\n"
        "C-002,Ольга Светлова,olga.svetlova@mail.example,\n"
    )
    report = load(sessions, brand_id, list(read_register(changed.encode())), now=later)
    assert (report.created, report.updated, report.unchanged) == (0, 2, 0)
    stored = customers(sessions)["C-001"]
    assert (stored.full_name, stored.tier, stored.phones, stored.updated_at) == ("Petrov Ivan", "platinum", [], later)
    keys = keys_of(sessions, "C-001")
    assert ("email", "new@mail.example") in keys and ("email", "ivan.petrov@mail.example") not in keys
    assert not any(kind == "phone" for kind, _ in keys)


def test_reindex_files_every_customer_under_the_current_keys(sessions: SessionFactory, brand_id: int) -> None:
    load(sessions, brand_id, read("customers_utf8.csv"))
    with session_scope(sessions) as session:
        other = Brand(key="other", name="Other", created_at=NOW, updated_at=NOW)
        session.add(other)
        session.flush()
        other_id = other.id
    load(sessions, other_id, list(read_register("id,name\nO-1,Сидоренко Олена\n".encode())))
    stored = customers(sessions)
    expected = {
        ext: customer_keys(full_name=c.full_name, names=c.names, emails=c.emails, phones=c.phones, orders=c.orders)
        for ext, c in stored.items()
    }
    with session_scope(sessions) as session:
        # A register filed by older rules: a key in the old word order, one key lost.
        ivan, olena = stored["C-001"].id, stored["O-1"].id
        session.execute(sa.delete(CustomerKey).where(CustomerKey.customer_id == ivan, CustomerKey.kind == "sound"))
        session.add(CustomerKey(customer_id=ivan, brand_id=brand_id, kind="sound", value="ptrv|avn"))
        session.execute(sa.delete(CustomerKey).where(CustomerKey.customer_id == olena, CustomerKey.kind == "nick"))
    with session_scope(sessions) as session:
        done = list(reindex_batches(session=session, brand_id=brand_id, batch_size=2))
    assert done == [2, 4, 5]
    assert keys_of(sessions, "C-001") == expected["C-001"]
    assert not any(kind == "nick" for kind, _ in keys_of(sessions, "O-1"))  # another brand: left alone
    with session_scope(sessions) as session:
        assert list(reindex_batches(session=session, brand_id=None)) == [6]
    assert {ext: keys_of(sessions, ext) for ext in stored} == expected
    with session_scope(sessions) as session:  # and the customer is found again by the name
        found = search_customers(session=session, brand_id=brand_id, query="Ivan Petrov", limit=3)
        assert [c.external_id for c in found][:1] == ["C-001"]


def test_two_rebuilds_at_once_neither_fails_nor_loses_a_key(sessions: SessionFactory, brand_id: int) -> None:
    """An API process and a worker both upgrading past 0009 rebuild the same register at once (PostgreSQL:
    a batch's customers are locked, so the second waits, then re-files what the first filed)."""
    if sessions.kw["bind"].dialect.name != "postgresql":
        pytest.skip("SQLite runs one writer at a time: two rebuilds cannot interleave")
    names = ["Петров Иван", "Олена Сидоренко", "Hayk Petrosyan", "Jürgen Müller", "Алесь Карпович", "Emma Brown"]
    text = "id,name,phone\n" + "".join(f"R-{i},{names[i % 6]},+7912{i:07d}\n" for i in range(600))
    load(sessions, brand_id, list(read_register(text.encode())))
    stored = customers(sessions)
    expected = {ext: customer_keys(full_name=c.full_name, names=c.names, emails=c.emails, phones=c.phones,
                                   orders=c.orders) for ext, c in stored.items()}  # fmt: skip
    errors: list[BaseException] = []

    def rebuild() -> None:
        try:
            with sessions() as session:  # as the CLI does: a commit per batch
                for _ in reindex_batches(session=session, brand_id=brand_id, batch_size=40):
                    session.commit()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=rebuild) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    with session_scope(sessions) as session:
        stmt = sa.select(Customer.external_id, CustomerKey.kind, CustomerKey.value).join(
            Customer, Customer.id == CustomerKey.customer_id
        )
        filed: dict[str, set[tuple[str, str]]] = {}
        for ext, kind, value in session.execute(stmt):
            filed.setdefault(ext, set()).add((kind, value))
    assert filed == expected


def test_a_phone_without_country_code_is_read_at_import_in_the_brands_country(
    sessions: SessionFactory, brand_id: int
) -> None:
    rows = list(read_register(b"id,name,phone\nP-1,A B,8 (912) 345-67-89\nP-2,C D,8 (912) 345-67-80\n"))
    assert rows[0].phones == ("8 (912) 345-67-89",)  # type: ignore[union-attr]  # no region yet
    report = load(sessions, brand_id, rows[:1], region="RU")
    assert report.created == 1 and customers(sessions)["P-1"].phones == ["+79123456789"]
    refused = load(sessions, brand_id, rows[1:], region=None)
    assert refused.created == 0
    assert refused.errors == [
        RowError(
            3, "P-2", "unreadable phone number '8 (912) 345-67-80' (no +country code, and the brand has no country)"
        )
    ]


def test_errors_from_reading_are_in_the_report_and_good_rows_stored(sessions: SessionFactory, brand_id: int) -> None:
    report = load(sessions, brand_id, read("bad_rows.csv"))
    assert (report.read, report.created, len(report.errors)) == (10, 2, 8)
    assert [e.line for e in report.errors] == [3, 4, 5, 6, 7, 8, 9, 10]
    assert set(customers(sessions)) == {"B-1", "B-8"}


def test_batches_let_the_caller_commit_and_show_progress(sessions: SessionFactory, brand_id: int) -> None:
    rows = read("customers_utf8.csv")
    with sessions() as session:
        seen = []
        for report in import_batches(
            session=session, brand_id=brand_id, rows=rows, now=NOW, default_region="RU", batch_size=2
        ):
            session.commit()
            seen.append((report.read, report.created))
    assert seen == [(2, 2), (4, 4), (5, 5)]
    progress: list[int] = []
    with session_scope(sessions) as session:
        import_customers(
            session=session, brand_id=brand_id, rows=rows, now=NOW, default_region="RU", on_progress=progress.append
        )
    assert progress == [5]


def test_a_large_import_leaves_the_planner_fresh_statistics(
    sessions: SessionFactory, brand_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL an import that created or changed ANALYZE_AFTER customers or more analyzes the register
    with its last batch: the row counts the planner uses are the new ones (here 5; a truncated table has -1, never analyzed)."""
    engine = sessions.kw["bind"]
    if engine.dialect.name != "postgresql":
        pytest.skip("ANALYZE and pg_class are PostgreSQL's; SQLite plans without them here")
    tuples = sa.text("SELECT relname, reltuples FROM pg_class WHERE relname IN ('customer', 'customer_key')")
    monkeypatch.setattr(register, "ANALYZE_AFTER", 5)
    load(sessions, brand_id, read("customers_utf8.csv"))
    with engine.connect() as conn:
        counted = {n: t for n, t in conn.execute(tuples)}
    assert counted["customer"] == 5 and counted["customer_key"] > 50


def test_import_never_commits(sessions: SessionFactory, brand_id: int) -> None:
    with sessions() as session:
        report = import_customers(
            session=session, brand_id=brand_id, rows=read("customers_utf8.csv"), now=NOW, default_region="RU"
        )
        assert report.created == 5
        session.rollback()
    assert customers(sessions) == {}


# -- searching -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Ivan Petrov", "C-001"),  # Latin for Cyrillic, either order
        ("Петров Ваня", "C-001"),  # a pet name
        ("Ivan Petorv", "C-001"),  # a typo
        ("Juergen Becker", "C-003"),
        ("Aram Petrosian", "C-004"),  # Latin for Armenian
        ("Oleksandr Bondarenko", "C-005"),
        ("IVAN.PETROV@mail.example", "C-001"),
        ("+7 912 345 67 89", "C-001"),
        ("8 903 555-12-34", "C-002"),  # local format, in the brand's country
        ("7731-245", "C-001"),
        ("ac-55120", "C-003"),
        ("C-004", "C-004"),
        ("Светлова", "C-002"),  # one whole word
        ("svetl", "C-002"),  # the start of a word
    ],
)
def test_search_by_any_identifier_or_name(sessions: SessionFactory, brand_id: int, query: str, expected: str) -> None:
    load(sessions, brand_id, read("customers_utf8.csv"))
    with session_scope(sessions) as session:
        found = search_customers(session=session, brand_id=brand_id, query=query, limit=3, default_region="RU")
        assert [c.external_id for c in found][:1] == [expected]


def test_search_across_brands_and_nothing_found(sessions: SessionFactory, brand_id: int) -> None:
    load(sessions, brand_id, read("customers_utf8.csv"))
    with session_scope(sessions) as session:
        assert [c.external_id for c in search_customers(session=session, brand_id=None, query="Becker", limit=5)] == [
            "C-003"
        ]
        assert search_customers(session=session, brand_id=brand_id, query="Nobody Atall", limit=5) == []
        assert search_customers(session=session, brand_id=brand_id, query="  ", limit=5) == []
        assert search_customers(session=session, brand_id=brand_id + 1, query="Becker", limit=5) == []


def test_copy_text_escapes_what_copy_reads_specially() -> None:
    from monitor.customers.register import _copy_text

    assert _copy_text("ivan.petrov@mail.example") == "ivan.petrov@mail.example"
    assert _copy_text("a\\b\tc\nd\re") == "a\\\\b\\tc\\nd\\re"


def test_migration_0008_keeps_the_keys_and_makes_the_lookup_the_primary_key(old_url: str) -> None:
    from alembic import command

    from monitor.core.db import make_engine
    from monitor.core.revisions import _alembic_config, upgrade

    upgrade(old_url, "0007")
    engine = make_engine(old_url)
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO brand (key, name, names, domains, language, timezone, created_at, updated_at)"
                             " VALUES ('acme', 'Acme', '[]', '[]', 'en', 'UTC', :t, :t)"), {"t": NOW})  # fmt: skip
        conn.execute(sa.text("INSERT INTO customer (brand_id, external_id, full_name, names, emails, phones, orders,"
                             " created_at, updated_at) VALUES (1, 'c1', 'Иван Петров', '[]', '[]', '[]', '[]', :t, :t)"),
                     {"t": NOW})  # fmt: skip
        for kind, value in (("name", "petrov"), ("name", "ivan"), ("sound", "avn|ptrv")):
            conn.execute(sa.text("INSERT INTO customer_key (customer_id, brand_id, kind, value) VALUES (1, 1, :k, :v)"),
                         {"k": kind, "v": value})  # fmt: skip
    upgrade(old_url)
    stmt = sa.select(CustomerKey.customer_id, CustomerKey.kind, CustomerKey.value).order_by(CustomerKey.value)
    with engine.connect() as conn:
        assert [tuple(r) for r in conn.execute(stmt)] == [(1, "sound", "avn|ptrv"), (1, "name", "ivan"),
                                                          (1, "name", "petrov")]  # fmt: skip
        assert sa.inspect(conn).get_pk_constraint("customer_key")["constrained_columns"] == [
            "brand_id", "kind", "value", "customer_id"
        ]  # fmt: skip
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:  # a key is filed once
        conn.execute(
            sa.text("INSERT INTO customer_key (customer_id, brand_id, kind, value) VALUES (1, 1, 'name', 'ivan')")
        )
    command.downgrade(_alembic_config(old_url), "0007")
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM customer_key")).scalar_one() == 3
    engine.dispose()


def test_a_large_import_once_committed_is_vacuumed_so_lookups_read_the_key_index_alone(
    sessions: SessionFactory, brand_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL the visibility map VACUUM sets is what lets the blocking lookup skip the table
    (relallvisible counts its pages); below ANALYZE_AFTER customers created or changed, and on SQLite, nothing runs."""
    engine = sessions.kw["bind"]
    small = register.ImportReport(read=5, created=5)
    assert not register.vacuum_register(engine, small)
    monkeypatch.setattr(register, "ANALYZE_AFTER", 5)
    load(sessions, brand_id, read("customers_utf8.csv"))
    ran = register.vacuum_register(engine, small)
    assert ran == (engine.dialect.name == "postgresql")
    if ran:
        with engine.connect() as conn:
            visible = conn.execute(sa.text("SELECT relallvisible FROM pg_class WHERE relname = 'customer_key'"))
            assert visible.scalar_one() > 0
