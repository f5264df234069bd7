"""Helpline settings: one module, driven by environment variables.

Every variable is listed with its default in `.env.example`. The embedded
default (no variables at all) is SQLite and local files under `./var/`.
"""

import secrets
from pathlib import Path
from typing import Any

import dj_database_url
from django.utils.csp import CSP

from helpline.lib.env import ConfigError, env, envbool, envint, envlist

BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(env("HELPLINE_VAR_DIR", str(Path.cwd() / "var"))).resolve()


def _secret_key() -> str:
    """An explicit SECRET_KEY wins; otherwise one generated once and kept in var/."""
    if configured := env("SECRET_KEY"):
        return configured
    key_file = VAR_DIR / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


def _database() -> dict[str, Any]:
    url = env("DATABASE_URL", f"sqlite:///{VAR_DIR / 'helpline.sqlite3'}")
    try:
        config = dj_database_url.parse(url, conn_max_age=envint("DATABASE_CONN_MAX_AGE", 0))
    except ValueError as error:
        raise ConfigError(
            f"DATABASE_URL is not a database URL Helpline understands: {error}"
        ) from None
    if config["ENGINE"] == "django.db.backends.postgresql" and envbool("DATABASE_POOL", True):
        # Each ASGI request runs in its own thread, so persistent connections
        # are not reused; a pool saves a connect (~10 ms) per request.
        config["CONN_MAX_AGE"] = 0
        config.setdefault("OPTIONS", {})["pool"] = {
            "min_size": 1,
            "max_size": envint("DATABASE_POOL_SIZE", 10),
            "timeout": 10,
        }
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # Django's backend, with this process's writers queued in turn before BEGIN
        # instead of retrying on the busy timeout (helpline/lib/sqlite/base.py).
        config["ENGINE"] = "helpline.lib.sqlite"
        # IMMEDIATE takes the write lock at BEGIN, so two writers queue on
        # busy_timeout instead of one failing with "database is locked" when
        # it upgrades a read transaction halfway through.
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
        # A file, not :memory:, so tests with several threads see one database
        # the way the real server does.
        config["TEST"] = {"NAME": str(VAR_DIR / "test-helpline.sqlite3")}
        # `helpline serve` answers on a fixed pool of threads (helpline/asgi.py), so a
        # connection kept by a thread is used again by its next request: opening one
        # (functions registered, PRAGMAs, the schema read) cost ~6 ms a request.
        config["CONN_MAX_AGE"] = envint("DATABASE_CONN_MAX_AGE", 600)
    return dict(config)


def _caches() -> dict[str, Any]:
    """Redis when CACHE_URL names one (shared by every process), else this process's memory."""
    url = env("CACHE_URL")
    if not url:
        # Sign-in throttling keeps two keys per account and address tried; the
        # default of 300 entries would let a flood of names push locks out.
        return {
            "default": {
                "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                "OPTIONS": {"MAX_ENTRIES": 100_000},
            }
        }
    if not url.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigError(f"CACHE_URL must be a redis://, rediss:// or unix:// URL, not {url!r}")
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", "helpline"),
        }
    }


SECRET_KEY = _secret_key()
DEBUG = envbool("DEBUG", False)
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",  # serves the API docs page from local static files, not a CDN
    "django_htmx",
    "django_tasks_db",
    "helpline.accounts",
    "helpline.contacts",
    "helpline.tickets",
    "helpline.jobs",
    "helpline.mail",
    "anymail",
    "helpline.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "helpline.urls"
ASGI_APPLICATION = "helpline.asgi.application"
# Threads that serve HTTP requests in `helpline serve` (helpline/asgi.py). Each holds a
# database connection while it works; on PostgreSQL keep this below DATABASE_POOL_SIZE,
# which the background worker and scheduler share with it.
HELPLINE_HTTP_THREADS = envint("HELPLINE_HTTP_THREADS", 8)

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
            ],
        },
    },
]

DATABASES = {"default": _database()}
CACHES = _caches()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

TASKS = {
    "default": {
        "BACKEND": env("HELPLINE_TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

LANGUAGE_CODE = env("LANGUAGE_CODE", "en")
TIME_ZONE = env("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns on every request otherwise
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Attachments are never served from MEDIA_URL: only through a view that
# checks access. MEDIA_ROOT is therefore not under any static path.
MEDIA_ROOT = Path(env("HELPLINE_MEDIA_ROOT", str(VAR_DIR / "files")))
WHITENOISE_USE_FINDERS = True

_EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
MAILERS: dict[str, dict[str, Any]] = {
    "default": {
        "BACKEND": _EMAIL_BACKEND,
        "OPTIONS": {
            "host": env("EMAIL_HOST", "localhost"),
            "port": envint("EMAIL_PORT", 25),
            "username": env("EMAIL_HOST_USER") or None,
            "password": env("EMAIL_HOST_PASSWORD") or None,
            "use_tls": envbool("EMAIL_USE_TLS", False),
            "use_ssl": envbool("EMAIL_USE_SSL", False),
            "timeout": envint("EMAIL_TIMEOUT", 30),
        },
    }
}
if not _EMAIL_BACKEND.endswith("smtp.EmailBackend"):
    # Console/locmem/file backends take no SMTP options.
    MAILERS["default"]["OPTIONS"] = {}
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Helpline <support@localhost>")
# "smtp" sends through MAILERS above; "keep" (what `helpline demo` uses) only stores
# outgoing mail, readable on the Outgoing mail page, and never opens a connection.
HELPLINE_MAIL_DELIVERY = env("HELPLINE_MAIL_DELIVERY", "smtp")
if HELPLINE_MAIL_DELIVERY not in {"smtp", "keep"}:
    raise ConfigError(
        f"HELPLINE_MAIL_DELIVERY must be smtp or keep, not {HELPLINE_MAIL_DELIVERY!r}"
    )

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = envbool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
# HSTS only once the site is HTTPS-only (SECURE_COOKIES): a browser that saw it
# refuses plain HTTP to this host for the whole period. Sent on HTTPS responses.
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31_536_000) if SESSION_COOKIE_SECURE else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", False)

# A strict Content-Security-Policy on every response: scripts, styles, images
# and fonts only from this site, no inline script or style. Ticket pages show
# mail HTML that nh3 has sanitised; the policy is the second line if nh3 ever
# lets something through, and img-src 'self' blocks remote images (tracking
# pixels) while the app's own inline-image URLs still load.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

# Inbound mail from providers (django-anymail): basic-auth "user:password" put in
# the webhook URL, plus each provider's own signing key where it has one.
ANYMAIL = {
    key: value
    for key, value in {
        "WEBHOOK_SECRET": env("ANYMAIL_WEBHOOK_SECRET"),
        "MAILGUN_WEBHOOK_SIGNING_KEY": env("MAILGUN_WEBHOOK_SIGNING_KEY"),
        "POSTMARK_WEBHOOK_SECRET": env("POSTMARK_WEBHOOK_SECRET"),
        "MAILERSEND_INBOUND_SECRET": env("MAILERSEND_INBOUND_SECRET"),
    }.items()
    if value
}

# Product settings.
HELPLINE_MAX_ATTACHMENT_BYTES = envint("HELPLINE_MAX_ATTACHMENT_MB", 25) * 1024 * 1024
HELPLINE_MAX_EMAIL_BYTES = envint("HELPLINE_MAX_EMAIL_MB", 25) * 1024 * 1024
HELPLINE_IMAP_CA_FILE = env("HELPLINE_IMAP_CA_FILE")
HELPLINE_IMAP_TIMEOUT = envint("HELPLINE_IMAP_TIMEOUT", 30)
HELPLINE_QUOTED_MESSAGES = envint("HELPLINE_QUOTED_MESSAGES", 3)
HELPLINE_AUTO_REPLY_LIMIT = envint("HELPLINE_AUTO_REPLY_LIMIT", 5)
# Authentication-Results authserv-ids to believe when a mailbox names none (comma-separated).
HELPLINE_TRUSTED_AUTHSERV_IDS = env("HELPLINE_TRUSTED_AUTHSERV_IDS", "")
HELPLINE_MAX_MAIL_CCS = envint("HELPLINE_MAX_MAIL_CCS", 20)
HELPLINE_FIRST_RESPONSE_PROMISE = env("HELPLINE_FIRST_RESPONSE_PROMISE", "one business day")
HELPLINE_AUTOCLOSE_DAYS = envint("HELPLINE_AUTOCLOSE_DAYS", 4)
HELPLINE_API_TOKEN_DAYS = envint("HELPLINE_API_TOKEN_DAYS", 365)
HELPLINE_SCHEDULER_TICK_SECONDS = envint("HELPLINE_SCHEDULER_TICK_SECONDS", 30)
# Sign-in throttling (helpline/accounts/signin.py): the failure that locks an
# account (or a client address), the first lock, and the longest (locks double).
HELPLINE_SIGNIN_ACCOUNT_FAILURES = envint("HELPLINE_SIGNIN_ACCOUNT_FAILURES", 5)
HELPLINE_SIGNIN_ADDRESS_FAILURES = envint("HELPLINE_SIGNIN_ADDRESS_FAILURES", 20)
HELPLINE_SIGNIN_FIRST_LOCK_SECONDS = envint("HELPLINE_SIGNIN_FIRST_LOCK_SECONDS", 60)
HELPLINE_SIGNIN_LONGEST_LOCK_SECONDS = envint("HELPLINE_SIGNIN_LONGEST_LOCK_SECONDS", 3600)
# The API body limit must fit a base64-encoded attachment of the largest size.
DATA_UPLOAD_MAX_MEMORY_SIZE = HELPLINE_MAX_ATTACHMENT_BYTES * 4 // 3 + 1024 * 1024

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
