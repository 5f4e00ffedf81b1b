"""The audit log's hash chain, as pure functions (no Django imports).

Each entry's hash covers its own canonical content and the previous entry's hash, so changing,
inserting or deleting any stored entry breaks every hash after it.
"""

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64


@dataclass(frozen=True)
class Entry:
    seq: int
    at: str
    actor: str
    action: str
    object_type: str
    object_id: str
    before: Any
    after: Any
    prev_hash: str
    hash: str


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def entry_hash(
    *, prev_hash: str, seq: int, at: str, actor: str, action: str, object_type: str, object_id: str,
    before: Any, after: Any,
) -> str:
    body = canonical([seq, at, actor, action, object_type, object_id, before, after])
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


def first_bad(entries: Iterable[Entry]) -> tuple[Entry, str] | None:
    """The first entry whose link or hash does not match, with the reason; None if the chain is whole."""
    prev = GENESIS
    expected_seq: int | None = None
    for entry in entries:
        if expected_seq is not None and entry.seq != expected_seq:
            return entry, "gap"
        if entry.prev_hash != prev:
            return entry, "link"
        recomputed = entry_hash(
            prev_hash=entry.prev_hash, seq=entry.seq, at=entry.at, actor=entry.actor, action=entry.action,
            object_type=entry.object_type, object_id=entry.object_id, before=entry.before, after=entry.after,
        )
        if recomputed != entry.hash:
            return entry, "hash"
        prev = entry.hash
        expected_seq = entry.seq + 1
    return None


def head_mismatch(last: Entry | None, head: tuple[int, str] | None) -> tuple[int, str] | None:
    """Whether a whole chain ends where its anchor (the head recorded with every append: sequence number and hash)
    says: None when it does, else (the sequence number of the first bad or missing entry, the reason): "cut" (the
    entries from that one on are missing), "head" (that entry was added or replaced after the recorded head) or
    "unanchored" (entries but no head)."""
    if head is None:
        return None if last is None else (last.seq, "unanchored")
    head_seq, head_hash = head
    if last is None:
        return (1, "cut") if head_seq else None
    if last.seq < head_seq:
        return last.seq + 1, "cut"
    if last.seq > head_seq:
        return head_seq + 1, "head"
    return None if last.hash == head_hash else (last.seq, "head")
