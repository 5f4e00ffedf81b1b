from django.urls import include, path

from dudao.api.api import api

urlpatterns = [
    path("", include("dudao.core.urls")),
    path("", include("dudao.org.urls")),
    path("", include("dudao.accounts.urls")),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
]

handler403 = "dudao.core.views.forbidden"
handler404 = "dudao.core.views.not_found"
