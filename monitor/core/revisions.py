"""The schema's revisions: upgrade a database, read its revision and the newest one (Alembic).

Apart from monitor.core.db so that code which only reads and writes rows does not load Alembic
and Mako (about 70 modules) with the engine.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config as AlembicConfig

from monitor.core.db import READ_ONLY, normalise_url

__all__ = ["KEY_RULES_REVISION", "current_revision", "head_revision", "keys_need_rebuild", "upgrade"]


def _alembic_config(url: str) -> AlembicConfig:
    script_location = Path(str(resources.files("migrations")))
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(script_location))
    cfg.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the schema to `revision` (the only way the schema is made)."""
    command.upgrade(_alembic_config(url), revision)


def current_revision(engine: sa.Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect().execution_options(**READ_ONLY) as conn:
        return MigrationContext.configure(conn).get_current_revision()


# The revision whose upgrade changed the rules of monitor.customers.keys: a database that was older
# has keys filed by the old rules, rebuilt once after the upgrade (monitor.cli.common.ready_database).
KEY_RULES_REVISION = "0009"


def keys_need_rebuild(before: str | None) -> str | None:
    """The revision to stop at and rebuild the register's keys before going on, when a database at
    `before` (None: a new one, nothing filed) has keys filed by rules older than KEY_RULES_REVISION."""
    from alembic.script import ScriptDirectory

    if before is None:
        return None
    script = ScriptDirectory.from_config(_alembic_config("sqlite://"))
    parent = script.get_revision(KEY_RULES_REVISION).down_revision
    older = {r.revision for r in script.iterate_revisions(parent, "base")} if isinstance(parent, str) else set()
    return parent if before in older else None


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_alembic_config("sqlite://")).get_current_head()
