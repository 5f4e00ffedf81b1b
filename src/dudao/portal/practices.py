"""The public pages of good practices (好经验好做法): /public/practices/ lists the published ones, newest first, and
/public/practices/<id>/ shows one with its photo (the re-encoded copy, without EXIF). Only published practices are
reachable: a draft, a submitted, returned or withdrawn one, an unknown id all answer the portal's 404. The township
is shown, never the author.

A practice can be withdrawn, so these pages are not kept by URL in each process (caching.kept trusts that nothing
published is taken back); they are kept in the cache under the practices' own stamp (practices.selectors.
published_stamp), which moves with every change, and read it once a request."""

from django.core.files.storage import default_storage
from django.http import FileResponse, HttpResponse
from django.template.loader import render_to_string
from django.views.decorators.http import require_safe

from dudao.campaigns.services import campaign_get
from dudao.portal import caching
from dudao.practices import selectors

HTML = "text/html; charset=utf-8"


def _page(template: str, context: dict) -> bytes:
    return render_to_string(template, context).encode("utf-8")


def not_found(request, campaign) -> HttpResponse:
    """The portal's 404 (as portal.views.not_found answers it)."""
    return caching.uncached(request, lambda: _page("portal/not_found.html", {"campaign": campaign}), HTML, status=404)


@require_safe
def practice_index(request):
    campaign = campaign_get()
    stamp = selectors.published_stamp(campaign)

    def build() -> bytes:
        return _page("portal/practices.html", {"campaign": campaign,
                                               "practices": list(selectors.published(campaign))})

    return caching.answer(request, ("practices", stamp), build, HTML)


@require_safe
def practice_page(request, pk: int):
    campaign = campaign_get()
    stamp = selectors.published_stamp(campaign)

    def build() -> bytes | None:
        practice = selectors.published(campaign).filter(pk=pk).first()
        if practice is None:
            return None
        return _page("portal/practice.html", {"campaign": campaign, "practice": practice})

    return caching.answer(request, ("practice", pk, stamp), build, HTML, missing=lambda: not_found(request, campaign))


@require_safe
def practice_photo(request, pk: int):
    campaign = campaign_get()
    practice = selectors.published(campaign).filter(pk=pk).exclude(display_name="").first()
    if practice is None:
        return not_found(request, campaign)
    response = FileResponse(default_storage.open(practice.display_name, "rb"), content_type="image/jpeg")
    response["X-Content-Type-Options"] = "nosniff"
    # Short: a withdrawn practice's photo must stop being served soon.
    response["Cache-Control"] = f"public, max-age={caching.MAX_AGE}"
    return response
