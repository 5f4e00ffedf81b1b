from django.urls import path

from dudao.exposure import views

urlpatterns = [
    path("exposure/", views.item_list, name="exposure_list"),
    path("exposure/new/", views.item_new, name="exposure_new"),
    path("exposure/<int:pk>/", views.item_detail, name="exposure_detail"),
    path("exposure/<int:pk>/action/", views.item_action, name="exposure_action"),
    path("exposure/<int:pk>/photos/", views.image_add, name="exposure_image_add"),
    path("exposure/<int:pk>/photos/<int:image_pk>/", views.image_regions, name="exposure_regions"),
    path("exposure/<int:pk>/photos/<int:image_pk>/<str:which>.jpg", views.image_file, name="exposure_image"),
    path("exposure/<int:pk>/reply/", views.reply_submit, name="exposure_reply"),
    path("exposure/<int:pk>/reply/action/", views.reply_action, name="exposure_reply_action"),
]
