"""/api/v1/ routes."""

from django.urls import path
from django.views.decorators.debug import sensitive_post_parameters

from casework.api import views

app_name = "api"
urlpatterns = [
    path("cases/", views.CaseListApi.as_view(), name="cases"),
    path("cases/<str:reference>/", views.CaseDetailApi.as_view(), name="case"),
    # The note text is the family's story: never in an error report (on the Django request).
    path(
        "cases/<str:reference>/notes/",
        sensitive_post_parameters("text")(views.CaseNoteAddApi.as_view()),
        name="case-notes",
    ),
    path(
        "cases/<str:reference>/filings/",
        sensitive_post_parameters("notes")(views.CaseFilingAddApi.as_view()),
        name="case-filings",
    ),
]
