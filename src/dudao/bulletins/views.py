"""Pages of the bulletins: the list of weeks, one week's bulletin (downloads, summary, regenerate) and the office's
template page. Reads through dudao.bulletins.services' selectors, changes through its service functions."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from dudao.accounts import access
from dudao.bulletins import document, services, word
from dudao.bulletins.access import can_read_bulletins
from dudao.bulletins.models import Bulletin, BulletinTemplate
from dudao.campaigns.services import campaign_get
from dudao.core.errors import Refused
from dudao.core.http import require, week_or_404
from dudao.ranking.models import Round

CONTENT_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class TemplateUploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Word template (.docx)"))


class LetterheadForm(forms.Form):
    issuer = forms.CharField(label=gettext_lazy("issuing office"), max_length=100)
    number_prefix = forms.CharField(label=gettext_lazy("document number prefix"), max_length=30,
                             help_text=gettext_lazy("e.g. 景环整办: the number reads 景环整办〔2026〕12号"))


@login_required
def bulletin_list(request):
    user = request.user
    require(can_read_bulletins(user))
    campaign = campaign_get()
    rows: list[dict] = []
    seen: set[str] = set()
    for bulletin in (services.bulletins_visible_to(user, campaign).select_related("round")
                     .order_by("-round__week_start", "-revision")[:200]):
        if bulletin.week in seen:
            continue
        seen.add(bulletin.week)
        rows.append({"bulletin": bulletin, "doc_number": bulletin.letterhead.get("doc_number", "")})
    waiting = []
    if access.is_office(user):
        waiting = list(Round.objects.filter(campaign=campaign, status="published", bulletin__isnull=True)
                       .order_by("-week_start")[:20])
    return render(request, "bulletins/list.html", {
        "rows": rows, "waiting": waiting, "can_manage": access.is_office(user)})


@login_required
def bulletin_week(request, week: str):
    user = request.user
    require(can_read_bulletins(user))
    week_or_404(week)
    campaign = campaign_get()
    round_ = services.round_for_week(campaign, week)
    if round_ is None:
        raise Http404
    bulletin = services.bulletin_for_week(user, campaign, week)
    summary = None
    if bulletin is not None:
        try:
            from django.conf import settings
            from django.utils import translation

            from dudao.bulletins.content import build

            with translation.override(settings.LANGUAGE_CODE):
                content = build(bulletin.round, letterhead=bulletin.letterhead, chart=False)
            summary = {"text": document.context(content)["summary"], "counts": content.counts,
                       "styles": content.styles, "digest_ok": content.digest() == bulletin.content_digest}
        except Refused:
            summary = None
    # A round published without a bulletin: the queued making may have been refused (the office's template did not
    # render this week); say so rather than "being made".
    failure = services.bulletin_failure(round_) if bulletin is None else None
    return render(request, "bulletins/week.html", {
        "week": week, "round": round_, "bulletin": bulletin, "summary": summary, "failure": failure,
        "can_manage": access.is_office(user),
    })


@login_required
def bulletin_download(request, week: str, kind: str):
    user = request.user
    require(can_read_bulletins(user))
    week_or_404(week)
    if kind not in CONTENT_TYPES:
        raise Http404
    bulletin = services.bulletin_for_week(user, campaign_get(), week)
    if bulletin is None:
        raise Http404
    name = getattr(bulletin, f"{kind}_name")
    if not default_storage.exists(name):
        raise Http404
    response = FileResponse(default_storage.open(name, "rb"), content_type=CONTENT_TYPES[kind], as_attachment=True,
                            filename=f"bulletin-{week}-r{bulletin.revision}.{kind}")
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_POST
def bulletin_regenerate(request, week: str):
    user = request.user
    require(access.is_office(user))
    week_or_404(week)
    campaign = campaign_get()
    round_ = services.round_for_week(campaign, week)
    if round_ is None:
        raise Http404
    before = Bulletin.objects.filter(round=round_).values_list("content_digest", flat=True).first()
    try:
        bulletin = services.bulletin_generate(actor=user, round_=round_)
    except Refused as exc:
        messages.error(request, str(exc))
    else:
        if before is None:
            messages.success(request, _("The bulletin of week %(week)s was made.") % {"week": week})
        elif before == bulletin.content_digest:
            messages.success(request, _("The bulletin of week %(week)s was made again; its content is unchanged.")
                             % {"week": week})
        else:
            messages.warning(request, _("The bulletin of week %(week)s was made again and its content changed "
                                        "(late data, or a new letterhead).") % {"week": week})
    return redirect("bulletin_week", week=week)


@login_required
def template_page(request):
    user = request.user
    require(access.is_office(user))
    campaign = campaign_get()
    upload_form = TemplateUploadForm()
    issuer, prefix = services.letterhead_get(campaign)
    letterhead_form = LetterheadForm(initial={"issuer": issuer, "number_prefix": prefix})
    problems: list[str] = []
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "upload":
                upload_form = TemplateUploadForm(request.POST, request.FILES)
                if upload_form.is_valid():
                    upload = upload_form.cleaned_data["file"]
                    if upload.size > word.MAX_TEMPLATE_BYTES:
                        raise Refused("template_too_large", _("The template is larger than %(max)s MB.")
                                      % {"max": word.MAX_TEMPLATE_BYTES // 2**20})
                    services.template_upload(actor=user, campaign=campaign, data=upload.read(), name=upload.name)
                    messages.success(request, _("The template was checked on the latest published week and is now "
                                                "used for new bulletins."))
                    return redirect("bulletin_template")
                status = 400
            elif action == "default":
                services.template_use_default(actor=user, campaign=campaign)
                messages.success(request, _("New bulletins use the default template."))
                return redirect("bulletin_template")
            elif action == "activate":
                pk = request.POST.get("template", "").strip()
                if not pk.isdecimal():
                    return HttpResponse(status=400)
                template = get_object_or_404(BulletinTemplate, pk=int(pk), campaign=campaign)
                services.template_activate(actor=user, campaign=campaign, template=template)
                messages.success(request, _("The template %(name)s is used again.") % {"name": template.name})
                return redirect("bulletin_template")
            elif action == "letterhead":
                letterhead_form = LetterheadForm(request.POST)
                if letterhead_form.is_valid():
                    services.letterhead_update(actor=user, campaign=campaign,
                                               issuer=letterhead_form.cleaned_data["issuer"],
                                               prefix=letterhead_form.cleaned_data["number_prefix"])
                    messages.success(request, _("The letterhead was saved; bulletins already issued keep theirs."))
                    return redirect("bulletin_template")
                status = 400
            else:
                return HttpResponse(status=400)
        except Refused as exc:
            problems = [exc.message]
            status = 400
    return render(request, "bulletins/template.html", {
        "upload_form": upload_form, "letterhead_form": letterhead_form, "problems": problems,
        "active": services.active_template(campaign),
        "history": BulletinTemplate.objects.filter(campaign=campaign).defer("data")[:50],
        "variables": document.VARIABLES,
        "intro": _("Download the template, edit it in Word (keep the {{ … }} and {%% … %%} tags), and upload it. It "
                   "is checked by making the bulletin of the latest published week with it.") % {},
        "syntax_help": _("Write {{ name }} for a value, {%%tr for v in red %%} … {%%tr endfor %%} in table rows for a "
                         "list, {%%p if … %%} … {%%p endif %%} around paragraphs. Unknown names are refused on "
                         "upload.") % {},
        "sample_week": getattr(services.latest_published_round(campaign), "week", ""),
    }, status=status)


@login_required
def template_download(request, which: str):
    user = request.user
    require(access.is_office(user))
    campaign = campaign_get()
    if which == "default":
        data, name = word.default_template(), "bulletin-template-default.docx"
    elif which == "current":
        active = services.active_template(campaign)
        data, name = (bytes(active.data), active.name) if active else (word.default_template(),
                                                                        "bulletin-template-default.docx")
    elif which.isdigit():
        template = get_object_or_404(BulletinTemplate, pk=int(which), campaign=campaign)
        data, name = bytes(template.data), template.name
    else:
        raise Http404
    response = HttpResponse(data, content_type=CONTENT_TYPES["docx"])
    response["Content-Disposition"] = f"attachment; filename=\"{_ascii(name)}\""
    return response


def _ascii(name: str) -> str:
    cleaned = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_.") else "_" for ch in name)
    return cleaned if cleaned.lower().endswith(".docx") else cleaned + ".docx"


def week_url(week: str) -> str:
    return reverse("bulletin_week", args=[week])
