"""The pages every app shares: the health check and the answers to what one may not see or that does not exist."""

from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


def healthz(request):
    return HttpResponse("ok", content_type="text/plain")


def forbidden(request, exception=None):
    return render(request, "core/error.html", {"message": _("You may not see or change this.")}, status=403)


def not_found(request, exception=None):
    return render(request, "core/error.html", {"message": _("Not found, or outside your area.")}, status=404)
