from django.urls import re_path

from dudao.publication import views

WEEK = r"(?P<week>\d{4}-W\d{2})"

urlpatterns = [
    re_path(rf"^ranking/{WEEK}/action/$", views.round_action, name="ranking_action"),
]
