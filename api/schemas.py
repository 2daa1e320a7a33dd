"""Response bodies of the API (the public shape of the tables)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

__all__ = ["Health", "Instant", "Name", "Page", "Text"]

T = TypeVar("T")
# Characters no name or text of ours holds: C0 and C1 controls (NUL among them: PostgreSQL refuses it in
# text, SQLite stores it, and either way it hides text from readers) and lone surrogates (not UTF-8).
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
# Free text keeps its line breaks and tabs.
_TEXT_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
# The same rule for the OpenAPI document (ECMA-262 syntax): at least one visible character, no control.
NAME_PATTERN = r"^[^\x00-\x1f\x7f-\x9f\u2028\u2029]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f\u2028\u2029]*$"
TEXT_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
# What is trimmed from a name: Python's white space and ECMA-262's (\s of NAME_PATTERN also has U+FEFF).
_BLANK = "".join(chr(c) for c in range(0x3100) if chr(c).isspace()) + "\ufeff"


def _name(value: str) -> str:
    """A name staff give (a token's, an assignee): trimmed, not blank, on one line, no control characters."""
    if (bad := _CONTROL.search(value)) is not None:  # before trimming: a name is refused, not altered
        raise ValueError(f"must not contain control characters (found U+{ord(bad.group()):04X})")
    value = value.strip(_BLANK)
    if not value:
        raise ValueError("must not be blank")
    return value


def _text(value: str) -> str:
    if (bad := _TEXT_CONTROL.search(value)) is not None:
        raise ValueError(f"must not contain control characters (found U+{ord(bad.group()):04X})")
    return value


def _iso_only(value: Any) -> Any:
    """pydantic reads "0.5" as 0.5 seconds after 1970; the document promises an ISO 8601 date-time."""
    if isinstance(value, str) and not _ISO_START.match(value):
        raise ValueError("must be an ISO 8601 date-time, e.g. 2026-11-22T09:00:00Z")
    return value


# A date-time as the query parameters take it: a date first (YYYY-MM-DD), never a number of seconds.
Instant = Annotated[datetime, BeforeValidator(_iso_only)]
_ISO_START = re.compile(r"\d{4}-\d{2}-\d{2}")
Name = Annotated[str, Field(min_length=1, max_length=128, json_schema_extra={"pattern": NAME_PATTERN}),
                 AfterValidator(_name)]  # fmt: skip
Text = Annotated[str, Field(json_schema_extra={"pattern": TEXT_PATTERN}), AfterValidator(_text)]


class _Public(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(description="Pass as ?cursor= to get the next page; null on the last page")


class Health(BaseModel):
    status: str
    database: str | None = None
    detail: str | None = None


class CasePatch(BaseModel):
    """Only the fields sent change; `assignee: null` unassigns."""

    model_config = ConfigDict(extra="forbid")
    status: Literal["new", "acknowledged", "in_progress", "resolved", "closed", "dismissed"] | None = None
    assignee: Name | None = None
    priority: Literal["low", "normal", "high", "urgent"] | None = None
    category: Literal["delivery", "defect", "refund", "staff", "billing", "website", "other"] | None = None
    dismissed_reason: Literal["spam", "not_about_us", "duplicate"] | None = None
    note: Text | None = Field(default=None, max_length=2000)


class ReplyCreate(BaseModel):
    """A reply from an approved draft may leave `text` out: it is the draft's. Without a draft, `text` is needed."""

    # The document says the same as `_text_or_draft` (a string text or a draft id), so generated clients and
    # schemathesis know that a body with neither is refused.
    model_config = ConfigDict(extra="forbid", json_schema_extra={"anyOf": [
        {"required": ["text"], "properties": {"text": {"type": "string"}}},
        {"required": ["draft_id"], "properties": {"draft_id": {"type": "integer"}}},
    ]})  # fmt: skip
    mention_id: int = Field(gt=0, le=2**62, description="The place where the reply was posted")
    text: Text | None = Field(default=None, min_length=1, max_length=20_000,
                              description="What was posted; left out with draft_id, the approved draft's text")  # fmt: skip
    url: Annotated[str, Field(max_length=2000, pattern=r"^https?://\S+$")] | None = None
    posted_at: datetime | None = Field(default=None, description="When it was posted; now when left out")
    closing: bool = Field(default=False, description="A closing reply: what was done; resolves the case")
    draft_id: int | None = Field(default=None, gt=0, le=2**62, description="The approved draft it was made from")
    promise_due_at: Instant | None = Field(default=None, description=(
        "The date the reply tells the customer they will hear next; left out, it is read from the reply's words "
        "(\"within two working days\") or an interim draft's new date"))  # fmt: skip

    @model_validator(mode="after")
    def _text_or_draft(self) -> ReplyCreate:
        if self.text is None and self.draft_id is None:
            raise ValueError("a reply needs its text, or the draft_id of the approved draft it publishes")
        return self


class DraftCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    mention_id: int = Field(gt=0, le=2**62, description="The place to answer")
    closing: bool = False
    summary: Text | None = Field(default=None, max_length=2000, description="For a closing reply: what was done")
    language: Annotated[str, Field(pattern=r"^[a-z]{2}$")] | None = Field(
        default=None, description="Write in this language instead of the complaint's"
    )


class DraftPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: Text | None = Field(default=None, min_length=1, max_length=20_000)
    state: Literal["approved", "discarded", "draft"] | None = None
    version: int | None = Field(default=None, gt=0, description="The version you edited; 409 when it changed since")


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Name
    role: Literal["viewer", "agent", "lead", "admin"]


class TokenPublic(_Public):
    id: int
    name: str
    role: str
    prefix: str = Field(description="The first characters of the token, to tell it apart")
    created_at: datetime
    created_by: str
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenCreated(TokenPublic):
    token: str = Field(description="The secret: shown only now; send it as 'Authorization: Bearer …'")


class SplitRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    mention_ids: list[Annotated[int, Field(gt=0)]] = Field(min_length=1, max_length=1000)


class MergeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    case_id: int = Field(gt=0, description="The case whose mentions move into this one")


class CustomerDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")
    customer_id: int = Field(gt=0)
    action: Literal["confirm", "reject"]


class BrandAssignment(BaseModel):
    model_config = ConfigDict(extra="forbid")
    brand: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")


class CustomerPublic(_Public):
    id: int
    brand: str
    external_id: str
    full_name: str
    names: list[str]
    emails: list[str]
    phones: list[str]
    orders: list[str]
    city: str | None
    tier: str | None
    lifetime_value: float | None


class RowErrorPublic(BaseModel):
    line: int
    external_id: str | None
    reason: str


class ImportReportPublic(BaseModel):
    read: int
    created: int
    updated: int
    unchanged: int
    errors: list[RowErrorPublic]


class PromiseCreate(BaseModel):
    """A date the customer was promised, set by staff (told by phone, or in words the reader does not know)."""

    model_config = ConfigDict(extra="forbid")
    due_at: Instant = Field(description="When the customer will hear from us next (with a time zone)")
    mention_id: int | None = Field(default=None, gt=0, le=2**62, description="The place it was made on; none: the case")
