"""Serving drone images: display copies and thumbnails to whoever sees the photo's village; the original (the
evidence, with its metadata) to the office only, as a download."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.http import FileResponse
from django.shortcuts import get_object_or_404

from dudao.accounts import access
from dudao.drone.access import drone_photos_visible_to
from dudao.drone.services import display_ensure


def _serve(request, photo_id: int, kind: str) -> FileResponse:
    photo = get_object_or_404(drone_photos_visible_to(request.user), pk=photo_id)
    if kind == "original":
        if not access.is_office(request.user):
            raise PermissionDenied
        content_type = "image/heic" if photo.source_format == "HEIF" else "image/jpeg"
        response = FileResponse(default_storage.open(photo.original_name, "rb"), content_type=content_type,
                                as_attachment=True, filename=photo.filename)
    else:
        if kind == "display":
            photo = display_ensure(photo)
        name = photo.thumb_name if kind == "thumb" else photo.display_name
        response = FileResponse(default_storage.open(name, "rb"), content_type="image/jpeg")
        response["Content-Disposition"] = f'inline; filename="drone-{photo.pk}-{kind}.jpg"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=86400"
    return response


@login_required
def drone_display(request, photo_id: int):
    return _serve(request, photo_id, "display")


@login_required
def drone_thumb(request, photo_id: int):
    return _serve(request, photo_id, "thumb")


@login_required
def drone_original(request, photo_id: int):
    return _serve(request, photo_id, "original")
