from django.urls import path

from dudao.problems import views

urlpatterns = [
    path("problems/", views.problem_list, name="problem_list"),
    path("problems/new/", views.problem_new, name="problem_new"),
    path("problems/export.<str:fmt>", views.problem_export, name="problem_export"),
    path("problems/<int:pk>/", views.problem_detail, name="problem_detail"),
    path("problems/<int:pk>/public/", views.problem_public, name="problem_public"),
    path("problems/<int:pk>/<str:transition>/", views.problem_transition, name="problem_transition"),
    path("problems/settings/", views.problem_settings, name="problem_settings"),
    path("problems/settings/category/", views.problem_category_edit, name="problem_category_edit"),
    path("problems/settings/calendar/", views.problem_calendar, name="problem_calendar"),
]
