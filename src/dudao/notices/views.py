"""The office's notices page (/notices/): the notices published and withdrawn, a form to publish one (the initiative
letter 倡议书 or any notice, with an optional PDF or Word file) and a button to withdraw each. The public pages are
the portal's (portal/notices.py)."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from dudao.accounts import access
from dudao.campaigns.services import campaign_get
from dudao.core.errors import Refused
from dudao.core.http import require, see_other
from dudao.notices import documents, selectors, services
from dudao.notices.models import Notice


def _page(request, values: dict, error: str = "", status: int = 200):
    return render(request, "notices/list.html", {
        "notices": selectors.notices_of(campaign_get()), "values": values, "error": error,
        "title_max": services.TITLE_MAX, "text_max": services.TEXT_MAX, "file_max_mb": services.FILE_MAX_MB},
        status=status)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def notice_list(request):
    require(access.is_office(request.user))
    values = {"title": "", "date": timezone.localdate().isoformat(), "text": ""}
    if request.method == "GET" or request.method == "HEAD":
        return _page(request, values)
    values = {name: request.POST.get(name, "") for name in values}
    upload = request.FILES.get("file")
    try:
        try:
            date = dt.date.fromisoformat(values["date"])
        except ValueError:
            raise Refused("bad_date", _("Give the date as YYYY-MM-DD.")) from None
        if upload is not None and upload.size > services.FILE_MAX_MB * services.MIB:
            raise Refused("file_too_large", _("The file is too large: at most %(max)s MB.")
                          % {"max": services.FILE_MAX_MB})
        services.notice_publish(actor=request.user, campaign=campaign_get(), title=values["title"], date=date,
                                text=values["text"], data=upload.read() if upload is not None else None)
    except Refused as refused:
        return _page(request, values, refused.message, status=400)
    messages.success(request, _("Published."))
    return see_other(reverse("notice_list"))


@login_required
@require_POST
def notice_withdraw(request, pk: int):
    require(access.is_office(request.user))
    notice = get_object_or_404(Notice, pk=pk, campaign=campaign_get())
    try:
        services.notice_withdraw(actor=request.user, notice=notice, reason=request.POST.get("reason", ""))
    except Refused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, _("Withdrawn."))
    return see_other(reverse("notice_list"))


@login_required
@require_safe
def notice_file(request, pk: int):
    require(access.is_office(request.user))
    notice = get_object_or_404(Notice, pk=pk, campaign=campaign_get())
    if not notice.file_name:
        raise Http404
    return FileResponse(default_storage.open(notice.file_name, "rb"), as_attachment=True,
                        filename=f"notice-{notice.pk}.{notice.file_kind}",
                        content_type=documents.CONTENT_TYPES[notice.file_kind])
