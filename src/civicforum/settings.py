"""Django settings for CivicForum, read from the environment.

Defaults are safe for production (DEBUG off, secure cookies, HSTS, CSP); ``make run`` sets
``DEBUG=1`` for local use. The database is SQLite under ``var/`` unless ``DATABASE_URL`` says
otherwise, so a newcomer needs no server to try the site.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent.parent
VAR_DIR = Path(os.environ.get("CIVICFORUM_VAR_DIR", PROJECT_DIR / "var"))


def env_flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "", separator: str = ",") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(separator) if item.strip()]


DEBUG = env_flag("DEBUG")
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG and env_flag("CIVICFORUM_REQUIRE_SECRET_KEY"):
        raise RuntimeError("SECRET_KEY must be set in production (CIVICFORUM_REQUIRE_SECRET_KEY is set).")
    # Development and test fallback; production deployments must set SECRET_KEY.
    SECRET_KEY = "django-insecure-development-key-set-SECRET_KEY-in-production"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rules.apps.AutodiscoverRulesConfig",
    "crispy_forms",
    "crispy_forms_gds",
    "django_tasks",
    "django_tasks_db",
    "civicforum.core",
    "civicforum.processes",
    "civicforum.recruitment",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "civicforum.core.middleware.SecurityHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "civicforum.core.middleware.MethodNotAllowedPageMiddleware",
]

ROOT_URLCONF = "civicforum.urls"
WSGI_APPLICATION = "civicforum.wsgi.application"
ASGI_APPLICATION = "civicforum.asgi.application"

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
                "civicforum.core.context_processors.site",
            ],
        },
    },
]

# Database: SQLite in WAL mode under var/ by default (readers do not block the writer);
# PostgreSQL in production through DATABASE_URL.
SQLITE_PATH = VAR_DIR / "civicforum.sqlite3"
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{SQLITE_PATH}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    if DATABASES["default"]["NAME"] == str(SQLITE_PATH):
        VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;",
            "transaction_mode": "IMMEDIATE",
        }
    )

# The cache holds the counts of wrong registration codes and passwords (the rate limits), so every worker must
# share it and a restart must not reset it: a table in the database, which core's migration 0002 creates
# (``civicforum migrate``). Expired rows are culled; MAX_ENTRIES keeps many visitors from evicting counts.
CACHE_TABLE = "civicforum_cache"
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": CACHE_TABLE,
        "OPTIONS": {"MAX_ENTRIES": 100_000},
    }
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "processes:dashboard"
LOGOUT_REDIRECT_URL = "processes:home"

# Django's checks, with GOV.UK-style messages; the first a password fails is the one shown.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "civicforum.core.passwords.MinimumLengthValidator"},
    {"NAME": "civicforum.core.passwords.NumericPasswordValidator"},
    {"NAME": "civicforum.core.passwords.CommonPasswordValidator"},
    {"NAME": "civicforum.core.passwords.UserAttributeSimilarityValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
# GOV.UK Frontend is copied into static/vendor/ by ``make assets`` (not committed).
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "/media/"

CRISPY_ALLOWED_TEMPLATE_PACKS = ["gds"]
CRISPY_TEMPLATE_PACK = "gds"

# Background tasks: run inline by default; TASKS_BACKEND=database queues them in the database
# for a worker started with ``civicforum db_worker``.
if os.environ.get("TASKS_BACKEND", "immediate") == "database":
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
else:
    TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

# Security: safe by default, relaxed only for local development.
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
CSRF_FAILURE_VIEW = "civicforum.core.views.csrf_failure"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_HSTS_SECONDS = 0 if DEBUG else int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_SSL_REDIRECT = env_flag("SECURE_SSL_REDIRECT")
# A load balancer checks /healthz over plain HTTP inside the network: a redirect would read as "down".
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
if env_flag("BEHIND_TLS_PROXY"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# How many proxies in front of the site append to X-Forwarded-For (a load balancer and nginx: 2).
TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "1"))
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)

# Field-level encryption of registration data (recruitment): comma-separated keys, newest first.
FIELD_ENCRYPTION_KEYS = env_list("FIELD_ENCRYPTION_KEYS")

# Longest a panel selection may compute (seconds) before it keeps the fairest distribution found so far.
SELECTION_TIME_LIMIT = float(os.environ.get("SELECTION_TIME_LIMIT", "900"))

# Email: SMTP through EMAIL_HOST in production. On a developer's machine (DEBUG) with no EMAIL_HOST,
# messages are written as files under var/sent-mail/ so that trying the demo sends nobody anything and
# the messages can still be read.
_smtp_configured = bool(os.environ.get("EMAIL_HOST"))
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587" if _smtp_configured else "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_flag("EMAIL_USE_TLS", default=_smtp_configured)
EMAIL_TIMEOUT = 20
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "CivicForum <no-reply@localhost>")
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.filebased.EmailBackend"
    if DEBUG and not _smtp_configured
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_FILE_PATH = VAR_DIR / "sent-mail"

# What the site calls itself; the council name in the header comes from the forum's council.
CIVICFORUM_SITE_NAME = os.environ.get("CIVICFORUM_SITE_NAME", "CivicForum")
CIVICFORUM_PHASE = os.environ.get("CIVICFORUM_PHASE", "Beta")
# Where the phase banner sends people to say what they think of the service (a web form or mailto: address).
CIVICFORUM_FEEDBACK_URL = os.environ.get("CIVICFORUM_FEEDBACK_URL", "")
# The accessibility statement's compliance status, which only the council can state, after testing the site
# itself: "full", or "partial" with the problems it found, separated by "|". Unset (or "partial" with no
# problems listed), the statement says the council has not yet stated it. Dates are written YYYY-MM-DD.
CIVICFORUM_ACCESSIBILITY_STATUS = os.environ.get("CIVICFORUM_ACCESSIBILITY_STATUS", "")
CIVICFORUM_ACCESSIBILITY_PROBLEMS = env_list("CIVICFORUM_ACCESSIBILITY_PROBLEMS", separator="|")
CIVICFORUM_ACCESSIBILITY_TESTED = os.environ.get("CIVICFORUM_ACCESSIBILITY_TESTED", "")
CIVICFORUM_ACCESSIBILITY_PREPARED = os.environ.get("CIVICFORUM_ACCESSIBILITY_PREPARED", "")
# Where the footer's "source code" link goes: a council that changes CivicForum can point it at its own
# repository. Unset, the site serves an archive of the code it is running (/source/), which is what the
# AGPL asks of software offered over a network.
CIVICFORUM_SOURCE_URL = os.environ.get("CIVICFORUM_SOURCE_URL", "")
# The site's address as residents reach it, printed on letters and sent in account emails (see
# core/addresses.py). Unset, those addresses use the host the officer is browsing on.
CIVICFORUM_PUBLIC_URL = os.environ.get("CIVICFORUM_PUBLIC_URL", "")

LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"keyvalue": {"()": "civicforum.core.logging.KeyValueFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "keyvalue"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        "django.server": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        "civicforum": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
    },
}
