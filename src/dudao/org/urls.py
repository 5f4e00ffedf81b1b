from django.urls import path

from dudao.org import views

urlpatterns = [
    path("units/", views.unit_tree, name="unit_tree"),
    path("units/search/", views.unit_search, name="unit_search"),
    path("units/import/", views.unit_import, name="unit_import"),
    path("units/template.xlsx", views.unit_template, name="unit_template"),
    path("units/export.<str:fmt>", views.unit_export, name="unit_export"),
    path("units/<str:code>/", views.unit_detail, name="unit_detail"),
    path("units/<str:code>/edit/", views.unit_edit, name="unit_edit"),
    path("people/", views.person_list, name="person_list"),
    path("people/new/", views.person_edit, name="person_new"),
    path("people/import/", views.people_import_view, name="people_import"),
    path("people/template.xlsx", views.people_template, name="people_template"),
    path("people/export.xlsx", views.people_export, name="people_export"),
    path("people/<int:pk>/", views.person_detail, name="person_detail"),
    path("people/<int:pk>/edit/", views.person_edit, name="person_edit"),
    path("people/<int:pk>/posts/new/", views.post_new, name="post_new"),
    path("posts/<int:pk>/end/", views.post_end_view, name="post_end"),
    path("groups/", views.group_list, name="group_list"),
    path("groups/new/", views.group_edit, name="group_new"),
    path("groups/<int:pk>/", views.group_detail, name="group_detail"),
    path("groups/<int:pk>/edit/", views.group_edit, name="group_edit"),
    path("groups/<int:pk>/members/", views.group_member_add, name="group_member_add"),
    path("groups/members/<int:pk>/remove/", views.group_member_remove_view, name="group_member_remove"),
]
