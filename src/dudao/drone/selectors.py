"""Reads of drone imagery: each village's score of a week, the week's coverage, the weeks flown, batches and the
photos to review or place. Scoped reads start from drone.access."""

from dataclasses import dataclass

from django.db.models import Avg, Count, Max, Q

from dudao.drone.models import Batch, DronePhoto
from dudao.org.access import area_roots, units_visible_to
from dudao.org.models import RANKED_LEVELS, Unit


def week_scores(campaign, week: str) -> dict[int, float]:
    """Each village's drone score for the week: the mean of its scored photos taken that week."""
    rows = (DronePhoto.objects.filter(campaign=campaign, batch__week=week, outside_week=False, score__isnull=False,
                                      village__isnull=False)
            .values("village_id").annotate(mean=Avg("score")))
    return {row["village_id"]: round(row["mean"], 3) for row in rows}


@dataclass(frozen=True)
class Coverage:
    flown: list[Unit]
    not_flown: list[Unit]
    photos: dict[int, int]  # village pk → photos that week


def coverage(campaign, week: str, user=None) -> Coverage:
    """Which villages the week's drone photos cover, and which they do not."""
    villages = Unit.objects.of_campaign(campaign).ranked().filter(active=True)
    if user is not None:
        villages = villages.filter(pk__in=units_visible_to(user))
    counts: dict[int, int] = dict(
        DronePhoto.objects.filter(campaign=campaign, batch__week=week, outside_week=False, village__isnull=False)
        .order_by().values_list("village_id").annotate(n=Count("pk")))
    ordered = list(villages.select_related("parent").order_by("path"))
    return Coverage([v for v in ordered if v.pk in counts], [v for v in ordered if v.pk not in counts], counts)


def campaign_villages(campaign, user=None) -> list[Unit]:
    """The campaign's active villages and communities (in the user's area when a user is given), in tree order."""
    units = Unit.objects.of_campaign(campaign).ranked().filter(active=True)
    if user is not None and area_roots(user) is not None:
        units = units.filter(pk__in=units_visible_to(user))
    return list(units.select_related("parent").order_by("path"))


def weeks_flown(campaign, limit: int) -> list[dict]:
    """The latest weeks with a batch, newest first: batches, the last upload, and the week's photos counted
    (placed, unplaced, scored, taken outside the week) with the villages flown."""
    counts = {row["batch__week"]: row for row in DronePhoto.objects.filter(campaign=campaign).values("batch__week")
              .annotate(photos=Count("id"), placed=Count("id", filter=Q(village__isnull=False)),
                        unplaced=Count("id", filter=Q(village__isnull=True)),
                        scored=Count("id", filter=Q(score__isnull=False)),
                        outside=Count("id", filter=Q(outside_week=True)),
                        flown=Count("village", distinct=True,
                                    filter=Q(outside_week=False, village__active=True,
                                             village__level__in=RANKED_LEVELS)))
              .order_by()}
    batches = (Batch.objects.filter(campaign=campaign).values("week")
               .annotate(batches=Count("id"), last=Max("created_at")).order_by("-week")[:limit])
    return [{"week": b["week"], "batches": b["batches"], "last": b["last"], **counts.get(b["week"], {})}
            for b in batches]


def week_batches(campaign, week: str) -> list[Batch]:
    return list(Batch.objects.filter(campaign=campaign, week=week).annotate(photo_count=Count("photos"))
                .order_by("-created_at"))


def batch_photos(batch: Batch):
    return batch.photos.select_related("village__parent").order_by("-pk")


def batch_counts(batch: Batch) -> dict:
    return batch.photos.aggregate(photos=Count("id"), placed=Count("id", filter=Q(village__isnull=False)),
                                  unplaced=Count("id", filter=Q(village__isnull=True)),
                                  outside=Count("id", filter=Q(outside_week=True)))


def placed_photos(campaign, week: str) -> list[DronePhoto]:
    """The week's photos on a village (to review)."""
    return list(DronePhoto.objects.filter(campaign=campaign, batch__week=week, village__isnull=False)
                .select_related("village__parent"))


def unplaced_photos(campaign, week: str) -> list[DronePhoto]:
    """The week's photos on no village (to place by hand), oldest first."""
    return list(DronePhoto.objects.filter(campaign=campaign, batch__week=week, village__isnull=True)
                .select_related("batch").order_by("taken_at", "pk"))


def scored_counts(campaign, week: str) -> dict[int, int]:
    """How many of each village's photos of the week are scored."""
    return dict(DronePhoto.objects.filter(campaign=campaign, batch__week=week, outside_week=False,
                                          score__isnull=False, village__isnull=False)
                .values("village_id").annotate(n=Count("id")).values_list("village_id", "n").order_by())


def villages_flown_by_town(campaign, week: str, area: Q | None = None) -> dict[int, int]:
    """Township id (the village's parent) → how many of its active villages the week's drone photos cover (taken
    in the week), of the villages matching ``area`` (a Q on DronePhoto) when given. One aggregate query."""
    rows = DronePhoto.objects.filter(campaign=campaign, batch__week=week, outside_week=False, village__active=True,
                                     village__level__in=RANKED_LEVELS)
    if area is not None:
        rows = rows.filter(area)
    return dict(rows.order_by().values_list("village__parent_id").annotate(n=Count("village", distinct=True)))
