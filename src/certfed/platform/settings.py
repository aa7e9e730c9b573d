"""Django settings for certfed. Everything a deployment changes comes from CERTFED_* variables."""

from __future__ import annotations

import os

import dj_database_url

from certfed.platform import config

DATA_DIR = config.data_dir()
DATA_DIR.mkdir(parents=True, exist_ok=True)
(DATA_DIR / "static").mkdir(exist_ok=True)

SECRET_KEY = config.secret_key()
DEBUG = os.environ.get("CERTFED_DEBUG", "") == "1"
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("CERTFED_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver").split(
        ","
    )
    if h.strip()
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("CERTFED_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "ninja",
    "certfed.platform",
    "certfed.members",
    "certfed.sharing",
    "certfed.intel",
    "certfed.audit",
    "certfed.exchange",
]

MIDDLEWARE = [
    "certfed.platform.middleware.JsonApiErrorsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "certfed.members.middleware.SuspendedOrganisationMiddleware",
    "certfed.platform.middleware.RejectNulMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "certfed.platform.urls"
WSGI_APPLICATION = "certfed.platform.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


def _database() -> dict:
    db = dj_database_url.parse(config.database_url(), conn_max_age=60)
    if db["ENGINE"] == "django.db.backends.sqlite3":
        # WAL lets readers run beside the writer; IMMEDIATE avoids "database is locked"
        # upgrades when two writers race. A 128 MB page cache keeps the indexes hot during
        # bulk ingest (random uuids); it is allocated only as pages are actually used.
        db["OPTIONS"] = {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
            " PRAGMA busy_timeout=10000; PRAGMA foreign_keys=ON;"
            " PRAGMA cache_size=-131072; PRAGMA temp_store=MEMORY; PRAGMA mmap_size=268435456;",
            "transaction_mode": "IMMEDIATE",
        }
        db["CONN_MAX_AGE"] = 0
        from pathlib import Path

        Path(db["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    return db


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "members.User"
AUTHENTICATION_BACKENDS = ["certfed.members.auth.MemberBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "event-list"
LOGOUT_REDIRECT_URL = "login"

AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
# Serve straight from the app folders: no collectstatic step to forget on a fresh machine.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# Imports, TAXII pushes and MISP events can be large; streamed endpoints are not limited.
DATA_UPLOAD_MAX_MEMORY_SIZE = 64 * 1024 * 1024

# Behind TLS (production), set CERTFED_SECURE=1: secure cookies, HSTS, HTTPS redirects.
_SECURE = os.environ.get("CERTFED_SECURE", "") == "1"
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = _SECURE
SECURE_HSTS_SECONDS = 31536000 if _SECURE else 0
SECURE_SSL_REDIRECT = _SECURE
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if _SECURE else None
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True

NINJA_PAGINATION_MAX_LIMIT = 500

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("CERTFED_LOG_LEVEL", "WARNING")},
}

# Which membership categories make up the "community" audience; the secretariat can change it.
CERTFED_COMMUNITY_CATEGORIES = tuple(
    c.strip()
    for c in os.environ.get("CERTFED_COMMUNITY_CATEGORIES", "full,general").split(",")
    if c.strip()
)

# A value held by more events than this is "over-correlating": marked, not expanded.
CERTFED_CORRELATION_MAX_EVENTS = int(os.environ.get("CERTFED_CORRELATION_MAX_EVENTS", "50"))
# Largest file POST /api/v1/import accepts (the CLI has no limit).
CERTFED_IMPORT_MAX_BYTES = int(os.environ.get("CERTFED_IMPORT_MAX_BYTES", str(64 * 1024 * 1024)))
# CERTFED_SURICATA_SID_BASE (first sid of the Suricata export) is read from the environment
# by exchange.exports.suricata when the export runs.
