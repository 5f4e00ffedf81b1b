"""The public notices (/public/notices/): the initiative letter (倡议书) and the office's other notices, newest first,
each file downloadable at /public/notices/<id>/file. A withdrawn notice, its file included, answers the portal's 404.
Kept in the cache under the notices' stamp (notices.selectors.published_stamp), which moves with every change."""

from django.core.files.storage import default_storage
from django.http import FileResponse, HttpResponse
from django.template.loader import render_to_string
from django.views.decorators.http import require_safe

from dudao.campaigns.services import campaign_get
from dudao.notices import documents, selectors
from dudao.portal import caching

HTML = "text/html; charset=utf-8"


def _not_found(request, campaign) -> HttpResponse:
    return caching.uncached(request, lambda: render_to_string("portal/not_found.html", {"campaign": campaign})
                            .encode("utf-8"), HTML, status=404)


@require_safe
def notice_index(request):
    campaign = campaign_get()

    def build() -> bytes:
        return render_to_string("portal/notices.html", {
            "campaign": campaign, "notices": list(selectors.published(campaign))}).encode("utf-8")

    return caching.answer(request, ("notices", selectors.published_stamp(campaign)), build, HTML)


@require_safe
def notice_file(request, pk: int):
    campaign = campaign_get()
    notice = selectors.published(campaign).filter(pk=pk).exclude(file_name="").first()
    if notice is None:
        return _not_found(request, campaign)
    response = FileResponse(default_storage.open(notice.file_name, "rb"), as_attachment=True,
                            filename=f"notice-{notice.pk}.{notice.file_kind}",
                            content_type=documents.CONTENT_TYPES[notice.file_kind])
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = f"public, max-age={caching.MAX_AGE}"
    return response
