"""URL map: public pages by language prefix, the caseworker admin, the API, health."""

from django.conf.urls.i18n import i18n_patterns
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from casework import views
from casework.admin.enrolment import enrol
from casework.admin.site import site as admin_site

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    # Above the admin include, whose catch-all would otherwise answer for this path.
    path(
        "admin/attachments/<uuid:public_id>/download/",
        views.attachment_download_view,
        name="attachment_download",
    ),
    path(
        "admin/documents/<int:pk>/download/",
        views.document_download_view,
        name="document_download",
    ),
    path("admin/", admin_site.urls),
    path("enrol/<str:token>/", enrol, name="staff_enrol"),
    path("api/v1/", include("casework.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its script as a file: no inline script, so the strict CSP holds.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
]
# The family pages: all the onion listener serves (config/urls_onion.py, casework/onion.py).
family_urlpatterns = [
    # Bare public paths go to Russian; there is no language cookie to remember a choice.
    path("intake/", RedirectView.as_view(url="/ru/intake/", permanent=False)),
    path("status/", RedirectView.as_view(url="/ru/status/", permanent=False)),
    *i18n_patterns(path("", include("casework.portal.urls")), prefix_default_language=True),
]
urlpatterns += family_urlpatterns
