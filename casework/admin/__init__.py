"""The caseworker side: the Django admin site, its dashboard and actions."""
