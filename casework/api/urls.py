"""/api/v1/ routes."""

from django.urls import path

from casework.api import views

app_name = "api"
urlpatterns = [
    path("cases/", views.CaseListApi.as_view(), name="cases"),
    path("cases/<str:reference>/", views.CaseDetailApi.as_view(), name="case"),
    path("cases/<str:reference>/notes/", views.CaseNoteAddApi.as_view(), name="case-notes"),
]
