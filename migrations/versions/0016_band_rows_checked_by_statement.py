"""mention_band → mention: on PostgreSQL checked once a statement instead of once a row

The case step writes 32 band rows a mention (one INSERT of ~6,400 rows a batch). PostgreSQL checks a
foreign key row by row (a lookup and a KEY SHARE lock through SPI for each inserted row): measured on
a batch of 6,400 band rows, 59-93 ms with the key against 18-26 ms without it, half of the server's
work in the case step. Here the key is replaced, on PostgreSQL only, by triggers that keep the same
guarantees a statement at a time, with transition tables:

- an INSERT or UPDATE of band rows locks the mentions they name (FOR KEY SHARE, as the key's check
  does) and fails with SQLSTATE 23503 (foreign_key_violation), naming the mention, if one is missing;
- a DELETE of mentions deletes their band rows (the key's ON DELETE CASCADE), also when the mentions
  go by their source's cascade;
- a change of a mention's id while band rows name it fails (the key's NO ACTION on update).

SQLite keeps the foreign key: there its check costs little, and the case step meets its target.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 11:20:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CHECK = """
CREATE FUNCTION mention_band_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    wanted bigint;
    locked bigint;
    missing bigint;
BEGIN
    SELECT count(DISTINCT mention_id) INTO wanted FROM band_rows;
    SELECT count(*) INTO locked FROM (
        SELECT m.id FROM mention m WHERE m.id IN (SELECT mention_id FROM band_rows) FOR KEY SHARE OF m
    ) AS held;
    IF locked < wanted THEN
        SELECT b.mention_id INTO missing FROM band_rows b
        WHERE NOT EXISTS (SELECT 1 FROM mention m WHERE m.id = b.mention_id) LIMIT 1;
        RAISE EXCEPTION 'insert or update on table "mention_band" names mention %, which is not in table "mention"',
            missing USING ERRCODE = 'foreign_key_violation', TABLE = 'mention_band';
    END IF;
    RETURN NULL;
END
$$
"""

_CASCADE = """
CREATE FUNCTION mention_band_cascade() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM mention_band b USING gone_mentions g WHERE b.mention_id = g.id;
    RETURN NULL;
END
$$
"""

_KEEP_ID = """
CREATE FUNCTION mention_band_keep_id() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM mention_band WHERE mention_id = OLD.id) THEN
        RAISE EXCEPTION 'mention % is named by rows of table "mention_band": its id cannot change', OLD.id
            USING ERRCODE = 'foreign_key_violation', TABLE = 'mention';
    END IF;
    RETURN NULL;
END
$$
"""

_TRIGGERS = (
    "CREATE TRIGGER mention_band_inserted AFTER INSERT ON mention_band REFERENCING NEW TABLE AS band_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION mention_band_check()",
    "CREATE TRIGGER mention_band_updated AFTER UPDATE ON mention_band REFERENCING NEW TABLE AS band_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION mention_band_check()",
    "CREATE TRIGGER mention_band_cascade AFTER DELETE ON mention REFERENCING OLD TABLE AS gone_mentions "
    "FOR EACH STATEMENT EXECUTE FUNCTION mention_band_cascade()",
    "CREATE TRIGGER mention_band_keep_id AFTER UPDATE OF id ON mention FOR EACH ROW WHEN (OLD.id <> NEW.id) "
    "EXECUTE FUNCTION mention_band_keep_id()",
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE mention_band DROP CONSTRAINT mention_band_mention_id_fkey")
    for sql in (_CHECK, _CASCADE, _KEEP_ID, *_TRIGGERS):
        op.execute(sql)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for trigger, table in (
        ("mention_band_inserted", "mention_band"),
        ("mention_band_updated", "mention_band"),
        ("mention_band_cascade", "mention"),
        ("mention_band_keep_id", "mention"),
    ):
        op.execute(f"DROP TRIGGER {trigger} ON {table}")
    for function in ("mention_band_check", "mention_band_cascade", "mention_band_keep_id"):
        op.execute(f"DROP FUNCTION {function}()")
    # Band rows whose mention went while the triggers kept the key would make the key's check fail.
    op.execute("DELETE FROM mention_band b WHERE NOT EXISTS (SELECT 1 FROM mention m WHERE m.id = b.mention_id)")
    op.execute(
        "ALTER TABLE mention_band ADD CONSTRAINT mention_band_mention_id_fkey FOREIGN KEY (mention_id) "
        "REFERENCES mention (id) ON DELETE CASCADE"
    )
