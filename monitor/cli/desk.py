"""`replywatch cases assign|draft|approve|reply|dismiss`: the desk's work from the terminal, for staff without curl.

Each command is one transaction over the same services the API calls (monitor.cases.lifecycle,
monitor.desk), so the rules, the timeline and the outbox events are the API's. A refusal of the
domain (no such case, a move the case's status does not allow, an unapproved draft) is printed
as the service words it and exits 2; nothing is changed then.

The CLI acts with the rights of an admin: whoever runs it holds the database itself, and the
API's roles guard the network door, not the machine. `--by` names the person for the timeline
(default: $USER).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, TypeVar

import sqlalchemy as sa
import typer
from rich.markup import escape
from sqlmodel import Session

from monitor.cases.lifecycle import DISMISS_REASONS
from monitor.cli.common import ConfigOpt, DatabaseOpt, err, load, out, plain_text, sessions_for
from monitor.config import Config
from monitor.core.db import session_scope
from monitor.core.errors import DomainError, Invalid, NotFound
from monitor.models import Case, Mention
from monitor.models.desk import Draft

__all__ = ["approve", "assign", "dismiss", "draft", "reply", "run_unit"]

# The CLI's role for the services' checks (see the module docstring).
ROLE = "admin"
T = TypeVar("T")
_WHEN = ["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M%z"]
_WHEN_HELP = "When it was posted, with its zone (2026-11-22T09:00+01:00); now when left out"
_PROMISE_HELP = ("The date the reply promises the customer will hear next, with its zone; left out, read from the "
                 "reply's words ('within two working days')")  # fmt: skip

ByOpt = Annotated[str | None, typer.Option("--by", help="Who does it, for the case's timeline (default: $USER)")]
PlaceOpt = Annotated[
    int | None, typer.Option("--place", min=1, help="The place (mention id, see `cases show`); needed when several")
]


def _name(value: str | None, what: str) -> str:
    """A person's name as the API takes it: trimmed, on one line, at most 128 characters."""
    text = (value or "").strip()
    if not text or len(text) > 128 or any(ord(ch) < 32 or 0x7F <= ord(ch) <= 0x9F for ch in text):
        raise Invalid(f"{what} must be a name on one line of 1 to 128 characters")
    return text


def _actor(by: str | None) -> str:
    return _name(by or os.environ.get("USER") or "cli", "--by")


def _place(session: Session, case_id: int, place: int | None) -> int:
    """The place given, or the case's only place; several places need --place."""
    if place is not None:
        return place
    places = list(session.scalars(sa.select(Mention.id).where(Mention.case_id == case_id).order_by(Mention.id)))
    if len(places) == 1:
        return places[0]
    if not places:
        raise NotFound(f"no case {case_id}, or it has no places")
    raise Invalid(f"case {case_id} has {len(places)} places ({', '.join(map(str, places))}): choose one with --place")


def _now() -> datetime:
    return datetime.now(UTC)


def run_unit(config: Path | None, database: str | None, act: Callable[[Session, Config], T]) -> T:
    """`act` as one unit of work with the watch list; a domain refusal is printed and exits 2 (nothing committed)."""
    settings, cfg = load(config, database, need_config=True)
    assert cfg is not None
    try:
        with session_scope(sessions_for(settings)) as session:
            return act(session, cfg)
    except DomainError as exc:
        err.print(f"[red]{escape(exc.message)}[/]")
        raise typer.Exit(2) from None


def assign(
    case_id: Annotated[int, typer.Argument(min=1)],
    assignee: Annotated[str, typer.Argument(help="Who takes the case; '-' unassigns it")],
    by: ByOpt = None,
    config: ConfigOpt = None,
    database: DatabaseOpt = None,
) -> None:
    """Give a case to someone (or '-' to nobody); the change goes on its timeline."""
    from monitor.cases.lifecycle import CaseChange, change_case, desk_rules

    def act(session: Session, cfg: Config) -> str | None:
        unassign = assignee.strip() == "-"
        change = CaseChange(assignee=None if unassign else _name(assignee, "the assignee"), unassign=unassign)
        case = change_case(session=session, rules=desk_rules(cfg), case_id=case_id, change=change, actor=_actor(by),
                           role=ROLE, now=_now())  # fmt: skip
        return case.assignee

    who = run_unit(config, database, act)
    out.print(f"case {case_id} " + (f"assigned to {escape(who)}" if who else "unassigned"))


def draft(
    case_id: Annotated[int, typer.Argument(min=1)],
    place: PlaceOpt = None,
    closing: Annotated[bool, typer.Option("--closing", help="A closing reply: what was done")] = False,
    summary: Annotated[str | None, typer.Option(help="For a closing reply: what was done")] = None,
    language: Annotated[str | None, typer.Option(help="Write in this language (ru, de, …) instead")] = None,
    by: ByOpt = None,
    config: ConfigOpt = None,
    database: DatabaseOpt = None,
) -> None:
    """Draft a reply for one place of a case, in the complaint's language, from the category's template."""
    from monitor.cases.lifecycle import desk_rules
    from monitor.desk.drafts import create_draft

    if language is not None and not (len(language) == 2 and language.isascii() and language.islower()):
        err.print("[red]--language must be a two-letter code such as ru or de[/]")
        raise typer.Exit(2)

    def act(session: Session, cfg: Config) -> Draft:
        return create_draft(session=session, rules=desk_rules(cfg), case_id=case_id,
                            mention_id=_place(session, case_id, place), closing=closing, summary=summary,
                            language=language, actor=_actor(by), now=_now())  # fmt: skip

    made = run_unit(config, database, act)
    out.print(f"draft {made.id} for place {made.mention_id} of case {case_id} ({made.language}, "
              f"{escape(made.template)}, {made.state}):")  # fmt: skip
    out.print(plain_text(made.text), markup=False, highlight=False)
    for note in made.notes:
        out.print(f"  · {plain_text(note)}", markup=False, highlight=False)
    out.print(f"approve it with: replywatch cases approve {made.id}")


def approve(
    draft_id: Annotated[int, typer.Argument(min=1, help="The draft (see `cases show`)")],
    by: ByOpt = None,
    config: ConfigOpt = None,
    database: DatabaseOpt = None,
) -> None:
    """Approve a draft: what is approved is what a reply from it publishes."""
    from monitor.desk.drafts import edit_draft

    def act(session: Session, cfg: Config) -> Draft:
        return edit_draft(session=session, draft_id=draft_id, text=None, state="approved", version=None,
                          actor=_actor(by), role=ROLE, now=_now())  # fmt: skip

    done = run_unit(config, database, act)
    out.print(f"draft {done.id} approved by {escape(done.approved_by or '')} (version {done.version}); "
              f"publish it, then record it with: replywatch cases reply {done.case_id} --draft {done.id}")  # fmt: skip


def reply(
    case_id: Annotated[int, typer.Argument(min=1)],
    place: PlaceOpt = None,
    draft_id: Annotated[
        int | None, typer.Option("--draft", min=1, help="The approved draft it publishes (its text is the reply's)")
    ] = None,
    text: Annotated[str | None, typer.Option(help="What was posted ('-' reads it from standard input)")] = None,
    url: Annotated[str | None, typer.Option(help="Where the reply is on the site")] = None,
    posted_at: Annotated[datetime | None, typer.Option(formats=_WHEN, help=_WHEN_HELP)] = None,
    closing: Annotated[
        bool, typer.Option("--closing", help="A closing reply: what was done; resolves the case")
    ] = False,
    promise_due: Annotated[datetime | None, typer.Option(formats=_WHEN, help=_PROMISE_HELP)] = None,
    by: ByOpt = None,
    config: ConfigOpt = None,
    database: DatabaseOpt = None,
) -> None:
    """Record a reply staff published on a place (the first acknowledges the case, a closing one resolves it)."""
    from monitor.cases.lifecycle import desk_rules
    from monitor.desk.replies import record_reply, replies_visible

    if text == "-":
        text = sys.stdin.read()
    if text is None and draft_id is None:
        err.print("[red]a reply needs --text, or --draft with the approved draft it publishes[/]")
        raise typer.Exit(2)
    if url is not None and not url.startswith(("https://", "http://")):
        err.print("[red]--url must be the reply's http(s) address[/]")
        raise typer.Exit(2)

    def act(session: Session, cfg: Config) -> tuple[int, str, str, str]:
        mention_id = place
        if mention_id is None and draft_id is not None:  # a draft is for one place: that one
            found = session.get(Draft, draft_id)
            mention_id = found.mention_id if found is not None and found.case_id == case_id else None
        mention_id = _place(session, case_id, mention_id)
        now = _now()
        row = record_reply(session=session, case_id=case_id, mention_id=mention_id, text=text, url=url,
                           posted_at=posted_at or now, closing=closing, draft_id=draft_id,
                           verifiable=replies_visible(session=session, config=cfg, mention_id=mention_id),
                           actor=_actor(by), now=now, rules=desk_rules(cfg), promise_due_at=promise_due)  # fmt: skip
        status = session.scalar(sa.select(Case.status).where(Case.id == case_id))
        return row.id or 0, row.kind, row.verify_state, str(status)

    reply_id, kind, verify_state, status = run_unit(config, database, act)
    out.print(f"reply {reply_id} recorded on case {case_id} ({kind}; check on its page: {verify_state}); "
              f"the case is {status}")  # fmt: skip


def promise(
    case_id: Annotated[int, typer.Argument(min=1)],
    due: Annotated[
        datetime, typer.Option(formats=_WHEN, help="The promised date, with its zone (2026-12-08T17:00+01:00)")
    ],
    place: Annotated[int | None, typer.Option(min=1, help="The place it was made on; left out: the case")] = None,
    by: ByOpt = None,
    config: ConfigOpt = None,
    database: DatabaseOpt = None,
) -> None:
    """Record a date the customer was promised (tracked on the business calendar, warned before it lapses)."""
    from monitor.cases.lifecycle import desk_rules
    from monitor.desk.promising import set_promise

    def act(session: Session, cfg: Config) -> tuple[int, datetime]:
        row = set_promise(session=session, rules=desk_rules(cfg), case_id=case_id, due_at=due, mention_id=place,
                          actor=_actor(by), now=_now())  # fmt: skip
        return row.id or 0, row.risk_at

    promise_id, risk_at = run_unit(config, database, act)
    out.print(f"promise {promise_id} recorded on case {case_id}: due {due.isoformat()}, "
              f"at risk from {risk_at.isoformat()}")  # fmt: skip


def dismiss(
    case_id: Annotated[int, typer.Argument(min=1)],
    reason: Annotated[str, typer.Option(help="spam, not_about_us or duplicate")],
    note: Annotated[str | None, typer.Option(help="Why, for the timeline")] = None,
    by: ByOpt = None,
    config: ConfigOpt = None,
    database: DatabaseOpt = None,
) -> None:
    """Dismiss a case that needs no answer (its clocks stop); the API restores it (PATCH status: new)."""
    from monitor.cases.lifecycle import CaseChange, change_case, desk_rules

    if reason not in DISMISS_REASONS:
        err.print(f"[red]--reason must be one of {', '.join(DISMISS_REASONS)}[/]")
        raise typer.Exit(2)

    def act(session: Session, cfg: Config) -> None:
        change = CaseChange(status="dismissed", dismissed_reason=reason, note=note)
        change_case(session=session, rules=desk_rules(cfg), case_id=case_id, change=change, actor=_actor(by),
                    role=ROLE, now=_now())  # fmt: skip

    run_unit(config, database, act)
    out.print(f"case {case_id} dismissed ({reason})")
