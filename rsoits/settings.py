"""RSOITS settings, read from the environment (django-environ).

Safe defaults exist for local use only: with DEBUG unset (production), SECRET_KEY and
ALLOWED_HOSTS have no default and must be given. The same code runs on the embedded SQLite
default with Celery tasks in-process, and on PostgreSQL + Redis with separate worker and beat
processes, chosen by DATABASE_URL and REDIS_URL alone.
"""

import os
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False) if (BASE_DIR / ".env").exists() else None

DEBUG = env.bool("DEBUG", default=False)
TESTING = env.bool("RSOITS_TESTING", default=False)

# The secret key is read as it is: django-environ would take a value starting with "$" (which a
# generated key may) for the name of another variable.
if DEBUG:
    SECRET_KEY = os.environ.get("SECRET_KEY") or "local-demo-only-insecure-key-never-use-in-production-000000"
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
else:
    SECRET_KEY = os.environ.get("SECRET_KEY", "")
    if not SECRET_KEY:
        raise ImproperlyConfigured("Set the SECRET_KEY environment variable")
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")

CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    # third party
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "guardian",
    "simple_history",
    "django_tables2",
    "django_htmx",
    "import_export",
    "django_celery_beat",
    "django_celery_results",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "axes",
    "csp",
    # ours: core first, then the domain apps in dependency order
    "rsoits",
    "registrants",
    "notifications",
    "cases",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "rsoits.middleware.SessionTimeoutMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "rsoits.middleware.RequireMFAMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "rsoits.middleware.DeniedAccessLogMiddleware",
    # axes last, as its documentation asks
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "rsoits.urls"
WSGI_APPLICATION = "rsoits.wsgi.application"
AUTH_USER_MODEL = "rsoits.User"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "rsoits.context_processors.navigation",
            ],
        },
    }
]
# Forms render through Jinja2, with the USWDS field templates (templates/jinja2/django/forms/...)
# in front of Django's defaults (rsoits/renderers.py).
FORM_RENDERER = "rsoits.renderers.FormRenderer"

# --- databases -------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update({"timeout": 20, "transaction_mode": "IMMEDIATE"})
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
IS_POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")
if IS_POSTGRES and not env.bool("POSTGRES_JIT", default=False):
    # Short OLTP statements: PostgreSQL's JIT costs tens of milliseconds of compilation on a
    # plan it estimates as expensive and saves nothing on them.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
if IS_POSTGRES and env.bool("POSTGRES_PREPARED", default=True):
    # Values sent apart from the SQL (server-side binding), and a statement the connection has
    # run PREPARE_THRESHOLD times prepared: PostgreSQL parses and plans the pages' statements
    # once per connection instead of on every request (the registrant page's statement with its
    # nested rows took 0.8 ms to plan and 0.3 ms to run). Set POSTGRES_PREPARED=0 behind a
    # connection pooler in transaction mode that does not track prepared statements.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"server_side_binding": True, "prepare_threshold": env.int("POSTGRES_PREPARE_THRESHOLD", default=5)}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- cache, broker, Celery -------------------------------------------------------------
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "rsoits.cache.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = REDIS_URL or "memory://"
# Without a broker (embedded default) tasks run in-process, synchronously.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = "django-db"
CELERY_RESULT_EXTENDED = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# One worker process runs its tasks in a prefork pool: only that pool enforces the task time
# limits below (the threads pool ignores them) and can cancel tasks on a lost broker connection.
# Deliveries mostly wait on the network, so the pool has twice as many children as cores.
CELERY_WORKER_POOL = "prefork"
CELERY_WORKER_CONCURRENCY = env.int("CELERY_WORKER_CONCURRENCY", default=2 * (os.cpu_count() or 1))
# Keep a worker's database connections across tasks (CONN_MAX_AGE and the health check decide,
# rsoits/celery.py): Celery's Django fixup otherwise closes them after every task. It still
# recycles them once in this many tasks.
CELERY_DB_REUSE_MAX = 10_000
# Seconds a worker process may sit idle before its connections are checked again (rsoits/celery.py).
CELERY_CONNECTION_CHECK_AFTER_IDLE = env.float("CELERY_CONNECTION_CHECK_AFTER_IDLE", default=1.0)
# Time limits stay well inside the Redis visibility timeout, so a task is never redelivered
# while it is still running.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = "UTC"
# A worker that loses the broker cancels its running late-acknowledged tasks (Celery's
# recommended setting); they are delivered again, and delivery checks its row under lock first.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True

# --- notifications: outbox relay, delivery, deadlines ----------------------------------------
# Links in messages point here (the message carries a link, not the record).
SITE_URL = env("SITE_URL", default="http://localhost:8000")
NOTIFICATIONS_RELAY_BATCH = env.int("NOTIFICATIONS_RELAY_BATCH", default=500)
NOTIFICATIONS_RELAY_MAX_BATCHES = env.int("NOTIFICATIONS_RELAY_MAX_BATCHES", default=20)
NOTIFICATIONS_MAX_ATTEMPTS = env.int("NOTIFICATIONS_MAX_ATTEMPTS", default=8)
NOTIFICATIONS_RETRY_BASE_SECONDS = env.int("NOTIFICATIONS_RETRY_BASE_SECONDS", default=30)
NOTIFICATIONS_RETRY_MAX_SECONDS = env.int("NOTIFICATIONS_RETRY_MAX_SECONDS", default=3600)
# A claimed delivery not finished after this long is re-enqueued by the sweep. It is well
# above the task time limit, so a task still running is never doubled.
NOTIFICATIONS_STALL_SECONDS = env.int("NOTIFICATIONS_STALL_SECONDS", default=600)
NOTIFICATIONS_TASK_TIME_LIMIT = 120
NOTIFICATIONS_TASK_SOFT_TIME_LIMIT = 90
NOTIFICATIONS_HTTP_TIMEOUT = env.float("NOTIFICATIONS_HTTP_TIMEOUT", default=10.0)
# An inbox notification not acknowledged within this is escalated (DESIGN.md "Time rules").
NOTIFICATIONS_ACK_DEADLINE = timedelta(hours=env.float("NOTIFICATIONS_ACK_DEADLINE_HOURS", default=24))
if CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] < NOTIFICATIONS_TASK_TIME_LIMIT * 10:
    raise ImproperlyConfigured("Task time limits must stay well inside the Redis visibility timeout.")

# Beat entries (django-celery-beat's DatabaseScheduler loads them into its tables at start).
# Deadline checks are registered by name in notifications.deadlines (and by the cases app).
CELERY_BEAT_SCHEDULE = {
    "tokens-purge-expired": {"task": "rsoits.purge_expired_tokens", "schedule": 3600.0},
    "notifications-relay": {"task": "notifications.relay", "schedule": 15.0},
    "notifications-sweep": {"task": "notifications.sweep", "schedule": 120.0},
    "deadline-notifications-unacknowledged": {
        "task": "notifications.deadline_check",
        "schedule": 900.0,
        "args": ("notifications.unacknowledged",),
    },
    # Travel notices and cases (DESIGN.md "Time rules"), DoD monitoring (DTM 15-003 att. 3, 3.d).
    "deadline-late-notices": {"task": "cases.tasks.check_late_notices_task", "schedule": 900.0},
    "deadline-vetting-due": {"task": "cases.tasks.check_vetting_due_task", "schedule": 900.0},
    "deadline-returns-overdue": {"task": "cases.tasks.check_returns_overdue_task", "schedule": 3600.0},
    "deadline-hits-review": {"task": "cases.tasks.check_hits_review_overdue_task", "schedule": 900.0},
    "deadline-monitoring-checks": {"task": "cases.escalate_overdue_monitoring_checks", "schedule": 3600.0},
}

# --- auth, sign-in (FBI CJIS Security Policy v5.9.5, 5.5.3 / 5.5.5 / 5.6.2) ----------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "rsoits.auth.RsoitsAuthenticationBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_ADAPTER = "rsoits.auth.AccountAdapter"
ACCOUNT_FORMS = {"login": "rsoits.forms.SystemUseLoginForm"}
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_RATE_LIMITS = False  # django-axes owns lockout
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "RSOITS"
# MFA is enforced for every user outside the local demo.
REQUIRE_MFA = env.bool("REQUIRE_MFA", default=not DEBUG)

AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)  # failures older than this no longer count
# Keyed on the account, as CJIS 5.5.3 asks: an attacker rotating addresses still locks it.
AXES_LOCKOUT_PARAMETERS = ["username"]
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_LOCKOUT_CALLABLE = "rsoits.auth.lockout_response"
AXES_USERNAME_FORM_FIELD = "login"
AXES_USERNAME_CALLABLE = "rsoits.auth.lockout_username"
# Failures are also logged one by one, so only those inside the 15-minute window count.
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_HANDLER = "rsoits.auth.RsoitsAxesHandler"

# With Redis (shared by every worker) a session is read from the cache, not the database, on
# each request; writes still go to the database. A per-process local-memory cache could serve a
# session that another worker has already ended, so without Redis sessions are read from the
# database.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db" if REDIS_URL else "django.contrib.sessions.backends.db"
# Seconds a user's memberships (rsoits.principal) are kept in the cache between requests;
# changes drop them at once. Only with Redis: a per-process cache could not be told of changes
# made in another process.
PRINCIPAL_CACHE_SECONDS = env.int("PRINCIPAL_CACHE_SECONDS", default=60 if REDIS_URL else 0)
SESSION_IDLE_TIMEOUT = env.int("SESSION_IDLE_TIMEOUT", default=30 * 60)
SESSION_ABSOLUTE_TIMEOUT = env.int("SESSION_ABSOLUTE_TIMEOUT", default=12 * 60 * 60)
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_TIMEOUT
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

# --- security headers -------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz/?$"]

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}
PERMISSIONS_POLICY = {"camera": [], "geolocation": [], "microphone": [], "payment": [], "usb": []}

# --- static, media ------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "rsoits.storage.StaticFilesStorage"
        )
    },
}
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(BASE_DIR / "var" / "media")))
MEDIA_URL = "/media/"
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- email ------------------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://" if DEBUG else "smtp://localhost:25")
vars().update(EMAIL_CONFIG)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="rsoits@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- i18n -------------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- REST API ---------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rsoits.api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rsoits.api.permissions.HasMembership"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "rsoits.api.pagination.StandardPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "rsoits.api.exceptions.exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
REST_KNOX = {
    "TOKEN_TTL": timedelta(days=env.int("API_TOKEN_TTL_DAYS", default=90)),
    "AUTO_REFRESH": False,
    "TOKEN_LIMIT_PER_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "RSOITS API",
    "DESCRIPTION": "Registered Sex Offender International Tracking System",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # One schema name per choice set, however many fields use it.
    "ENUM_NAME_OVERRIDES": {
        "DodComponentEnum": "rsoits.choices.DodComponent",
        "AgencyKindEnum": "rsoits.choices.AgencyKind",
        "RoleEnum": "rsoits.choices.Role",
        "IdentifierKindEnum": "registrants.choices.IdentifierKind",
        "AddressKindEnum": "registrants.choices.AddressKind",
        "ForeignNoticeStatusEnum": "cases.choices_foreign.ForeignNoticeStatus",
        "PassportActionStatusEnum": "cases.choices_foreign.PassportActionStatus",
        "PassportActionKindEnum": "cases.choices_foreign.PassportActionKind",
        "PassportLegalBasisEnum": "cases.choices_foreign.PassportLegalBasis",
        "TravelNoticeStatusEnum": "cases.choices.TravelNoticeStatus",
        "TravelPurposeEnum": "cases.choices.TravelPurpose",
        "ReturnOutcomeEnum": "cases.choices.ReturnOutcome",
        "CaseStatusEnum": "cases.choices.CaseStatus",
        "CaseDispositionEnum": "cases.choices.CaseDisposition",
        "CasePriorityEnum": "cases.choices.CasePriority",
        "NotificationChannelEnum": "notifications.choices.Channel",
        "NotificationEventTypeEnum": "notifications.choices.EventType",
        "NotificationRecipientRoleEnum": "notifications.choices.RecipientRole",
        "NotificationPriorityEnum": "notifications.choices.Priority",
        "NotificationStatusEnum": "notifications.choices.NotificationStatus",
        "HitStatusEnum": "cases.choices_hits.HitStatus",
        "MatchDecisionEnum": "cases.choices_hits.MatchDecision",
    },
}

# --- identity matching (docs/matching.md) ------------------------------------------------
# Scores are probabilities in [0, 1]; the accuracy each threshold gives is in docs/matching.md.
MATCH_AUTO_THRESHOLD = env.float("MATCH_AUTO_THRESHOLD", default=0.999)
MATCH_REVIEW_THRESHOLD = env.float("MATCH_REVIEW_THRESHOLD", default=0.35)
MATCH_PRIOR_BITS = env.float("MATCH_PRIOR_BITS", default=20.0)  # log2 odds against a pair before evidence
MATCH_MAX_BLOCK = env.int("MATCH_MAX_BLOCK", default=200)  # candidates scored per subject
MATCH_MAX_CANDIDATES = env.int("MATCH_MAX_CANDIDATES", default=10)  # candidates reported per subject
MATCH_FREQUENCY_TTL = env.int("MATCH_FREQUENCY_TTL", default=0 if TESTING else 900)  # seconds
# A web worker reads the name frequencies when it starts (rsoits/wsgi.py), not at its first hit.
MATCH_WARM_UP_AT_START = env.bool("MATCH_WARM_UP_AT_START", default=not TESTING)
MATCH_SCREEN_BATCH = env.int("MATCH_SCREEN_BATCH", default=1000)
# Processes `manage.py screen` matches its batches in (its --workers option overrides this);
# 0: automatic, as many as the machine has cores (at most 4) for a file matched against the
# registry snapshot below, one for a shorter file.
MATCH_SCREEN_WORKERS = env.int("MATCH_SCREEN_WORKERS", default=1 if TESTING else 0)
# From this many records on, `manage.py screen` reads the registry's matching data once per
# process instead of each batch's candidates (registrants/matching/snapshot.py); 0: never.
MATCH_SCREEN_SNAPSHOT_ROWS = env.int("MATCH_SCREEN_SNAPSHOT_ROWS", default=20000)

# --- history, tables, guardian ------------------------------------------------------------
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True
SIMPLE_HISTORY_REVERT_DISABLED = True
DJANGO_TABLES2_TEMPLATE = "django_tables2/uswds.html"
GUARDIAN_RAISE_403 = False
ANONYMOUS_USER_NAME = None  # no anonymous guardian user: anonymous users see nothing

# --- travel notices and cases (DESIGN.md "Time rules") ------------------------------------
# Days before departure at which a case still being vetted is escalated to the NSOTC supervisor.
CASES_VETTING_ESCALATE_DAYS = env.int("CASES_VETTING_ESCALATE_DAYS", default=3)
# Days after the return date before an unconfirmed return is reported to the SORA.
CASES_RETURN_GRACE_DAYS = env.int("CASES_RETURN_GRACE_DAYS", default=3)
# Hours a hit may wait for an analyst's review before the NSOTC supervisors are told.
HITS_REVIEW_ESCALATE_HOURS = env.int("HITS_REVIEW_ESCALATE_HOURS", default=24)
# Days before departure within which a case counts as "due soon" in the NSOTC queues.
CASES_DUE_SOON_DAYS = env.int("CASES_DUE_SOON_DAYS", default=3)
# Case due date: this many days before departure (vetting must finish before the trip).
CASES_DUE_DAYS_BEFORE_DEPARTURE = env.int("CASES_DUE_DAYS_BEFORE_DEPARTURE", default=2)
# A departure this close raises a case's priority; a case opened by a hit is due this many days on.
CASES_PRIORITY_NEAR_DAYS = env.int("CASES_PRIORITY_NEAR_DAYS", default=14)
CASES_HIT_DUE_DAYS = env.int("CASES_HIT_DUE_DAYS", default=2)
CASE_ATTACHMENT_MAX_BYTES = env.int("CASE_ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)
CASE_ATTACHMENT_CONTENT_TYPES = ["application/pdf", "image/jpeg", "image/png", "image/tiff", "text/plain"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    # httpx logs every request at INFO; a webhook's outcome is on its outbox row (and failures
    # are logged by the delivery service), so one line per delivery would only repeat it.
    "loggers": {"axes": {"level": "WARNING"}, "httpx": {"level": "WARNING"}},
}

# --- DoD installation monitoring (DTM 15-003 att. 3, 3.d) -----------------------------------
# A check overdue by this many days is escalated (the queue shows it as overdue from day one).
MONITORING_ESCALATE_AFTER_DAYS = env.int("MONITORING_ESCALATE_AFTER_DAYS", default=7)
