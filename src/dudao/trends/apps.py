from django.apps import AppConfig


class TrendsConfig(AppConfig):
    """Trends over the weeks (a page app on top: it reads ranking and org): a village's composite, position and tier
    with each source's percentile, a township's tier counts, the tier transitions from week to week. Every chart has
    its numbers as a table and a CSV/XLSX export of the same numbers."""

    name = "dudao.trends"
    label = "trends"
