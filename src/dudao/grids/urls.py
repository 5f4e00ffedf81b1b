from django.urls import path

from dudao.grids import views

urlpatterns = [
    path("grid/", views.grid_home, name="grid_home"),
    path("grid/report/", views.grid_report, name="grid_report"),
    path("grid/patrol/", views.grid_patrol, name="grid_patrol"),
    path("grid/problems/<int:pk>/rectify/", views.grid_rectify, name="grid_rectify"),
    path("grid/accounts/", views.grid_accounts, name="grid_accounts"),
    path("grid/courtyards/", views.grid_courtyards, name="grid_courtyards"),
    path("grid/courtyards/<int:pk>/check/", views.grid_courtyard_check, name="grid_courtyard_check"),
    path("grid/courtyards/households/", views.grid_household_add, name="grid_household_add"),
    path("grid/courtyards/village/<str:code>/", views.village_courtyards, name="village_courtyards"),
]
