from django.urls import path

from dudao.inspections import views

urlpatterns = [
    # The field app (an installable web app). The service worker is served from /field/ so that its scope
    # is the app; the manifest and icons are public because browsers fetch them without cookies.
    path("field/", views.field_app, name="field_app"),
    path("field/sw.js", views.field_sw, name="field_sw"),
    path("field/manifest.webmanifest", views.field_manifest, name="field_manifest"),
    path("field/icon-<int:size>.png", views.field_icon, name="field_icon"),
    path("checklists/", views.checklist_list, name="checklist_list"),
    path("checklists/new/", views.checklist_new, name="checklist_new"),
    path("checklists/<int:pk>/", views.checklist_detail, name="checklist_detail"),
    path("checklists/<int:pk>/edit/", views.checklist_edit, name="checklist_edit"),
    path("inspections/", views.inspection_list, name="inspection_list"),
    path("inspections/<int:pk>/", views.inspection_detail, name="inspection_detail"),
]
