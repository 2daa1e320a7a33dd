"""Tables of the customer register: customers and the keys they are filed under.

Made only by the Alembic migrations; times are UTC (`UtcDateTime`).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from monitor.models.base import JsonType, _utc

__all__ = ["Customer", "CustomerKey", "CustomerRegisterState"]


class Customer(SQLModel, table=True):
    """A person in a brand's customer register (imported from a CRM)."""

    __tablename__ = "customer"
    __table_args__ = (
        sa.UniqueConstraint("brand_id", "external_id", name="uq_customer_brand_external"),
        # Matching compares everyone who lives in a small town the texts name (migration 0012).
        sa.Index("ix_customer_brand_city", "brand_id", "city"),
    )

    id: int | None = Field(default=None, primary_key=True)
    brand_id: int = Field(foreign_key="brand.id")
    external_id: str = Field(max_length=128)
    full_name: str = Field(max_length=300)
    names: list[str] = Field(default_factory=list, sa_type=JsonType)
    emails: list[str] = Field(default_factory=list, sa_type=JsonType)
    phones: list[str] = Field(default_factory=list, sa_type=JsonType)
    orders: list[str] = Field(default_factory=list, sa_type=JsonType)
    city: str | None = Field(default=None, max_length=120)
    tier: str | None = Field(default=None, max_length=32)
    lifetime_value: float | None = None
    created_at: datetime = _utc()
    updated_at: datetime = _utc()


class CustomerKey(SQLModel, table=True):
    """Blocking index of the register: normalised identifiers and name keys → customer.

    The lookup columns are the primary key (migration 0008): one index answers a lookup
    without reading the table, and a register of twenty million keys keeps two indexes, not three.
    """

    __tablename__ = "customer_key"
    __table_args__ = (sa.PrimaryKeyConstraint("brand_id", "kind", "value", "customer_id", name="pk_customer_key"),)

    brand_id: int
    # email | phone | order | name (a folded name token) | sound | initial | nick (monitor.customers.keys)
    kind: str = Field(max_length=8)
    value: str = Field(max_length=200)
    customer_id: int = Field(foreign_key="customer.id", ondelete="CASCADE", index=True)


class CustomerRegisterState(SQLModel, table=True):
    """Per brand: which version of the register matching last saw, and the matcher's trained weights.

    `version` changes with every import or edit of the brand's register: a matching process
    keeps the register's word and city frequencies in memory and reloads them when it
    differs (monitor.customers.frequencies). `model` holds the m-probabilities and the share
    of authors who are customers estimated by EM (monitor.customers.training); empty until
    `replywatch customers train` has run, when the defaults of monitor.customers.weights apply.
    """

    __tablename__ = "customer_register_state"

    brand_id: int = Field(foreign_key="brand.id", primary_key=True)
    version: str = Field(max_length=40)
    changed_at: datetime = _utc()
    # The version whose open cases were matched again (monitor.cases.rematch); behind `version`
    # until the worker's re-match job has gone through them.
    rematched_version: str | None = Field(default=None, max_length=40)
    model: dict = Field(default_factory=dict, sa_type=JsonType)
    trained_at: datetime | None = _utc(default=None)
