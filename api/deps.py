"""Dependencies: a database session per request (commit on success, roll back on error)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import Session

from monitor.config import Config
from monitor.scheduler import Poller

__all__ = ["ConfigDep", "PollerDep", "SessionDep"]


def get_session(request: Request) -> Iterator[Session]:
    with request.app.state.sessions() as session, session.begin():
        yield session


def get_config(request: Request) -> Config:
    return request.app.state.config


def get_poller(request: Request) -> Poller:
    return request.app.state.poller


SessionDep = Annotated[Session, Depends(get_session)]
ConfigDep = Annotated[Config, Depends(get_config)]
PollerDep = Annotated[Poller, Depends(get_poller)]
