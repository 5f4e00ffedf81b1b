"""Drone imagery: the office flies, uploads and scores (accounts.access.is_office); everyone reads the photos
placed in their area."""

from django.db.models import QuerySet

from dudao.accounts.access import effective_role
from dudao.drone.models import DronePhoto
from dudao.org.access import area_q


def drone_photos_visible_to(user) -> QuerySet[DronePhoto]:
    if effective_role(user) is None:
        return DronePhoto.objects.none()
    q = area_q(user, "village__")
    return DronePhoto.objects.all() if q is None else DronePhoto.objects.filter(q)
