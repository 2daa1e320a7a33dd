"""customer keys: filed by new rules (no schema change)

monitor.customers.keys now files one key per pair of name words in either order and
one-letter typo variants only of words that are not known given names (16.9 keys per
customer instead of 23.2). Keys filed by the old rules stay valid for identifiers and
names written exactly, but a misspelt name is no longer met by them.

The keys are derived data made by Python code, so they are not rebuilt here (a
migration must not import the application, whose tables may be newer than this
revision): `replywatch db upgrade`, like every command that prepares the database,
rebuilds them once after the upgrade has passed this revision
(monitor.cli.common.ready_database, monitor.core.db.keys_need_rebuild). A register can be
rebuilt by hand at any time with `replywatch customers reindex`.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23 00:45:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass  # a marker: see the docstring


def downgrade() -> None:
    pass
