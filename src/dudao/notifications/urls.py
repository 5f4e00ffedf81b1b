from django.urls import path

from dudao.notifications import views

urlpatterns = [
    path("notifications/", views.notification_list, name="notification_list"),
    path("notifications/<int:pk>/", views.notification_read, name="notification_read"),
    path("notifications/channels/", views.channel_list, name="notification_channels"),
    path("notifications/channels/new/", views.channel_edit, name="notification_channel_new"),
    path("notifications/channels/<int:pk>/", views.channel_edit, name="notification_channel_edit"),
    path("notifications/channels/<int:pk>/action/", views.channel_action, name="notification_channel_action"),
    path("notifications/rules/", views.rule_list, name="notification_rules"),
    path("notifications/outbox/", views.outbox_list, name="notification_outbox"),
]
