"""URL map: public pages by language prefix, the caseworker admin, the API, health."""

from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from casework import views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    # Bare public paths go to Russian; there is no language cookie to remember a choice.
    path("intake/", RedirectView.as_view(url="/ru/intake/", permanent=False)),
    path("status/", RedirectView.as_view(url="/ru/status/", permanent=False)),
]
urlpatterns += i18n_patterns(
    path("", include("casework.portal.urls")), prefix_default_language=True
)
