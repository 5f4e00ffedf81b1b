from django.urls import path

from dudao.photos import views

urlpatterns = [
    path("photos/<int:photo_id>.jpg", views.photo_display, name="photo_display"),
    path("photos/<int:photo_id>-thumb.jpg", views.photo_thumb, name="photo_thumb"),
]
