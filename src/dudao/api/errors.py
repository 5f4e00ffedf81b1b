"""The API's error answers as the OpenAPI document lists them: one schema, and the one helper every endpoint's
``response`` is built with. The answers themselves come from the exception handlers of dudao.api.api."""

from typing import Any

from ninja import Schema


class ErrorOut(Schema):
    """An error answer: what is wrong, in the caller's language."""

    detail: str
    code: str | None = None  # a refusal's code (dudao.core.errors.Refused)
    errors: list[dict[str, Any]] | None = None  # the parameters at fault, when the request is not valid (422)


def answers(ok: Any, *errors: int) -> dict[int, Any]:
    """An endpoint's ``response``: its answer (a schema, or a map of status to schema) and the error answers it
    gives besides 401 (every endpoint wants a session or a bearer token): 403 a role that may not (or, for a
    change, a session without its CSRF token), 404 not found or outside the caller's area, 409 a conflict, 413 too
    large, 422 a request that is not valid (a parameter, also one in the path, or a body that is not JSON)."""
    out: dict[int, Any] = dict(ok) if isinstance(ok, dict) else {200: ok}
    for status in (401, *errors):
        out[status] = ErrorOut
    return out
