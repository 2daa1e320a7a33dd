"""API tokens: admins create, list and revoke them; the secret is shown once, at creation."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Path, Request

from api.deps import Admin, WriteSession, read
from api.schemas import TokenCreate, TokenCreated, TokenPublic
from monitor.desk.tokens import create_token, list_tokens, revoke_token

router = APIRouter(prefix="/api/v1/tokens", tags=["tokens"])
PROBLEM = {"content": {"application/problem+json": {}}}
ADMIN_ONLY = {403: {"description": "Only an admin manages tokens", **PROBLEM}}


@router.post("", response_model=TokenCreated, status_code=201, responses=ADMIN_ONLY,
             summary="Create a token; its secret is in this answer only")  # fmt: skip
def create(session: WriteSession, caller: Admin, body: TokenCreate) -> TokenCreated:
    token, secret = create_token(session=session, name=body.name, role=body.role, created_by=caller.name,
                                 now=datetime.now(UTC))  # fmt: skip
    return TokenCreated.model_validate({**TokenPublic.model_validate(token).model_dump(), "token": secret})


@router.get("", response_model=list[TokenPublic], responses=ADMIN_ONLY, summary="Every token, revoked ones too")
async def tokens(request: Request, _: Admin) -> list[TokenPublic]:
    return await read(request, lambda session: [TokenPublic.model_validate(t) for t in list_tokens(session=session)])


@router.delete("/{token_id}", response_model=TokenPublic,
               responses={**ADMIN_ONLY, 404: {"description": "No such token", **PROBLEM}},
               summary="Revoke a token: refused at once here, by other API processes within 5 s")  # fmt: skip
def revoke(
    request: Request, session: WriteSession, _: Admin, token_id: Annotated[int, Path(gt=0, le=2**62)]
) -> TokenPublic:
    token = revoke_token(session=session, token_id=token_id, now=datetime.now(UTC))
    # Forget cached principals once the revocation is committed: clearing earlier would let a request
    # in between cache the token again from the row as it was (api/deps.py: TokenCache).
    cache = request.app.state.tokens
    sa.event.listen(session, "after_commit", lambda _session: cache.clear(), once=True)
    return TokenPublic.model_validate(token)
