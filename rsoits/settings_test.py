"""Settings for the test suite: the local defaults, with the same DATABASE_URL / REDIS_URL
switches as production. Tests that need production behaviour override settings themselves."""

import os

os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("RSOITS_TESTING", "1")
os.environ.setdefault("REQUIRE_MFA", "0")

from .settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast; tests only
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = BASE_DIR / "var" / "test-media"  # noqa: F405
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
