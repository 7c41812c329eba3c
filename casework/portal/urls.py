"""Public family pages (mounted under /ru/, /uk/, /en/)."""

from django.urls import path

from casework.portal import views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
]
