"""The list pages' paging: one page of rows for the view, and core/_pager.html to move between pages."""

from django.core.paginator import Page, Paginator


def paginate(request, rows, per_page: int) -> Page:
    """The page of ``rows`` that the request's ``page`` parameter names: the first for a missing or malformed
    number, the last for one past the end (Paginator.get_page)."""
    return Paginator(rows, per_page).get_page(request.GET.get("page"))
