from django.templatetags.static import static
from django.urls import path
from django.views.generic import RedirectView

from dudao.core import views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    # Browsers ask for /favicon.ico where a page does not name its icon (an API answer, a download).
    path("favicon.ico", RedirectView.as_view(url=static("dudao/favicon.svg"), permanent=True)),
]
