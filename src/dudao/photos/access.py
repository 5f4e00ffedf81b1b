"""Who sees which photos: those of the villages in one's area, and one's own uploads."""

from django.db.models import Q, QuerySet

from dudao.accounts.access import effective_role
from dudao.org.access import area_q
from dudao.photos.models import Photo


def photos_visible_to(user) -> QuerySet[Photo]:
    if effective_role(user) is None:
        return Photo.objects.none()
    q = area_q(user, "village__")
    return Photo.objects.all() if q is None else Photo.objects.filter(q | Q(uploaded_by_id=user.pk))
