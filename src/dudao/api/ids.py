"""Database ids as the API takes them in a body: whole numbers from 1 to 2^63 − 1 (a bigint). Anything else is the
422 of a malformed body, in the caller's language, instead of the database's overflow (a 500 on SQLite and
PostgreSQL alike; bench/api_schema.py found it with a photo id of −1.3 × 10^20)."""

from typing import Annotated

from pydantic import Field

MAX_ID = 2**63 - 1

Id = Annotated[int, Field(ge=1, le=MAX_ID)]
