from django.urls import path

from dudao.core import views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
]
