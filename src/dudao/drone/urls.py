from django.urls import path

from dudao.drone import views

urlpatterns = [
    path("drone/photos/<int:photo_id>.jpg", views.drone_display, name="drone_display"),
    path("drone/photos/<int:photo_id>-thumb.jpg", views.drone_thumb, name="drone_thumb"),
    path("drone/photos/<int:photo_id>/original", views.drone_original, name="drone_original"),
    path("drone/", views.drone_home, name="drone_home"),
    path("drone/upload/", views.drone_upload, name="drone_upload"),
    path("drone/review/", views.drone_review, name="drone_review"),
    path("drone/unplaced/", views.drone_unplaced, name="drone_unplaced"),
    path("drone/coverage/", views.drone_coverage, name="drone_coverage"),
    path("drone/photos/<int:pk>/", views.drone_photo, name="drone_photo"),
]
