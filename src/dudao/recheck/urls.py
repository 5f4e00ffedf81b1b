from django.urls import path

from dudao.recheck import views

urlpatterns = [
    path("recheck/", views.recheck_list, name="recheck_list"),
    path("recheck/threshold/", views.recheck_threshold, name="recheck_threshold"),
    path("recheck/<int:pk>/", views.recheck_draw, name="recheck_draw"),
    path("recheck/<int:pk>/<str:code>/", views.recheck_village, name="recheck_village"),
    path("recheck/weeks/<str:week>/", views.recheck_report, name="recheck_report"),
]
