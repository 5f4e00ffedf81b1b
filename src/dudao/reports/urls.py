from django.urls import path

from dudao.reports import views

urlpatterns = [
    path("reports/", views.report_triage, name="report_triage"),
    path("reports/<int:pk>/", views.report_action, name="report_action"),
    path("reports/<int:pk>/<str:size>.jpg", views.report_photo, name="report_photo"),
]
