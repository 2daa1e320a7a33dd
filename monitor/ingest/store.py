"""Store what a poll found: normalise, then insert or revise, idempotently.

Rules, in order, for each item of a poll:
  1. Normalise: clean the text, canonicalise the URL (fragment and tracking
     parameters removed, query sorted), hash the text (case and spacing ignored).
  2. Key it: `id:<external id>`, else `url:<canonical url>`, else `hash:<text hash>`.
     The first item with a key wins within one poll (a feed that lists an item twice).
  3. Unknown key → a new mention, with the language found before the transaction
     (`prepare_mentions`, then `detect_languages` in the parse workers for the keys
     `changed_keys` reports); detected here only when the caller did not.
     Known key, same text hash → only `last_seen_at` (and shown replies) change.
     Known key, other text hash → the old text becomes a MentionRevision and the
     mention takes the new text with `revision + 1`.

Storing calls nothing above it: it returns what it stored (`StoredMentions`: counts, the
new ids, the edited mentions that belong to a case, the replies each page shows), and the
worker hands that on in the same transaction (monitor.worker.jobs.hand_on): the cases
re-index an edited complaint, the desk checks its replies against what the page shows.

The caller owns the transaction, so the poll record, the source state and the
mentions commit together: a crash anywhere leaves either all or none of it. The
CPU work (normalising, language detection) is done before it, so the write
transaction holds the database only for the SQL.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session
from w3lib.url import canonicalize_url, url_query_cleaner

from monitor.ingest.language import detect_language, settle_without_model
from monitor.models import Mention, MentionRevision
from sources.base import RawMention

__all__ = [
    "EditedMention",
    "Normalised",
    "PreparedMentions",
    "StoredMentions",
    "canonical_url",
    "changed_keys",
    "content_hash",
    "language_text",
    "normalise",
    "prepare_mentions",
    "store_mentions",
]

# Query parameters that only say where a visitor came from; two URLs that differ
# only in these are the same complaint.
TRACKING_PARAMS = frozenset(
    {
        "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "utm_id",
        "fbclid", "gclid", "yclid", "dclid", "msclkid", "mc_cid", "mc_eid", "_openstat",
        "ref", "ref_src", "from", "igshid", "si", "spm",
    }
)  # fmt: skip
_KEY_MAX = 250
_CHUNK = 500


@dataclass(frozen=True, slots=True)
class Normalised:
    dedup_key: str
    external_id: str | None
    url: str | None
    canonical_url: str | None
    title: str | None
    body: str
    author: str | None
    published_at: datetime | None
    published_precision: str | None
    rating: float | None
    content_hash: str
    replies: list[str] | None  # None: the source does not show replies (see RawMention)


@dataclass(slots=True)
class PreparedMentions:
    """A poll's items normalised, unique by key, and the languages letters alone settled."""

    items: list[Normalised]
    languages: dict[str, str | None]
    # Keys whose language needs the model (detect it only for those `changed_keys` reports).
    undecided: list[str]


@dataclass(frozen=True, slots=True)
class EditedMention:
    """A mention of a case whose text changed: the case's index and timeline follow it."""

    mention_id: int
    case_id: int
    brand_id: int
    revision: int
    title: str | None
    body: str


@dataclass(slots=True)
class StoredMentions:
    """What one poll stored, for the poll record and for the steps that follow (see module docstring)."""

    seen: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    new_ids: list[int] = field(default_factory=list)
    edited: list[EditedMention] = field(default_factory=list)
    # Reply texts each known post shows now, by mention id; only from sources that show replies.
    shown_replies: dict[int, Sequence[str]] = field(default_factory=dict)


def canonical_url(url: str | None) -> str | None:
    """The URL two visitors would agree is the same page."""
    if not url:
        return None
    try:
        cleaned = url_query_cleaner(url, TRACKING_PARAMS, remove=True, keep_fragments=False)
        return canonicalize_url(cleaned, keep_fragments=False)
    except ValueError:
        return url.split("#", 1)[0]


def content_hash(title: str | None, body: str) -> str:
    # str.split() and the regex \s+ agree on what whitespace is (str.isspace), so this is the hash
    # the regex version stored, at a third of its cost.
    text = " ".join(f"{title or ''}\n{body}".split()).casefold()
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def language_text(item: Normalised) -> str:
    return f"{item.title or ''}\n{item.body}"


def _key(prefix: str, value: str) -> str:
    if len(value) <= _KEY_MAX:
        return f"{prefix}:{value}"
    return f"{prefix}#sha256:{hashlib.sha256(value.encode('utf-8')).hexdigest()}"


def normalise(raw: RawMention) -> Normalised | None:
    """None when there is nothing to keep (no text at all)."""
    body = (raw.body or "").strip()
    title = (raw.title or "").strip() or None
    if not body and not title:
        return None
    canon = canonical_url(raw.url)
    digest = content_hash(title, body)
    external_id = (raw.external_id or "").strip() or None
    if external_id:
        key = _key("id", external_id)
    elif canon:
        key = _key("url", canon)
    else:
        key = f"hash:{digest}"
    return Normalised(
        dedup_key=key,
        external_id=external_id[:512] if external_id else None,
        url=raw.url[:2048] if raw.url else None,
        canonical_url=canon[:2048] if canon else None,
        title=title[:1000] if title else None,
        body=body or title or "",
        author=raw.author[:300] if raw.author else None,
        published_at=raw.published_at,
        published_precision=raw.published_precision if raw.published_at is not None else None,
        rating=raw.rating,
        content_hash=digest,
        replies=list(raw.replies) if raw.replies is not None else None,
    )


def _unique(items: Iterable[RawMention | Normalised]) -> dict[str, Normalised]:
    out: dict[str, Normalised] = {}
    for raw in items:
        item = raw if isinstance(raw, Normalised) else normalise(raw)
        if item is not None and item.dedup_key not in out:
            out[item.dedup_key] = item
    return out


def prepare_mentions(items: Sequence[RawMention], hint: str | None = None) -> PreparedMentions:
    """Normalise a poll's items and settle the languages that need no model; pure CPU work,
    run in the parse workers before the write transaction."""
    batch = _unique(items)
    languages: dict[str, str | None] = {}
    undecided: list[str] = []
    for key, item in batch.items():
        settled, language = settle_without_model(language_text(item), hint=hint)
        if settled:
            languages[key] = language
        else:
            undecided.append(key)
    return PreparedMentions(items=list(batch.values()), languages=languages, undecided=undecided)


def changed_keys(*, session: Session, source_id: int, hashes: Mapping[str, str]) -> set[str]:
    """The keys of `hashes` ({dedup key: content hash}) that are new to the source or whose text
    changed: the items whose language is worth detecting. Read-only."""
    known: dict[str, str] = {}
    for chunk in _chunks(list(hashes)):
        query = sa.select(Mention.dedup_key, Mention.content_hash).where(
            Mention.source_id == source_id, Mention.dedup_key.in_(chunk)
        )
        known.update((key, digest) for key, digest in session.execute(query))
    return {key for key, digest in hashes.items() if known.get(key) != digest}


def store_mentions(
    *,
    session: Session,
    source_id: int,
    items: Sequence[RawMention | Normalised],
    now: datetime,
    brand_id: int | None = None,
    language_hint: str | None = None,
    languages: Mapping[str, str | None] | None = None,
) -> StoredMentions:
    """Insert new mentions and revise edited ones; see the module docstring for the rules.

    `languages` ({dedup key: language}) comes from the parse step; a new or edited item missing
    from it (another worker stored it first, or the caller detected nothing) is detected here.
    """
    languages = languages or {}
    batch = _unique(items)
    counts = StoredMentions(seen=len(batch))
    if not batch:
        return counts
    existing = _existing(session, source_id, list(batch))

    new_rows = []
    unchanged_ids = []
    for key, item in batch.items():
        known = existing.get(key)
        if known is None:
            new_rows.append(_new_row(item, source_id, now, brand_id, _language(item, languages, language_hint)))
            continue
        if item.replies is not None:
            # Only a source that shows replies can verify ours: without a reply selector (or after
            # it was removed), no reply is marked disappeared for not being seen.
            counts.shown_replies[known.id or 0] = item.replies
        if known.content_hash != item.content_hash:
            _revise(session, known, item, now, _language(item, languages, language_hint))
            counts.updated += 1
            if known.case_id is not None and known.brand_id is not None:
                counts.edited.append(EditedMention(mention_id=known.id or 0, case_id=known.case_id,
                                                   brand_id=known.brand_id, revision=known.revision,
                                                   title=known.title, body=known.body))  # fmt: skip
        else:
            if item.replies is not None and known.replies != item.replies:
                known.replies = item.replies
            unchanged_ids.append(known.id)
    if new_rows:
        # A plain executemany, then the ids by key: as one INSERT … RETURNING of 50 rows the
        # statement passes the 4,096 characters psycopg caches the parse of, and parsing it again
        # on every poll was 10 % of a changed poll's time on PostgreSQL (docs/PERFORMANCE.md).
        session.execute(sa.insert(Mention), new_rows)
        counts.new_ids = _ids(session, source_id, [row["dedup_key"] for row in new_rows])
        counts.new = len(new_rows)
    for chunk in _chunks(unchanged_ids):
        session.execute(sa.update(Mention).where(Mention.id.in_(chunk)).values(last_seen_at=now))
    counts.unchanged = len(unchanged_ids)
    session.flush()
    return counts


def _ids(session: Session, source_id: int, keys: list[str]) -> list[int]:
    ids: list[int] = []
    for chunk in _chunks(keys):
        ids.extend(
            session.scalars(sa.select(Mention.id).where(Mention.source_id == source_id, Mention.dedup_key.in_(chunk)))
        )
    return sorted(ids)  # ids grow with insertion: the order the rows were inserted in


def _existing(session: Session, source_id: int, keys: list[str]) -> dict[str, Mention]:
    found: dict[str, Mention] = {}
    for chunk in _chunks(keys):
        rows = session.scalars(sa.select(Mention).where(Mention.source_id == source_id, Mention.dedup_key.in_(chunk)))
        found.update((m.dedup_key, m) for m in rows)
    return found


def _language(item: Normalised, languages: Mapping[str, str | None], hint: str | None) -> str | None:
    if item.dedup_key in languages:
        return languages[item.dedup_key]
    return detect_language(language_text(item), hint=hint)


def _new_row(
    item: Normalised, source_id: int, now: datetime, brand_id: int | None, language: str | None
) -> dict[str, object]:
    return {
        "source_id": source_id,
        "dedup_key": item.dedup_key,
        "external_id": item.external_id,
        "url": item.url,
        "canonical_url": item.canonical_url,
        "title": item.title,
        "body": item.body,
        "author": item.author,
        "published_at": item.published_at,
        "published_precision": item.published_precision,
        "first_seen_at": now,
        "last_seen_at": now,
        "revised_at": now,
        "rating": item.rating,
        "language": language,
        "content_hash": item.content_hash,
        "revision": 1,
        "brand_id": brand_id,
        "replies": item.replies or [],
    }


def _revise(session: Session, mention: Mention, item: Normalised, now: datetime, language: str | None) -> None:
    session.add(
        MentionRevision(
            mention_id=mention.id,
            revision=mention.revision,
            title=mention.title,
            body=mention.body,
            content_hash=mention.content_hash,
            seen_from=mention.revised_at,
            replaced_at=now,
        )
    )
    mention.title = item.title
    mention.body = item.body
    mention.content_hash = item.content_hash
    mention.revision += 1
    mention.revised_at = now
    mention.last_seen_at = now
    mention.rating = item.rating if item.rating is not None else mention.rating
    if item.replies is not None:
        mention.replies = item.replies
    mention.language = language


def _chunks(values: list, size: int = _CHUNK) -> Iterable[list]:
    for i in range(0, len(values), size):
        yield values[i : i + size]
