from django.urls import path, re_path

from dudao.ranking import views

WEEK = r"(?P<week>\d{4}-W\d{2})"

urlpatterns = [
    path("ranking/", views.round_page, name="ranking_round"),
    path("ranking/tiers.css", views.tier_css, name="tier_css"),
    path("ranking/submit/", views.submit, name="ranking_submit"),
    path("ranking/settings/", views.settings_page, name="ranking_settings"),
    path("ranking/inspection/", views.inspection, name="ranking_inspection"),
    path("ranking/village/<str:code>/", views.village, name="ranking_village"),
    re_path(rf"^ranking/{WEEK}/$", views.results, name="ranking_results"),
    re_path(rf"^ranking/{WEEK}/export\.(?P<fmt>csv|xlsx|json)$", views.results_export, name="ranking_export"),
    re_path(rf"^ranking/{WEEK}/upload/$", views.round_upload, name="ranking_upload"),
]
