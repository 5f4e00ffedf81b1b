"""The in-app notifications page (the user's own notifications, in the reader's language), and the office's
pages: group robots (/notifications/channels/), rules (/notifications/rules/) and the outbox
(/notifications/outbox/)."""

from typing import TypeVar

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.http import Http404, HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from dudao.accounts import access
from dudao.accounts.models import Role
from dudao.core.http import require, see_other
from dudao.core.paging import paginate
from dudao.notifications import channels, kinds, selectors, services
from dudao.notifications.channels import redacted_url
from dudao.notifications.forms import ChannelForm, OutboxFilter, RuleForm
from dudao.notifications.models import Attempt, Channel, Delivery, Notification, Rule, Status

PAGE_SIZE = 50

M = TypeVar("M", bound=Model)



@login_required
def notification_list(request):
    """GET: the list, newest first; POST: mark them all read."""
    if request.method == "POST":
        services.mark_read(user=request.user)
        return see_other(reverse("notification_list"))
    page = paginate(request, selectors.notifications_of(request.user), PAGE_SIZE)
    for notification in page.object_list:
        notification.title, notification.body = services.render(notification)
    return render(request, "notifications/list.html", {
        "notifications": page.object_list, "page": page, "unread": services.unread_count(request.user),
        "unread_recent": services.unread_recent_count(request.user), "unread_days": services.UNREAD_DAYS,
        "badge_max": services.BADGE_MAX,
    })


@login_required
@require_http_methods(["GET", "POST"])
def notification_read(request, pk: int):
    """Open a notification: go to what it is about. Only a POST (the list's button) marks it read: a GET has no
    effect, so a link previewer or prefetcher cannot read anybody's notifications for them."""
    notification = get_object_or_404(Notification, pk=pk, recipient=request.user)
    target = notification.link
    if not target or not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = reverse("notification_list")
    if request.method == "POST":
        services.mark_read(user=request.user, ids=[notification.pk])
        return see_other(target)
    return HttpResponseRedirect(target)


# The office's pages: group robots, rules, the outbox -------------------------------------------------------------



def _posted(queryset: QuerySet[M], request, name: str) -> M:
    """The row whose id the form posted as ``name``; 404 when there is none or the id is not a number."""
    value = request.POST.get(name, "")
    if not (value.isascii() and value.isdigit()) or len(value) > 18:
        raise Http404
    return get_object_or_404(queryset, pk=int(value))


@login_required
def channel_list(request):
    require(access.is_office(request.user))
    robots = selectors.robots_with_counts()
    return render(request, "notifications/channels.html", {"robots": robots, "events": kinds.labels()})


@login_required
def channel_edit(request, pk: int | None = None):
    require(access.is_office(request.user))
    channel = get_object_or_404(Channel.objects.select_related("unit"), pk=pk) if pk else None
    if request.method == "POST":
        form = ChannelForm(request.POST, has_secret=bool(channel and channel.secret),
                           stored_url=channel.url if channel is not None else "")
        if form.is_valid():
            data = form.cleaned_data
            secret = data["secret"] or None
            if data.get("clear_secret"):
                secret = ""
            try:
                saved = services.channel_save(actor=request.user, channel=channel, kind=data["kind"], unit=data["unit"],
                                            name=data["name"], url=data["url"], secret=secret, events=data["events"],
                                            active=data["active"])
            except ValidationError as error:
                for field, errors in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, _("Group robot “%(name)s” saved.") % {"name": saved.name})
                return see_other(reverse("notification_channels"))
    elif channel is not None:
        form = ChannelForm(initial={"kind": channel.kind, "unit": channel.unit, "name": channel.name,
                                    "url": redacted_url(channel.url), "events": channel.events,
                                    "active": channel.active},
                           has_secret=bool(channel.secret), stored_url=channel.url)
    else:
        form = ChannelForm(initial={"events": kinds.robot_codes(), "active": True})
    return render(request, "notifications/channel_form.html", {"form": form, "channel": channel})


@login_required
@require_POST
def channel_action(request, pk: int):
    require(access.is_office(request.user))
    channel = get_object_or_404(Channel.objects.select_related("unit"), pk=pk)
    action = request.POST.get("action")
    if action == "test":
        services.channel_test(actor=request.user, channel=channel)
        messages.success(request, _("A test message to “%(name)s” is queued; its outcome shows in the outbox.")
                         % {"name": channel.name})
    elif action in ("disable", "enable"):
        services.channel_set_active(actor=request.user, channel=channel, active=action == "enable")
        messages.success(request, (_("“%(name)s” is active.") if action == "enable"
                                   else _("“%(name)s” is disabled.")) % {"name": channel.name})
    else:
        return HttpResponseBadRequest()
    return see_other(reverse("notification_channels"))


@login_required
def rule_list(request):
    require(access.is_office(request.user))
    form = RuleForm(initial={"in_app": True, "email": True})
    if request.method == "POST":
        if request.POST.get("action") == "delete":
            rule = _posted(Rule.objects.all(), request, "rule")
            services.rule_delete(actor=request.user, rule=rule)
            messages.success(request, _("Rule removed: the default applies again."))
            return see_other(reverse("notification_rules"))
        form = RuleForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            services.rule_save(actor=request.user, event=data["event"], unit=data["unit"], role=data["role"],
                             in_app=data["in_app"], email=data["email"], sms=data["sms"])
            messages.success(request, _("Rule saved."))
            return see_other(reverse("notification_rules"))
    rules = selectors.rules()
    roles = dict(Role.choices)
    for rule in rules:
        rule.role_label = roles.get(rule.role, rule.role)
    return render(request, "notifications/rules.html", {"rules": rules, "form": form})


@login_required
def outbox_list(request):
    require(access.is_office(request.user))
    if request.method == "POST":
        delivery = _posted(Delivery.objects.all(), request, "delivery")
        if services.delivery_retry(actor=request.user, delivery=delivery):
            messages.success(request, _("Delivery %(pk)s is queued to be sent again now.") % {"pk": delivery.pk})
        else:
            messages.error(request, _("Only a failed delivery can be retried."))
        return see_other(request.get_full_path())
    filters = OutboxFilter(request.GET)
    status = filters.cleaned_data.get("status") if filters.is_valid() else ""
    counts = selectors.outbox_counts()
    page = paginate(request, selectors.outbox(status), PAGE_SIZE)
    events = kinds.labels()
    for delivery in page.object_list:
        delivery.event_label = events.get(delivery.event, delivery.event)
        delivery.attempt_list = list(delivery.attempt_set.all())
        for attempt in delivery.attempt_list:
            attempt.label = channels.reason_label(attempt.code, attempt.error)
        delivery.reason_label = _reason_label(delivery, delivery.attempt_list)
    return render(request, "notifications/outbox.html", {
        "page": page, "deliveries": page.object_list, "filters": filters, "status": status,
        "counts": [(value, label, counts.get(value, 0)) for value, label in Status.choices]})


def _reason_label(delivery: Delivery, attempts: list[Attempt]) -> str:
    """Why a delivery is not sent (yet), in the reader's language: the label of its code, and that it was given
    up when it failed after retryable attempts. Reasons without a code (skipped when stored) are shown as
    stored."""
    if not delivery.reason_code:
        return delivery.reason
    label = channels.reason_label(delivery.reason_code, delivery.reason)
    last = attempts[-1] if attempts else None
    if delivery.status == Status.FAILED and last is not None and last.retryable:
        return _("gave up after %(attempts)s attempts: %(reason)s") % {"attempts": delivery.attempts,
                                                                       "reason": label}
    return label
