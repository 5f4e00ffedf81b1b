"""The in-app notifications page: the user's own notifications, in the reader's language."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from dudao.notifications import services
from dudao.notifications.models import Notification

PAGE_SIZE = 50


def _see_other(url: str) -> HttpResponseRedirect:
    response = HttpResponseRedirect(url)
    response.status_code = 303
    return response


@login_required
def notification_list(request):
    """GET: the list, newest first; POST: mark them all read."""
    if request.method == "POST":
        services.mark_read(user=request.user)
        return _see_other(reverse("notification_list"))
    page = Paginator(Notification.objects.filter(recipient=request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    for notification in page.object_list:
        notification.title, notification.body = services.render(notification)
    return render(request, "notifications/list.html", {
        "notifications": page.object_list, "page": page, "unread": services.unread_count(request.user),
    })


@login_required
def notification_read(request, pk: int):
    """Open a notification: mark it read and go to what it is about."""
    notification = get_object_or_404(Notification, pk=pk, recipient=request.user)
    services.mark_read(user=request.user, ids=[notification.pk])
    target = notification.link
    if not target or not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = reverse("notification_list")
    return HttpResponseRedirect(target)
