from django.urls import path, re_path

from dudao.interviews import views

WEEK = r"(?P<week>\d{4}-W\d{2})"

urlpatterns = [
    path("interviews/", views.interview_list, name="interview_list"),
    path("interviews/schedule/", views.schedule_many, name="interview_schedule_many"),
    path("interviews/export.xlsx", views.interview_export, name="interview_export"),
    path("interviews/<int:pk>/", views.interview_detail, name="interview_detail"),
    path("interviews/<int:pk>/outcome/", views.interview_outcome, name="interview_outcome"),
    path("interviews/<int:pk>/<str:action>/", views.interview_action, name="interview_action"),
    path("interviews/commitments/<int:pk>/<str:action>/", views.commitment_action, name="commitment_action"),
    path("interviews/person/<int:person_id>/", views.person_history, name="interview_person"),
    re_path(rf"^ranking/{WEEK}/interviews/$", views.week_interviews, name="ranking_interviews"),
]
