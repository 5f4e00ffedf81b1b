from django.urls import path

from dudao.inspections import views

urlpatterns = [
    # The field app (an installable web app). The service worker is served from /field/ so that its scope
    # is the app; the manifest and icons are public because browsers fetch them without cookies.
    path("field/", views.field_app, name="field_app"),
    path("field/sw.js", views.field_sw, name="field_sw"),
    path("field/manifest.webmanifest", views.field_manifest, name="field_manifest"),
    path("field/icon-<int:size>.png", views.field_icon, name="field_icon"),
    # Checklist and inspection pages go here.
]
