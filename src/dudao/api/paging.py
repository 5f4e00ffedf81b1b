"""The paging parameter every list of the API shares."""

from typing import Any

from ninja import Query

# Far beyond any list; bounded so that no database is handed an offset it cannot hold (SQLite refused 2**64 with a
# server error: bench/api_schema.py found it).
MAX_OFFSET = 1_000_000_000


def offset_query() -> Any:
    """`offset`: how many rows of the list to skip, 0 to MAX_OFFSET (else 422)."""
    return Query(0, ge=0, le=MAX_OFFSET)
