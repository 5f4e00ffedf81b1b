from django.urls import path

from dudao.drone import views

urlpatterns = [
    path("drone/photos/<int:photo_id>.jpg", views.drone_display, name="drone_display"),
    path("drone/photos/<int:photo_id>-thumb.jpg", views.drone_thumb, name="drone_thumb"),
    path("drone/photos/<int:photo_id>/original", views.drone_original, name="drone_original"),
]
