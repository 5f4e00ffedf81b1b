"""The round's page's buttons (/ranking/<week>/action/): the office computes, requests, approves or withdraws
publication, publishes directly, opens a revision or reminds the townships; each one service call, then back to
the round's page with what happened. Publishing and reminding are this app's acts; the rest are the round's own
(dudao.ranking.services)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dudao.accounts import access
from dudao.campaigns.services import campaign_get
from dudao.core.errors import Refused
from dudao.core.http import require, week_or_404
from dudao.publication import services
from dudao.ranking import selectors as ranking_selectors
from dudao.ranking import services as ranking_services
from dudao.ranking.models import Round

ACTIONS = {
    "compute": ranking_services.ranking_compute,
    "request": services.round_request,
    "approve": services.round_approve,
    "withdraw": ranking_services.ranking_withdraw,
    "publish": services.round_publish,
}


def _action_message(action: str, round_: Round) -> str:
    values = {"week": round_.week, "revision": round_.revision}
    if action == "compute":
        values["count"] = ranking_selectors.result_counts(round_)[0]
        return _("Week %(week)s computed: %(count)s villages ranked. Check the result before publishing.") % values
    if action == "request":
        return _("Publication of week %(week)s requested; another office user must approve it.") % values
    if action in ("approve", "publish"):
        values["count"] = round_.interviews.count()
        return _("Week %(week)s is published (revision %(revision)s): %(count)s interviews.") % values
    if action == "withdraw":
        return _("The request to publish week %(week)s was withdrawn; it is a draft again.") % values
    return _("Revision %(revision)s of week %(week)s is open: change the sources if needed, compute and publish "
             "it.") % values


@login_required
@require_POST
def round_action(request, week: str):
    """The office's buttons on the round's page: compute, request, approve, withdraw, publish, revise, remind."""
    user = request.user
    require(access.is_office(user))
    week_or_404(week)
    campaign = campaign_get()
    action = request.POST.get("action", "")
    if action not in ACTIONS and action not in ("revise", "remind"):
        return HttpResponse(status=400)
    try:
        if action == "remind":
            towns = services.towns_remind(actor=user, campaign=campaign, week=week)
            messages.success(request, _("Reminded %(count)s township(s): %(names)s.")
                             % {"count": len(towns), "names": "、".join(t.name for t in towns) or "—"})
            return redirect(f"{reverse('ranking_round')}?{urlencode({'week': week})}")
        if action == "revise":
            round_ = ranking_services.ranking_revise(actor=user, campaign=campaign, week=week,
                                                     reason=request.POST.get("reason", ""))
        elif action == "request":
            round_ = services.round_request(actor=user, campaign=campaign, week=week,
                                            reason=request.POST.get("publish_reason", "")[:2000])
        elif action in ("approve", "publish"):
            # The confirmation names the week and its counts (the round page's checkbox): no JavaScript needed.
            publish = services.round_approve if action == "approve" else services.round_publish
            round_ = publish(actor=user, campaign=campaign, week=week, confirmed=request.POST.get("confirm") == week,
                             reason=request.POST.get("publish_reason", "")[:2000])
        else:
            round_ = ACTIONS[action](actor=user, campaign=campaign, week=week)
    except Refused as exc:
        messages.error(request, str(exc))
    except PermissionDenied:
        messages.error(request, _("You may not do this."))
    else:
        messages.success(request, _action_message(action, round_))
    return redirect(f"{reverse('ranking_round')}?{urlencode({'week': week})}")
