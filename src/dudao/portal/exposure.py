"""The public pages of the exposure board (曝光台) and the positive column (正面宣传): /public/exposure/ and
/public/positive/ list the published items, newest first; /public/items/<id>/ shows one: its title, text, reason,
village, date, the public copies of its photos (the regions the office marked destroyed in the pixels, no EXIF) and
the village's published reply beside it. A draft, an item in review, a withdrawn one and an unknown id all answer
the portal's 404, and so do their photos (/public/items/<id>/photos/<n>.jpg serves only public copies of published
items). No author, reviewer or source photo is ever shown.

Items can be withdrawn, so these pages are kept in the cache under the items' own stamp (exposure.selectors.
published_stamp), read once a request, as the good practices are (portal/practices.py)."""

from django.core.files.storage import default_storage
from django.http import FileResponse
from django.views.decorators.http import require_safe

from dudao.campaigns.services import campaign_get
from dudao.exposure import selectors
from dudao.exposure.models import Kind
from dudao.portal import caching
from dudao.portal.practices import HTML, _page, not_found


def _index(request, kind: str):
    campaign = campaign_get()
    stamp = selectors.published_stamp(campaign)

    def build() -> bytes:
        return _page("portal/items.html", {"campaign": campaign, "kind": kind,
                                           "items": list(selectors.published(campaign, kind))})

    return caching.answer(request, ("items", kind, stamp), build, HTML)


@require_safe
def exposure_index(request):
    return _index(request, Kind.EXPOSURE)


@require_safe
def positive_index(request):
    return _index(request, Kind.POSITIVE)


@require_safe
def item_page(request, pk: int):
    campaign = campaign_get()
    stamp = selectors.published_stamp(campaign)

    def build() -> bytes | None:
        item = selectors.published(campaign).filter(pk=pk).first()
        if item is None:
            return None
        return _page("portal/item.html", {"campaign": campaign, "item": item, "images": list(item.images.all()),
                                          "reply": selectors.published_reply(item)})

    return caching.answer(request, ("item", pk, stamp), build, HTML, missing=lambda: not_found(request, campaign))


@require_safe
def item_photo(request, pk: int, image_pk: int):
    campaign = campaign_get()
    image = selectors.public_image(campaign, pk, image_pk)
    if image is None:
        return not_found(request, campaign)
    response = FileResponse(default_storage.open(image.public_name, "rb"), content_type="image/jpeg")
    response["X-Content-Type-Options"] = "nosniff"
    # Short: a withdrawn item's photo must stop being served soon.
    response["Cache-Control"] = f"public, max-age={caching.MAX_AGE}"
    return response
