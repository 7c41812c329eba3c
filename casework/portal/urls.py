"""Public family pages (mounted under /ru/, /uk/, /en/)."""

from django.urls import path

from casework.portal import views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("intake/", views.intake, name="intake"),
    path("intake/confirm/", views.intake_confirm, name="intake_confirm"),
    path("status/", views.status, name="status"),
    path("status/add/", views.status_add, name="status_add"),
    path("status/consent/", views.status_consent, name="status_consent"),
    path("status/end/", views.status_end, name="status_end"),
    path(
        "status/documents/<uuid:public_id>/<slug:kind>/",
        views.status_document,
        name="status_document",
    ),
    path("leave/", views.leave, name="leave"),
]
