"""URL map of the onion listener (casework/onion.py): the family pages and nothing else.

No admin, no API, no health check, no staff enrolment: on the onion address they do not exist.
Static files are served by WhiteNoise before any URL map is read.
"""

from config.urls import family_urlpatterns

urlpatterns = family_urlpatterns
