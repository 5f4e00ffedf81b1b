from django.urls import path

from dudao.site import views

urlpatterns = [
    path("", views.home, name="home"),
]
