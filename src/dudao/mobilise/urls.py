from django.urls import path

from dudao.mobilise import views

urlpatterns = [
    path("mobilise/", views.overview, name="mobilise_overview"),
    path("mobilise/town/<str:code>/", views.town_page, name="mobilise_town"),
    path("mobilise/village/<str:code>/", views.village_page, name="mobilise_village"),
    path("mobilise/grid/", views.grid_page, name="mobilise_grid"),
]
