"""The per-village extracts of a published round; included from the root URLconf with path("", include(...))."""

from django.urls import re_path

from dudao.bulletins import extract_views

WEEK = r"(?P<week>\d{4}-W\d{2})"
CODE = r"(?P<code>\d{12})"

urlpatterns = [
    re_path(rf"^bulletins/{WEEK}/village/{CODE}/$", extract_views.village, name="bulletin_extract"),
    re_path(rf"^bulletins/{WEEK}/village/{CODE}\.pdf$", extract_views.village_pdf, name="bulletin_extract_pdf"),
    re_path(rf"^bulletins/{WEEK}/villages\.pdf$", extract_views.town_pdf, name="bulletin_extract_town_pdf"),
]
