"""`replywatch customers rematch` and `customers train`: matching open cases again after the register
changed (the worker does it on its own every minute), and estimating matching's weights by EM."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import sqlalchemy as sa
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from monitor.cli.cases import customers_app
from monitor.cli.common import ConfigOpt, DatabaseOpt, err, load, out, sessions_for
from monitor.core.db import session_scope
from monitor.models import Brand

__all__ = ["customers_rematch", "customers_train"]


@customers_app.command("rematch")
def customers_rematch(config: ConfigOpt = None, database: DatabaseOpt = None) -> None:
    """Match again the open cases without a customer of every register imported or edited since.

    Confirmed and automatic links stay; rejected candidates never come back. The worker does
    the same every minute; this runs it now, with a progress bar.
    """
    from monitor.worker.jobs import rematch_customers

    settings, cfg = load(config, database, need_config=True)
    assert cfg is not None
    progress = Progress(TextColumn("[bold]matching again"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                        console=err, transient=True, disable=not err.is_terminal)  # fmt: skip
    with progress:
        task = progress.add_task("rematch", total=None)
        counts = rematch_customers(sessions=sessions_for(settings), config=cfg, now=datetime.now(UTC),
                                   on_progress=lambda done, total: progress.update(task, completed=done, total=total))  # fmt: skip
    out.print(f"{counts.registers} registers changed: {counts.cases} open cases matched again, {counts.linked} linked")


@customers_app.command("train")
def customers_train(
    brand: Annotated[str, typer.Option(help="Whose register and cases")],
    cases: Annotated[int, typer.Option(min=10, max=200_000, help="How many of the latest cases to learn from")] = 5000,
    config: ConfigOpt = None,
    database: DatabaseOpt = None,
) -> None:
    """Estimate matching's m-probabilities by EM over the brand's cases and the desk's decisions, and keep them.

    The register's frequencies give the u-probabilities; this learns how often a customer's
    own complaint carries each kind of difference (a typo, another city, someone else's order).
    """
    from monitor.cases.rematch import training_cases
    from monitor.customers.frequencies import save_model
    from monitor.customers.training import estimate

    settings, cfg = load(config, database, need_config=True)
    assert cfg is not None
    sessions = sessions_for(settings)
    with session_scope(sessions) as session:
        brand_id = session.scalar(sa.select(Brand.id).where(Brand.key == brand))
        if brand_id is None:
            err.print(f"[red]brand '{brand}' is not in the database[/]")
            raise typer.Exit(2)
        compared, labels, customers = training_cases(session=session, config=cfg, brand_id=brand_id, limit=cases)
        if not any(compared):
            err.print(f"[red]brand '{brand}' has no cases with candidates to learn from[/]")
            raise typer.Exit(1)
        trained = estimate(compared, customers, labels)
        save_model(session, brand_id, trained.model, datetime.now(UTC))
    out.print(f"learned from {trained.cases} cases ({trained.labelled} decided by staff), {trained.comparisons} "
              f"comparisons, {trained.iterations} EM iterations:")  # fmt: skip
    for level, m in sorted(trained.model.items()):
        out.print(f"  {level}: {m:.4f}")
