"""Customer search in the register (the API's search: monitor.customers.register.search_customers)."""

from __future__ import annotations

from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlmodel import Session

from api.deps import read
from monitor.core.errors import NotFound
from monitor.customers.register import search_customers
from monitor.models import Brand, Customer
from web.cookie import PREFIX
from web.render import page
from web.session import Viewer

router = APIRouter(prefix=PREFIX)
LIMIT = 50


@router.get("/customers")
async def customers(request: Request, current: Viewer, q: Annotated[str | None, Query(max_length=200)] = None,
                    brand: Annotated[str | None, Query(max_length=64)] = None) -> Response:  # fmt: skip
    q = " ".join((q or "").split()) or None
    brand = brand or None
    config = request.app.state.config

    def work(session: Session) -> list[dict[str, object]]:
        if not q:
            return []
        brand_id = None
        if brand is not None:
            brand_id = session.scalar(sa.select(Brand.id).where(Brand.key == brand))
            if brand_id is None:
                raise NotFound(f"no brand with key '{brand}'")
        keys = {b.id: b.key for b in session.scalars(sa.select(Brand))}
        found = search_customers(session=session, brand_id=brand_id, query=q, limit=LIMIT)
        return [_row(c, keys[c.brand_id]) for c in found]

    rows = await read(request, work)
    return page(request, "customers.html", {"rows": rows, "q": q or "", "brand": brand,
                                            "brands": [b.key for b in config.brands]})  # fmt: skip


def _row(customer: Customer, brand: str) -> dict[str, object]:
    return {"id": customer.id, "brand": brand, "external_id": customer.external_id, "full_name": customer.full_name,
            "emails": list(customer.emails or []), "phones": list(customer.phones or []),
            "orders": list(customer.orders or []), "city": customer.city, "tier": customer.tier,
            "lifetime_value": customer.lifetime_value}  # fmt: skip
