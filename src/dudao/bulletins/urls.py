from django.urls import path, re_path

from dudao.bulletins import views

WEEK = r"(?P<week>\d{4}-W\d{2})"
CODE = r"(?P<code>\d{12})"

urlpatterns = [
    path("bulletins/", views.bulletin_list, name="bulletin_list"),
    path("bulletins/template/", views.template_page, name="bulletin_template"),
    path("bulletins/template/trials/<int:pk>/", views.template_trial, name="bulletin_template_trial"),
    re_path(r"^bulletins/template/(?P<which>default|current|\d+)\.docx$", views.template_download,
            name="bulletin_template_download"),
    re_path(rf"^bulletins/{WEEK}/$", views.bulletin_week, name="bulletin_week"),
    re_path(rf"^bulletins/{WEEK}/bulletin\.(?P<kind>docx|pdf|xlsx)$", views.bulletin_download,
            name="bulletin_download"),
    re_path(rf"^bulletins/{WEEK}/regenerate/$", views.bulletin_regenerate, name="bulletin_regenerate"),
    re_path(rf"^bulletins/{WEEK}/village/{CODE}/$", views.village, name="bulletin_extract"),
    re_path(rf"^bulletins/{WEEK}/village/{CODE}\.pdf$", views.village_pdf, name="bulletin_extract_pdf"),
    re_path(rf"^bulletins/{WEEK}/villages\.pdf$", views.town_pdf, name="bulletin_extract_town_pdf"),
]
