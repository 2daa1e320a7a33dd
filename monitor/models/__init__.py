"""Every table, one module per area, on one SQLModel metadata (migrations/env.py imports this package whole).

The schema itself is made only by the Alembic migrations in migrations/; these classes describe it.
"""

from monitor.models.alerts import (
    AlertAttempt,
    AlertChannelState,
    AlertCursor,
    AlertDelivery,
    AlertDeliveryEvent,
    AlertRouted,
    DeliveryState,
)
from monitor.models.base import JsonType, UtcDateTime
from monitor.models.cases import Case, CaseCandidate, CaseEvent, Promise
from monitor.models.customers import Customer, CustomerKey, CustomerRegisterState
from monitor.models.desk import ApiToken, Draft, Reply
from monitor.models.events import Event
from monitor.models.mentions import Mention, MentionBand, MentionRevision, MentionSignature
from monitor.models.watch import Brand, Poll, PollDay, PollDayFailure, Source

__all__ = [
    "AlertAttempt",
    "AlertChannelState",
    "AlertCursor",
    "AlertDelivery",
    "AlertDeliveryEvent",
    "AlertRouted",
    "ApiToken",
    "Brand",
    "Case",
    "CaseCandidate",
    "CaseEvent",
    "Customer",
    "CustomerKey",
    "CustomerRegisterState",
    "DeliveryState",
    "Draft",
    "Event",
    "JsonType",
    "Mention",
    "MentionBand",
    "MentionRevision",
    "MentionSignature",
    "Poll",
    "PollDay",
    "PollDayFailure",
    "Promise",
    "Reply",
    "Source",
    "UtcDateTime",
]
