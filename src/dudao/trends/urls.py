from django.urls import path

from dudao.trends import views

urlpatterns = [
    path("trends/village/<str:code>/", views.village, name="trend_village"),
    path("trends/village/<str:code>/export.<str:fmt>", views.village_export, name="trend_village_export"),
    path("trends/town/<str:code>/", views.town, name="trend_town"),
    path("trends/town/<str:code>/export.<str:fmt>", views.town_export, name="trend_town_export"),
    path("trends/transitions/", views.transitions, name="trend_transitions"),
    path("trends/transitions/export.<str:fmt>", views.transitions_export, name="trend_transitions_export"),
]
