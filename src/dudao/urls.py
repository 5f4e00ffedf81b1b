from django.urls import include, path, re_path

from dudao.api.api import api, api_not_found

urlpatterns = [
    path("", include("dudao.site.urls")),
    path("", include("dudao.core.urls")),
    path("", include("dudao.org.urls")),
    path("", include("dudao.accounts.urls")),
    path("", include("dudao.ranking.urls")),
    path("", include("dudao.publication.urls")),
    path("", include("dudao.photos.urls")),
    path("", include("dudao.problems.urls")),
    path("", include("dudao.inspections.urls")),
    path("", include("dudao.notifications.urls")),
    path("", include("dudao.drone.urls")),
    path("", include("dudao.reports.urls")),
    path("", include("dudao.practices.urls")),
    path("", include("dudao.notices.urls")),
    path("", include("dudao.exposure.urls")),
    path("", include("dudao.grids.urls")),
    path("", include("dudao.interviews.urls")),
    path("", include("dudao.bulletins.urls")),
    path("", include("dudao.plan.urls")),
    path("", include("dudao.recheck.urls")),
    path("", include("dudao.mobilise.urls")),
    path("", include("dudao.maps.urls")),
    path("", include("dudao.dashboard.urls")),
    path("", include("dudao.trends.urls")),
    path("", include("dudao.portal.urls")),
    path("api/v1/", api.urls),
    re_path(r"^api/", api_not_found),
    path("i18n/", include("django.conf.urls.i18n")),
]

handler403 = "dudao.core.views.forbidden"
handler404 = "dudao.core.views.not_found"
