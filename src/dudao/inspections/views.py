"""The inspectors' field app (an installable web app): the page shell, its service worker, manifest and icons.

The app itself is static JavaScript (static/dudao/field/) talking to /api/v1/; these views only serve what the
phone needs to install it and to open it again without a signal.
"""

import functools
import hashlib
import io
import json
from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_GET
from PIL import Image, ImageDraw

from dudao import __version__
from dudao.inspections.services import FAR_FROM_VILLAGE_M, POOR_ACCURACY_M

SW_SOURCE = "dudao/field/sw.js"
SW_PLACEHOLDER = '{"version": "dev", "static": "/static/", "shell": []}'
# The static files the app shell needs offline; the service worker's cache version is their digest.
SHELL_STATIC = ("dudao/field/field.js", "dudao/field/field.css", "dudao/upload.js", "dudao/dudao.css",
                "vendor/pico.min.css", "vendor/htmx.min.js")
ICON_SIZES = (192, 512)
THEME_COLOUR = "#1b6e2d"


def _texts() -> dict[str, str]:
    """Every sentence field.js shows, translated here so the script holds none."""
    return {
        "all_sent": _("All sent."),
        "waiting": _("Waiting to send: %(n)s"),
        "sending": _("Sending…"),
        "failed": _("Not accepted: %(n)s"),
        "offline": _("No signal: your work is kept on this phone."),
        "sign_in_again": _("Sign in again to send."),
        "sign_in_as": _("Waits for %(user)s: sign in as %(user)s on this phone to send it."),
        "other_user": _("You are signed in as %(user)s, but this page was made for %(page_user)s: "
                        "reload the page before you go on."),
        "no_position": _("No position yet: allow location (GPS) and wait a moment."),
        "position": _("±%(accuracy)s m, %(distance)s from the village"),
        "position_no_village": _("±%(accuracy)s m"),
        "poor_accuracy": _("The position is accurate to worse than %(m)s m: wait outdoors for a better fix."),
        "far_from_village": _("You are more than %(m)s from the village."),
        "clock_off": _("The phone's clock is off by %(minutes)s minutes; the times sent are corrected."),
        "no_checklist": _("No checklist is in use for this village. Ask the campaign office."),
        "no_villages": _("No village matches."),
        "unscored": _("Not scored yet: %(n)s"),
        "score": _("Score %(score)s"),
        "critical": _("A critical item is below half its points: the score is capped at %(cap)s."),
        "draft_saved": _("Draft saved on this phone."),
        "queued": _("Kept on this phone; it is sent when there is a signal."),
        "sent": _("Received. Score %(score)s, week %(week)s."),
        "duplicate": _("It had already arrived; nothing was stored twice."),
        "upload_photo": _("Photo %(n)s of %(total)s"),
        "upload_report": _("Inspection"),
        "delete_confirm": _("Delete this inspection from the phone? It has not been sent."),
        "discard_confirm": _("Discard this draft and its photos?"),
        "network_error": _("The connection failed; it will be tried again."),
        "server_error": _("The server had a problem (%(status)s); it will be tried again."),
        "started": _("Started %(time)s"),
        "photos_none": _("No photo yet."),
        "photo_preparing": _("Preparing the photo…"),
        "use_photo": _("Use photo %(n)s"),
        "problem_no_photo": _("No photo yet: the next photo you take goes with this problem."),
        "points": _("points"),
        "delete_photo": _("Remove this photo"),
        "photo_missing": _("A photo is no longer on this phone: edit the inspection and take it again."),
        "metres": _("%(n)s m"),
        "kilometres": _("%(n)s km"),
    }


@login_required
@ensure_csrf_cookie
@require_GET
def field_app(request):
    """The app shell. Its data comes from /api/v1/field/bootstrap, fetched (and kept offline) by field.js."""
    config = {
        "username": request.user.get_username(),
        "bootstrap": reverse("api-v1:bootstrap"),
        "photos": reverse("api-v1:photo_upload"),
        "inspections": reverse("api-v1:inspection_submit"),
        "sw": reverse("field_sw"),
        "scope": reverse("field_app"),
        "manifest": reverse("field_manifest"),
        "poor_accuracy_m": POOR_ACCURACY_M,
        "far_from_village_m": FAR_FROM_VILLAGE_M,
        "theme_colour": THEME_COLOUR,
        "texts": _texts(),
    }
    response = render(request, "inspections/field.html", {"field_config": config, "theme_colour": THEME_COLOUR})
    # The service worker keeps its own copy for offline use; the browser's HTTP cache must not serve a stale one
    # (another user's page, an old CSRF form) when the network is there.
    response["Cache-Control"] = "no-cache, private"
    return response


@functools.lru_cache(maxsize=1)
def _service_worker_cached() -> str:
    return _service_worker()


def _service_worker() -> str:
    """sw.js with its configuration filled in: the shell's URLs and a version that changes with any of them."""
    path = finders.find(SW_SOURCE)
    if not path:
        raise Http404
    source = Path(str(path)).read_text(encoding="utf-8")
    digest = hashlib.sha256(source.encode() + __version__.encode())
    shell = [reverse("field_app"), reverse("field_manifest")]
    shell += [reverse("field_icon", args=[size]) for size in ICON_SIZES]
    for name in SHELL_STATIC:
        found = finders.find(name)
        if not found:
            continue  # a missing vendor file must not stop the rest of the shell from installing
        digest.update(Path(str(found)).read_bytes())
        shell.append(staticfiles_storage.url(name))
    config = json.dumps({"version": digest.hexdigest()[:16], "static": settings.STATIC_URL, "shell": shell})
    if SW_PLACEHOLDER not in source:
        raise RuntimeError(f"{SW_SOURCE} lost its configuration placeholder {SW_PLACEHOLDER}")
    return source.replace(SW_PLACEHOLDER, config, 1)


@require_GET
def field_sw(request):
    """The service worker, served under /field/ so that its scope is the field app."""
    body = _service_worker() if settings.DEBUG else _service_worker_cached()
    response = HttpResponse(body, content_type="application/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def field_manifest(request):
    """The web app manifest. Public: browsers fetch it without cookies."""
    icons = [{"src": reverse("field_icon", args=[size]), "sizes": f"{size}x{size}", "type": "image/png",
              "purpose": purpose} for size in ICON_SIZES for purpose in ("any", "maskable")]
    manifest = {
        "name": _("Dudao field inspection"),
        "short_name": _("Dudao"),
        "description": _("Inspect villages on site, with or without a signal."),
        "id": reverse("field_app"),
        "start_url": reverse("field_app"),
        "scope": reverse("field_app"),
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#ffffff",
        "theme_color": THEME_COLOUR,
        "icons": icons,
    }
    response = JsonResponse(manifest, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/manifest+json"
    response["Cache-Control"] = "no-cache"
    return response


@functools.lru_cache(maxsize=len(ICON_SIZES))
def _icon_png(size: int) -> bytes:
    """A green square with a white tick, drawn inside the central 60 % so that maskable crops keep it whole."""
    image = Image.new("RGB", (size, size), THEME_COLOUR)
    draw = ImageDraw.Draw(image)
    unit = size / 100
    draw.line([(30 * unit, 52 * unit), (44 * unit, 66 * unit), (71 * unit, 36 * unit)], fill="white",
              width=max(2, round(9 * unit)), joint="curve")
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


@require_GET
def field_icon(request, size: int):
    if size not in ICON_SIZES:
        raise Http404
    response = HttpResponse(_icon_png(size), content_type="image/png")
    response["Cache-Control"] = "public, max-age=86400"
    return response
