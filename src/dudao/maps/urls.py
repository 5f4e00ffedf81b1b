from django.urls import path

from dudao.maps import views

urlpatterns = [
    path("map/", views.map_page, name="map"),
    path("map/data.json", views.map_data, name="map_data"),
]
