from django.urls import path

from dudao.grids import views

urlpatterns = [
    path("grid/", views.grid_home, name="grid_home"),
    path("grid/report/", views.grid_report, name="grid_report"),
    path("grid/patrol/", views.grid_patrol, name="grid_patrol"),
    path("grid/problems/<int:pk>/rectify/", views.grid_rectify, name="grid_rectify"),
    path("grid/accounts/", views.grid_accounts, name="grid_accounts"),
]
