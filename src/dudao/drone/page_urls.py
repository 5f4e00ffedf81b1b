from django.urls import path

from dudao.drone import pages

urlpatterns = [
    path("drone/", pages.drone_home, name="drone_home"),
    path("drone/upload/", pages.drone_upload, name="drone_upload"),
    path("drone/review/", pages.drone_review, name="drone_review"),
    path("drone/unplaced/", pages.drone_unplaced, name="drone_unplaced"),
    path("drone/coverage/", pages.drone_coverage, name="drone_coverage"),
    path("drone/photos/<int:pk>/", pages.drone_photo, name="drone_photo"),
]
