"""The customer register: import from CSV or JSON lines, list and search.

The import streams its upload to a temporary file (never the whole body in memory) and imports it in a
worker process (api/import_worker.py), so that minutes of parsing do not stall the API's event loop."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Annotated, Literal

import anyio
import anyio.to_process
import sqlalchemy as sa
from fastapi import APIRouter, Depends, Query, Request
from sqlmodel import Session

from api.deps import ConfigDep, read, require
from api.errors import BadRequest, TooLarge, UnsupportedType
from api.import_worker import run_import
from api.pagination import decode_cursor, page
from api.schemas import CustomerPublic, ImportReportPublic, Page
from monitor.core.errors import NotFound
from monitor.customers.register import search_customers
from monitor.customers.register_file import RegisterFileError
from monitor.models import Brand, Customer

router = APIRouter(prefix="/api/v1/customers", tags=["customers"])
PROBLEM = {"content": {"application/problem+json": {}}}
IMPORT_PATH = "/api/v1/customers/import"  # api/guard.py leaves its body to `spool`, which caps it
MAX_UPLOAD = 100 * 2**20  # larger registers go through `replywatch customers import`


FORMATS = {"text/csv": "csv", "application/x-ndjson": "jsonl", "application/jsonl": "jsonl",
           "application/json-lines": "jsonl", "application/jsonlines": "jsonl"}  # fmt: skip
# The upload goes to disk in pieces of this size, each written on a worker thread.
SPOOL_CHUNK = 2**20


def _format(request: Request) -> Literal["csv", "jsonl"]:
    media = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if media not in FORMATS:
        raise UnsupportedType(f"send the register as text/csv or application/x-ndjson, not {media or 'no type'}")
    return FORMATS[media]  # type: ignore[return-value]


async def spool(request: Request, cap: int | None = None) -> Path:
    """The request body in a temporary file (the caller deletes it), streamed: the event loop holds at most
    SPOOL_CHUNK bytes of it, never the whole upload. TooLarge past `cap` bytes, BadRequest when blank."""
    cap = MAX_UPLOAD if cap is None else cap
    fd, name = tempfile.mkstemp(prefix="replywatch-register-", suffix=".upload")
    path = Path(name)
    try:
        with os.fdopen(fd, "wb") as out:
            size, blank, pending = 0, True, bytearray()
            async for chunk in request.stream():
                size += len(chunk)
                if size > cap:
                    raise TooLarge(
                        f"the body passed {cap // 2**20} MiB; use `replywatch customers import` for large files"
                    )
                blank = blank and not chunk.strip()
                pending += chunk
                if len(pending) >= SPOOL_CHUNK:
                    await anyio.to_thread.run_sync(out.write, bytes(pending))
                    pending.clear()
            await anyio.to_thread.run_sync(out.write, bytes(pending))
        if blank:
            raise BadRequest("the body is empty: send the register's rows")
    except BaseException:
        _discard(path)
        raise
    return path


def _discard(path: Path) -> None:
    path.unlink(missing_ok=True)  # a metadata change of a file of ours: too quick to need a thread


def _brand(session: Session, key: str) -> Brand:
    brand = session.scalar(sa.select(Brand).where(Brand.key == key))
    if brand is None:
        raise NotFound(f"no brand with key '{key}'")
    return brand


def _public(customer: Customer, brand: str) -> CustomerPublic:
    return CustomerPublic(
        id=customer.id or 0, brand=brand, external_id=customer.external_id, full_name=customer.full_name,
        names=list(customer.names or []), emails=list(customer.emails or []), phones=list(customer.phones or []),
        orders=list(customer.orders or []), city=customer.city, tier=customer.tier,
        lifetime_value=customer.lifetime_value,
    )  # fmt: skip


@router.post(
    "/import",
    response_model=ImportReportPublic,
    responses={
        400: {"description": "Empty body, or a file that cannot be read at all (encoding, header)", **PROBLEM},
        404: {"description": "No such brand", **PROBLEM},
        413: {"description": f"Body over {MAX_UPLOAD // 2**20} MiB", **PROBLEM},
        403: {"description": "Needs the lead role", **PROBLEM},
        415: {"description": "Neither CSV nor JSON lines", **PROBLEM},
    },
    summary="Upsert customers by external id from a CSV or JSON-lines body; bad rows are listed, good rows kept",
    dependencies=[Depends(require("lead"))],
    openapi_extra={"requestBody": {"required": True, "content": {
        "text/csv": {"schema": {"type": "string"}}, "application/x-ndjson": {"schema": {"type": "string"}},
    }}},
)  # fmt: skip
async def import_register(
    request: Request,
    config: ConfigDep,
    brand: Annotated[str, Query(max_length=64, description="The brand whose register this is")],
) -> ImportReportPublic:
    fmt = _format(request)
    brand_config = next((b for b in config.brands if b.key == brand), None)
    region = brand_config.country if brand_config else None
    brand_id = await read(request, lambda session: _brand(session, brand).id)  # 404 before the upload is read
    path = await spool(request)
    try:
        # In a worker process (api/import_worker.py), which commits before this answers.
        report = await anyio.to_process.run_sync(
            run_import, request.app.state.database_url, brand_id, str(path), fmt, region,
            limiter=request.app.state.import_limiter,
        )  # fmt: skip
    except RegisterFileError as exc:  # the file as a whole, not a row: like a 415, the upload's problem
        raise BadRequest(f"the register cannot be read: {exc}") from None
    finally:
        _discard(path)
    return ImportReportPublic.model_validate(report, from_attributes=True)


@router.get("", response_model=Page[CustomerPublic], responses={400: {"description": "Bad cursor", **PROBLEM}, 404: {"description": "No such brand", **PROBLEM}},
            summary="Customers of the register; with q, a search by name, e-mail, phone, order or external id")  # fmt: skip
async def customers(
    request: Request,
    brand: Annotated[str | None, Query(max_length=64)] = None,
    q: Annotated[str | None, Query(min_length=2, max_length=200)] = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Page[CustomerPublic]:
    return await read(request, lambda session: _customers(session, brand, q, cursor, limit))


def _customers(
    session: Session, brand: str | None, q: str | None, cursor: str | None, limit: int
) -> Page[CustomerPublic]:
    brand_row = _brand(session, brand) if brand else None
    keys = {b.id: b.key for b in session.scalars(sa.select(Brand))}
    if q:
        if cursor:
            raise BadRequest("search results come in one page; leave out the cursor")
        found = search_customers(session=session, brand_id=brand_row.id if brand_row else None, query=q, limit=limit)
        return Page[CustomerPublic](items=[_public(c, keys[c.brand_id]) for c in found], next_cursor=None)
    query = sa.select(Customer).order_by(Customer.id.desc()).limit(limit)
    if brand_row is not None:
        query = query.where(Customer.brand_id == brand_row.id)
    if (before := decode_cursor("customer", cursor)) is not None:
        query = query.where(Customer.id < before)
    rows = list(session.scalars(query))
    return page("customer", [_public(c, keys[c.brand_id]) for c in rows], limit)
