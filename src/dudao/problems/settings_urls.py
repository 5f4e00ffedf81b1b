from django.urls import path

from dudao.problems import settings_views

urlpatterns = [
    path("problems/settings/", settings_views.problem_settings, name="problem_settings"),
    path("problems/settings/category/", settings_views.problem_category_edit, name="problem_category_edit"),
    path("problems/settings/calendar/", settings_views.problem_calendar, name="problem_calendar"),
]
