from django.urls import path

from dudao.notifications import views

urlpatterns = [
    path("notifications/", views.notification_list, name="notification_list"),
    path("notifications/<int:pk>/", views.notification_read, name="notification_read"),
]
