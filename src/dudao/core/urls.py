from django.urls import path

from dudao.core import views

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/login/", views.sign_in_view, name="login"),
    path("accounts/logout/", views.sign_out_view, name="logout"),
    path("healthz", views.healthz, name="healthz"),
]
