from django.urls import path

from dudao.practices import views

urlpatterns = [
    path("practices/", views.practice_list, name="practice_list"),
    path("practices/new/", views.practice_new, name="practice_new"),
    path("practices/<int:pk>/", views.practice_detail, name="practice_detail"),
    path("practices/<int:pk>/action/", views.practice_action, name="practice_action"),
    path("practices/<int:pk>/<str:size>.jpg", views.practice_photo, name="practice_photo"),
]
