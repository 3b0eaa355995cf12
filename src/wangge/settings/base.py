"""Settings, read from the environment.

``DATABASE_URL``      default: SQLite (WAL) in ``var/wangge.sqlite3``
``SECRET_KEY``        default: generated once into ``var/secret.key``
``WANGGE_FIELD_KEY``  key(s) for encrypted fields, comma-separated, newest first;
                      default: generated once into ``var/field.key``
``WANGGE_VAR_DIR``    where the SQLite database, keys, uploads and job files live
``WANGGE_DEBUG``      ``1`` for development
``ALLOWED_HOSTS``     comma-separated
"""

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from wangge.core.keys import read_or_create_key

PACKAGE_DIR = Path(__file__).resolve().parent.parent
REPO_DIR = PACKAGE_DIR.parent.parent
# A source checkout keeps its data in ./var beside pyproject.toml; an installed package in
# ./var of the working directory, unless WANGGE_VAR_DIR says where.
_DEFAULT_VAR = REPO_DIR / "var" if (REPO_DIR / "pyproject.toml").exists() else Path.cwd() / "var"
VAR_DIR = Path(os.environ.get("WANGGE_VAR_DIR") or _DEFAULT_VAR).resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_flag("WANGGE_DEBUG")
SECRET_KEY = os.environ.get("SECRET_KEY") or read_or_create_key(VAR_DIR / "secret.key", size=50)
WANGGE_FIELD_KEYS = env_list("WANGGE_FIELD_KEY", "") or [read_or_create_key(VAR_DIR / "field.key")]
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "ninja",
    "django_filters",
    "wangge.core",
    "wangge.accounts",
    "wangge.territory",
    "wangge.people",
    "wangge.cases",
    "wangge.notices",
    "wangge.fieldwork",
    "wangge.lostfound",
    "wangge.open311",
    "wangge.phone",
    "wangge.maps",
    "wangge.dashboards",
    "wangge.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "wangge.core.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "wangge.core.middleware.RequestIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, so "not found" under DEBUG is the friendly page, not Django's technical one.
    "wangge.web.notfound.FriendlyNotFoundMiddleware",
]

ROOT_URLCONF = "wangge.urls"
WSGI_APPLICATION = "wangge.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "wangge.web.context_processors.navigation",
            ],
        },
    },
]

# Database: SQLite in var/ unless DATABASE_URL says otherwise.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'wangge.sqlite3'}",
        conn_max_age=int(os.environ.get("WANGGE_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers go on while one writer writes; IMMEDIATE takes the write lock at
        # the start of a transaction, so two writers queue instead of failing mid-way.
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
            " PRAGMA cache_size=-64000;"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }
    DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ.get("WANGGE_CONN_MAX_AGE", "0"))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
WHITENOISE_USE_FINDERS = DEBUG
# collectstatic writes a gzip copy beside each file; whitenoise (or nginx's gzip_static) sends
# it to browsers that accept it: the dashboard's ECharts travels as 330 KB, not 1 MB.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "media/"

FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Photos of cases: at most this many bytes and pixels (decompression bombs are refused).
WANGGE_PHOTO_MAX_BYTES = int(os.environ.get("WANGGE_PHOTO_MAX_BYTES", str(10 * 1024 * 1024)))
WANGGE_PHOTO_MAX_PIXELS = 50_000_000
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
WANGGE_IMPORT_MAX_BYTES = 64 * 1024 * 1024
# Imports of files larger than this go to a worker as a job; smaller ones run at once.
WANGGE_IMPORT_INLINE_BYTES = int(os.environ.get("WANGGE_IMPORT_INLINE_BYTES", str(512 * 1024)))

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 12 * 3600
CSRF_COOKIE_HTTPONLY = False
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if not DEBUG and env_flag("WANGGE_HTTPS"):
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_flag("WANGGE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("WANGGE_HSTS_SECONDS", "31536000"))
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # HSTS for subdomains and the browsers' preload list bind every host under the domain (a
    # government domain's other sites too) for a year: the operator's choice, off by default.
    # Off is a decision, not an oversight, so `check --deploy` is not asked to warn about it.
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_flag("WANGGE_HSTS_INCLUDE_SUBDOMAINS")
    SECURE_HSTS_PRELOAD = env_flag("WANGGE_HSTS_PRELOAD")
    SILENCED_SYSTEM_CHECKS = [
        *([] if SECURE_HSTS_INCLUDE_SUBDOMAINS else ["security.W005"]),
        *([] if SECURE_HSTS_PRELOAD else ["security.W021"]),
    ]

# Login throttling: failures per username and per client address within the window.
WANGGE_LOGIN_WINDOW_SECONDS = 15 * 60
WANGGE_LOGIN_MAX_FAILURES_PER_USER = 5
WANGGE_LOGIN_MAX_FAILURES_PER_IP = 30
# Reverse proxies in front of the app that append to X-Forwarded-For (nginx: 1).
WANGGE_PROXY_COUNT = int(os.environ.get("WANGGE_PROXY_COUNT", "0"))
# API tokens live this long unless revoked.
WANGGE_TOKEN_TTL_DAYS = int(os.environ.get("WANGGE_TOKEN_TTL_DAYS", "30"))
# Open311: new requests a client may file per minute (an integrator's burst, not a flood).
WANGGE_OPEN311_POSTS_PER_MINUTE = int(os.environ.get("WANGGE_OPEN311_POSTS_PER_MINUTE", "120"))
# Patrols: a pause in a trace longer than this (no fix, screen off, no network) is a gap, not
# walked; and the minutes a day local practice asks a grid worker to patrol.
WANGGE_PATROL_GAP_SECONDS = int(os.environ.get("WANGGE_PATROL_GAP_SECONDS", "120"))
WANGGE_PATROL_DAILY_MINUTES = int(os.environ.get("WANGGE_PATROL_DAILY_MINUTES", "120"))
# What Open311 discovery says about who runs the service and how to get a key (empty: a
# default text).
WANGGE_OPEN311_CONTACT = os.environ.get("WANGGE_OPEN311_CONTACT", "")
WANGGE_OPEN311_KEY_SERVICE = os.environ.get("WANGGE_OPEN311_KEY_SERVICE", "")
# Office hours on working days, for deadlines counted in working hours and days.
WANGGE_OFFICE_HOURS = os.environ.get("WANGGE_OFFICE_HOURS", "08:30-12:00,14:00-17:30")
# "Visited recently" for household coverage.
WANGGE_VISIT_WINDOW_DAYS = 90
# The map page draws the district's own geometry; a tile URL template (``{z}/{x}/{y}``, an
# intranet tile server, AMap, Tianditu …) adds a base map under it. Tiles drawn in GCJ-02
# (AMap, Tencent) need the overlays shifted: ``gcj02``; WGS-84 or CGCS2000 (OpenStreetMap,
# Tianditu): ``wgs84``.
WANGGE_MAP_TILES = os.environ.get("WANGGE_MAP_TILES", "").strip()
WANGGE_MAP_TILES_CRS = os.environ.get("WANGGE_MAP_TILES_CRS", "wgs84").strip().lower()

# Notices and the outbox. Links in messages start with WANGGE_SITE_URL (the address residents
# open, e.g. https://wangge.example.gov.cn); empty: the path alone.
WANGGE_SITE_URL = os.environ.get("WANGGE_SITE_URL", "").strip().rstrip("/")
# Residents following a case or a grid are sent a code first: good for this many minutes and
# tries; at most (an hour, a day) codes per number, per device (a cookie) and per network
# address (generous: a building behind one router).
WANGGE_FOLLOW_CODE_MINUTES = 10
WANGGE_FOLLOW_CODE_TRIES = 5
WANGGE_FOLLOW_CODES_PER_NUMBER = (3, 10)
WANGGE_FOLLOW_CODES_PER_DEVICE = (5, 20)
WANGGE_FOLLOW_CODES_PER_ADDRESS = (30, 100)
# WeCom group robots post here (an intranet proxy, or a fake server in tests); at most
# WANGGE_WECOM_PER_WINDOW messages per robot in WANGGE_WECOM_WINDOW_SECONDS (WeCom: 20/min).
WANGGE_WECOM_WEBHOOK_URL = os.environ.get(
    "WANGGE_WECOM_WEBHOOK_URL", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send"
)
WANGGE_WECOM_PER_WINDOW = int(os.environ.get("WANGGE_WECOM_PER_WINDOW", "20"))
WANGGE_WECOM_WINDOW_SECONDS = float(os.environ.get("WANGGE_WECOM_WINDOW_SECONDS", "60"))
# SMS: "log" (a line per message in the worker's log, nothing sent) or "http" (a JSON
# gateway at WANGGE_SMS_URL, with a bearer token if WANGGE_SMS_TOKEN is set).
WANGGE_SMS_PROVIDER = os.environ.get("WANGGE_SMS_PROVIDER", "log").strip().lower()
WANGGE_SMS_URL = os.environ.get("WANGGE_SMS_URL", "").strip()
WANGGE_SMS_TOKEN = os.environ.get("WANGGE_SMS_TOKEN", "").strip()
WANGGE_SMS_MAX_CHARS = int(os.environ.get("WANGGE_SMS_MAX_CHARS", "300"))
# A delivery's send waits this long for an answer; its lease (how long before another worker
# takes over a row whose worker died) must be longer. Failures are retried after the base
# delay, doubling, until the maximum number of attempts.
WANGGE_DELIVERY_TIMEOUT_SECONDS = float(os.environ.get("WANGGE_DELIVERY_TIMEOUT_SECONDS", "10"))
WANGGE_DELIVERY_LEASE_SECONDS = float(os.environ.get("WANGGE_DELIVERY_LEASE_SECONDS", "60"))
WANGGE_DELIVERY_RETRY_SECONDS = float(os.environ.get("WANGGE_DELIVERY_RETRY_SECONDS", "30"))
WANGGE_DELIVERY_MAX_ATTEMPTS = int(os.environ.get("WANGGE_DELIVERY_MAX_ATTEMPTS", "6"))
# E-mail (Django's EMAIL_* settings): the sender, and the domain of the messages' ids.
DEFAULT_FROM_EMAIL = os.environ.get("WANGGE_MAIL_FROM", "wangge@localhost")
WANGGE_MAIL_DOMAIN = os.environ.get("WANGGE_MAIL_DOMAIN", "wangge.local")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_flag("EMAIL_USE_TLS")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("WANGGE_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

WANGGE_DEMO_PASSWORD = "wangge-demo"
WANGGE_SITE_NAME = _("Wangge")

AUTHENTICATION_BACKENDS = ["wangge.accounts.backends.RoleBackend"]
