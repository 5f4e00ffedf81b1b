from django.urls import path, re_path

from dudao.portal import exposure, notices, practices, reports, views

urlpatterns = [
    path("public/", views.index, name="public_index"),
    path("public/feed.atom", views.feed, name="public_feed"),
    path("public/weeks/<str:week>/", views.week, name="public_week"),
    path("public/weeks/<str:week>/lists.csv", views.lists_csv, name="public_lists_csv"),
    path("public/weeks/<str:week>/article/", views.article, name="public_article"),
    path("public/weeks/<str:week>/article.txt", views.article_txt, name="public_article_txt"),
    path("public/weeks/<str:week>/poster.png", views.poster_png, name="public_poster"),
    path("public/villages/<str:code>/", views.village, name="public_village"),
    path("public/villages/<str:code>/<str:week>/broadcast.txt", views.broadcast, name="public_broadcast"),
    path("public/report/", reports.report_form, name="public_report"),
    path("public/report/area.json", reports.report_area, name="public_report_area"),
    path("public/report/find/", reports.report_find, name="public_report_find"),
    path("public/report/<str:code>/", reports.report_status, name="public_report_status"),
    path("public/practices/", practices.practice_index, name="public_practices"),
    path("public/practices/<int:pk>/", practices.practice_page, name="public_practice"),
    path("public/practices/<int:pk>/photo.jpg", practices.practice_photo, name="public_practice_photo"),
    path("public/notices/", notices.notice_index, name="public_notices"),
    path("public/notices/<int:pk>/file", notices.notice_file, name="public_notice_file"),
    path("public/exposure/", exposure.exposure_index, name="public_exposure"),
    path("public/positive/", exposure.positive_index, name="public_positive"),
    path("public/items/<int:pk>/", exposure.item_page, name="public_item"),
    path("public/items/<int:pk>/photos/<int:image_pk>.jpg", exposure.item_photo, name="public_item_photo"),
    path("open311/v2/discovery.json", views.open311_discovery, name="open311_discovery"),
    path("open311/v2/services.json", views.open311_services, name="open311_services"),
    path("open311/v2/requests.json", views.open311_requests, name="open311_requests"),
    path("open311/v2/requests/<str:number>.json", views.open311_request, name="open311_request"),
    re_path(r"^public/(?P<rest>.*)$", views.not_found),
    re_path(r"^open311/(?P<rest>.*)$", views.open311_not_found),
]
