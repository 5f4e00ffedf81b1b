"""Serving stored photos: only the re-encoded copies, only to users who may see the photo's village."""

from django.core.files.storage import default_storage
from django.http import FileResponse
from django.shortcuts import get_object_or_404

from dudao.accounts.decorators import signed_in_or_token
from dudao.photos.access import photos_visible_to


def _serve(request, photo_id: int, thumb: bool) -> FileResponse:
    photo = get_object_or_404(photos_visible_to(request.user), pk=photo_id)
    name = photo.thumb_name if thumb else photo.display_name
    response = FileResponse(default_storage.open(name, "rb"), content_type="image/jpeg")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=86400"
    response["Content-Disposition"] = f'inline; filename="photo-{photo.pk}{"-thumb" if thumb else ""}.jpg"'
    return response


@signed_in_or_token
def photo_display(request, photo_id: int):
    return _serve(request, photo_id, thumb=False)


@signed_in_or_token
def photo_thumb(request, photo_id: int):
    return _serve(request, photo_id, thumb=True)
