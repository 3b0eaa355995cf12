"""The demo server's settings when it serves a copy of the test database: the site's own,
except that the demo's passwords were hashed as the tests hash them (``conftest.py``)."""

from wangge.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Static files found once at start, not looked for again on every request (whitenoise's
# default under DEBUG): the pages' scripts and styles do not change while the tests run.
WHITENOISE_AUTOREFRESH = False

# Nor asked for again on every page: under DEBUG whitenoise tells the browser to check each
# script and style with the server before each use (max-age=0), a round trip per file per page.
WHITENOISE_MAX_AGE = 3600
