from django.urls import path

from dudao.inspections import pages

urlpatterns = [
    path("checklists/", pages.checklist_list, name="checklist_list"),
    path("checklists/new/", pages.checklist_new, name="checklist_new"),
    path("checklists/<int:pk>/", pages.checklist_detail, name="checklist_detail"),
    path("checklists/<int:pk>/edit/", pages.checklist_edit, name="checklist_edit"),
    path("inspections/", pages.inspection_list, name="inspection_list"),
    path("inspections/<int:pk>/", pages.inspection_detail, name="inspection_detail"),
]
