"""The customer register: import from CSV or JSON lines, list and search."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Query, Request
from sqlmodel import Session

from api.deps import ConfigDep, WriteSession, read, require
from api.errors import BadRequest, TooLarge, UnsupportedType
from api.pagination import decode_cursor, page
from api.schemas import CustomerPublic, ImportReportPublic, Page
from monitor.core.errors import NotFound
from monitor.customers.register import import_customers, search_customers
from monitor.customers.register_file import RegisterFileError, read_register
from monitor.models import Brand, Customer

router = APIRouter(prefix="/api/v1/customers", tags=["customers"])
PROBLEM = {"content": {"application/problem+json": {}}}
MAX_UPLOAD = 100 * 2**20  # larger registers go through `replywatch customers import`


@dataclass(frozen=True, slots=True)
class Upload:
    body: bytes
    format: str  # read_register's: csv or jsonl


async def register_upload(request: Request) -> Upload:
    """The request body, read on the event loop up to MAX_UPLOAD, so that the import route itself is a plain
    sync route on the write session."""
    media = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    formats = {"text/csv": "csv", "application/x-ndjson": "jsonl", "application/jsonl": "jsonl",
               "application/json-lines": "jsonl", "application/jsonlines": "jsonl"}  # fmt: skip
    if media not in formats:
        raise UnsupportedType(f"send the register as text/csv or application/x-ndjson, not {media or 'no type'}")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_UPLOAD:
            raise TooLarge(
                f"the body passed {MAX_UPLOAD // 2**20} MiB; use `replywatch customers import` for large files"
            )
    if not body.strip():
        raise BadRequest("the body is empty: send the register's rows")
    return Upload(bytes(body), formats[media])


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
def import_register(
    session: WriteSession,
    config: ConfigDep,
    upload: Annotated[Upload, Depends(register_upload)],
    brand: Annotated[str, Query(max_length=64, description="The brand whose register this is")],
) -> ImportReportPublic:
    brand_config = next((b for b in config.brands if b.key == brand), None)
    region = brand_config.country if brand_config else None
    brand_row = _brand(session, brand)
    try:
        report = import_customers(
            session=session,
            brand_id=brand_row.id,
            rows=read_register(upload.body, format=upload.format, default_region=region),
            now=datetime.now(UTC),
            default_region=region,
        )
    except RegisterFileError as exc:  # the file as a whole, not a row: like a 415, the upload's problem
        raise BadRequest(f"the register cannot be read: {exc}") from None
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
