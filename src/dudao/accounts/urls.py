from django.urls import path

from dudao.accounts import views

urlpatterns = [
    path("accounts/login/", views.sign_in_view, name="login"),
    path("accounts/logout/", views.sign_out_view, name="logout"),
    path("users/", views.user_list, name="user_list"),
    path("users/new/", views.user_edit, name="user_new"),
    path("users/<str:username>/edit/", views.user_edit, name="user_edit"),
]
