from django.urls import path

from dudao.accounts import views

urlpatterns = [
    path("accounts/login/", views.sign_in_view, name="login"),
    path("accounts/logout/", views.sign_out_view, name="logout"),
    path("account/", views.account, name="account"),
    path("devices/<int:pk>/revoke/", views.device_revoke, name="device_revoke"),
    path("users/<str:username>/devices/", views.user_devices, name="user_devices"),
    path("users/", views.user_list, name="user_list"),
    path("users/new/", views.user_edit, name="user_new"),
    path("users/<str:username>/edit/", views.user_edit, name="user_edit"),
]
