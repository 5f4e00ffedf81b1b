from django.urls import path

from dudao.plan import coverage_views, views

urlpatterns = [
    path("plan/", views.plan_map, name="plan_map"),
    path("plan/timeline/", views.plan_timeline, name="plan_timeline"),
    path("plan/organisation/", views.plan_organisation, name="plan_organisation"),
    path("plan/actions/", views.action_list, name="plan_actions"),
    path("plan/actions/import/", views.action_import, name="plan_import"),
    path("plan/actions/export/", views.action_export, name="plan_export"),
    path("plan/actions/<int:no>/", views.action_detail, name="plan_action"),
    path("plan/actions/<int:no>/act/", views.action_act, name="plan_action_act"),
    path("plan/actions/<int:no>/evidence/", views.action_evidence, name="plan_action_evidence"),
    path("plan/tasks/new/<int:no>/", views.task_new, name="plan_task_new"),
    path("plan/tasks/<int:pk>/", views.task_detail, name="plan_task"),
    path("plan/documents/", views.document_list, name="plan_documents"),
    path("plan/documents/<int:pk>/", views.document_detail, name="plan_document"),
    path("plan/documents/<int:pk>/<int:number>/", views.document_file, name="plan_document_file"),
    path("plan/photos/<int:pk>/<str:size>.jpg", views.progress_photo, name="plan_photo"),
    path("plan/visits/", coverage_views.visit_plans, name="plan_visit_plans"),
    path("plan/visits/<int:group>/<str:week>/", coverage_views.visit_plan, name="plan_visit_plan"),
    path("plan/coverage/", coverage_views.coverage_page, name="plan_coverage"),
    path("plan/coverage/settings/", coverage_views.coverage_settings, name="plan_coverage_settings"),
]
