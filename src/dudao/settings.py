"""Django settings. Every value comes from the environment through dudao.env (see README, Configuration)."""

from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from dudao.core.csp import map_policy
from dudao.env import env_bool, env_choice, env_int, env_list, env_str, home_dir, secret_key

PACKAGE_DIR = Path(__file__).resolve().parent
HOME = home_dir()

SECRET_KEY = secret_key(HOME)
DEBUG = env_bool("DUDAO_DEBUG", False)
ALLOWED_HOSTS = env_list("DUDAO_ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("DUDAO_CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    # Before django.contrib.auth: its createsuperuser and changepassword are replaced by audit-logged ones.
    "dudao.accounts",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "dudao.core",
    "dudao.worker",
    "dudao.audit",
    "dudao.org",
    "dudao.campaigns",
    "dudao.ranking",
    "dudao.photos",
    "dudao.notifications",
    "dudao.problems",
    "dudao.inspections",
    "dudao.drone",
    "dudao.reports",
    "dudao.practices",
    "dudao.notices",
    "dudao.grids",
    "dudao.interviews",
    "dudao.bulletins",
    "dudao.exposure",
    "dudao.plan",
    "dudao.recheck",
    "dudao.mobilise",
    "dudao.publication",
    "dudao.api",
    "dudao.demo",
    "dudao.dashboard",
    "dudao.site",
    "dudao.maps",
    "dudao.trends",
    "dudao.portal",
    "dudao.backup",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "dudao.core.middleware.ContentSecurityPolicyMiddleware",  # before WhiteNoise: static files get it too
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "dudao.core.middleware.IdleSessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "dudao.core.kept.KeptPagesMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "dudao.urls"
WSGI_APPLICATION = "dudao.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "dudao.site.context.navigation",
            ],
        },
    },
]

_database_url = env_str("DATABASE_URL", "")
if _database_url:
    DATABASES = {"default": dj_database_url.parse(_database_url, conn_max_age=60, conn_health_checks=True)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(HOME / "dudao.sqlite3"),
            "OPTIONS": {
                # WAL lets readers work while one writer commits; IMMEDIATE takes the write lock at BEGIN so
                # two writers queue on the busy timeout instead of failing with "database is locked".
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
            },
            # Reused across requests like PostgreSQL's (opening one runs the PRAGMAs above each time).
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Kept pages (dudao.core.kept): the views leaders open most, and the grid people's home screens (their home, their
# courtyard round, their village's weekly extract), rendered once per generation of the data and per session, kept
# in each process's memory for KEPT_PAGES_SECONDS at most.
KEPT_PAGES = frozenset({
    "ranking_results", "interview_list", "bulletin_week", "problem_list", "dashboard", "screen", "screen_data",
    "map", "map_data", "trend_transitions", "api-v1:units", "api-v1:rounds", "api-v1:round_detail",
    "api-v1:round_results", "api-v1:interviews", "grid_home", "grid_courtyards", "bulletin_extract",
})
KEPT_PAGES_SECONDS = env_int("DUDAO_KEPT_PAGES_SECONDS", 60, minimum=0)
KEPT_PAGES_CACHE = "pages"
KEPT_PAGES_MAX_BYTES = 8 * 1024 * 1024
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "dudao-default"},
    KEPT_PAGES_CACHE: {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "dudao-pages",
                       "TIMEOUT": KEPT_PAGES_SECONDS, "OPTIONS": {"MAX_ENTRIES": 2000}},
}

SESSION_COOKIE_AGE = env_int("DUDAO_SESSION_MINUTES", 30) * 60
# An idle timeout without a write per request: dudao.core.middleware.IdleSessionMiddleware moves the session's
# expiry forward at most once every SESSION_REFRESH_SECONDS (a tenth of the age), so reading pages does not write
# the session row each time (under SQLite's single writer lock) and an idle user is signed out after 27–30 min.
SESSION_SAVE_EVERY_REQUEST = False
SESSION_ENGINE = "dudao.core.sessions"  # Django's database sessions, read without building the query each time
SESSION_REFRESH_SECONDS = max(1, SESSION_COOKIE_AGE // 10)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool("DUDAO_SECURE_COOKIES", False)
LOCKOUT_ATTEMPTS = env_int("DUDAO_LOCKOUT_ATTEMPTS", 5)
LOCKOUT_MINUTES = env_int("DUDAO_LOCKOUT_MINUTES", 15)
CLIENT_ATTEMPTS = env_int("DUDAO_CLIENT_ATTEMPTS", 20)
TRUSTED_PROXIES = env_list("DUDAO_TRUSTED_PROXIES", "")
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# HTTPS (docs/operations.md, Production settings): off by default, for the embedded mode on an intranet over plain
# HTTP; behind the county's HTTPS proxy (deploy/nginx/dudao.conf) all three are on and `dudao check --deploy` is clean.
SECURE_HSTS_SECONDS = env_int("DUDAO_HSTS_SECONDS", 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_SSL_REDIRECT = env_bool("DUDAO_SSL_REDIRECT", False)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # the proxy's and the monitor's probe over plain HTTP on loopback
if env_bool("DUDAO_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# W021 asks for HSTS preload: the browsers' preload list is for public domains and entering one is the domain
# owner's decision (and hard to undo), not the application's; a county's intranet name has no place in it.
SILENCED_SYSTEM_CHECKS = ["security.W021"]

LANGUAGE_CODE = env_str("DUDAO_LANGUAGE", "zh-hans")
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = env_str("DUDAO_TIME_ZONE", "Asia/Shanghai")
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = HOME / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = HOME / "media"
S3_BUCKET = env_str("DUDAO_S3_BUCKET", "")


def _s3_transfer_config():
    from boto3.s3.transfer import TransferConfig

    return TransferConfig(use_threads=False)


# Photos and drone originals: local files in the embedded mode, an S3-compatible bucket when one is configured.
DEFAULT_STORAGE = {"BACKEND": "django.core.files.storage.FileSystemStorage"} if not S3_BUCKET else {
    "BACKEND": "storages.backends.s3.S3Storage",
    "OPTIONS": {
        "bucket_name": S3_BUCKET,
        "endpoint_url": env_str("DUDAO_S3_ENDPOINT", "") or None,
        "access_key": env_str("DUDAO_S3_ACCESS_KEY", ""),
        "secret_key": env_str("DUDAO_S3_SECRET_KEY", ""),
        "region_name": env_str("DUDAO_S3_REGION", "us-east-1"),
        "addressing_style": "path",
        "default_acl": None,
        "querystring_auth": True,
        "file_overwrite": False,
        # Each transfer in the calling thread: photos and bulletins are far below the multipart size, where a pool
        # of threads started for every file only adds its start-up and threads to a web worker.
        "transfer_config": _s3_transfer_config(),
    },
}
STORAGES = {
    "default": DEFAULT_STORAGE,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serve straight from the finders when collectstatic has not run (tests, runserver).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

FILE_UPLOAD_PERMISSIONS = 0o640  # stored photos and files: not the world's (see env.PRIVATE_UMASK)
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o750
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
UNIT_FILE_MAX_BYTES = 20 * 1024 * 1024
# Resumable drone uploads collect their chunks here (always local disk, whatever the storage).
UPLOAD_DIR = HOME / "uploads"
DRONE_NEAREST_METRES = env_int("DUDAO_DRONE_NEAREST_METRES", 1000)
# Public reports (随手拍, dudao.reports): per client address and hour, and the photo's size.
REPORTS_PER_HOUR = env_int("DUDAO_REPORTS_PER_HOUR", 5)
REPORT_LOOKUP_MISSES_PER_HOUR = env_int("DUDAO_REPORT_LOOKUP_MISSES_PER_HOUR", 20)
REPORT_PHOTO_MAX_MB = env_int("DUDAO_REPORT_PHOTO_MAX_MB", 10)

# The maps' base layer (dudao.maps): none by default, so that a map works on an intranet.
MAP_BASE = env_choice("DUDAO_MAP_BASE", "none", ("none", "pmtiles", "tiles"))
MAP_PMTILES = env_str("DUDAO_MAP_PMTILES", "")
MAP_PMTILES_FLAVOR = env_choice("DUDAO_MAP_PMTILES_FLAVOR", "raster",
                                ("raster", "light", "dark", "white", "grayscale", "black"))
MAP_TILES_URL = env_str("DUDAO_MAP_TILES_URL", "")
MAP_TILES_DATUM = env_choice("DUDAO_MAP_TILES_DATUM", "wgs84", ("wgs84", "gcj02"))
MAP_ATTRIBUTION = env_str("DUDAO_MAP_ATTRIBUTION", "")

# Content-Security-Policy on every answer (dudao.core.csp, docs/decisions/0018-csp.md): nothing inline, no eval,
# everything from Dudao's origin; a base layer's tile server (images) or PMTiles archive (fetches) on another
# origin is added from the map settings above, so a deployer configures nothing more.
CONTENT_SECURITY_POLICY = map_policy(MAP_BASE, MAP_TILES_URL, MAP_PMTILES)

# E-mail notifications: none unless an SMTP server is configured.
EMAIL_HOST = env_str("DUDAO_SMTP_HOST", "")
EMAIL_PORT = env_int("DUDAO_SMTP_PORT", 25)
EMAIL_HOST_USER = env_str("DUDAO_SMTP_USER", "")
EMAIL_HOST_PASSWORD = env_str("DUDAO_SMTP_PASSWORD", "")
EMAIL_USE_TLS = env_bool("DUDAO_SMTP_TLS", False)
EMAIL_TIMEOUT = 5
DEFAULT_FROM_EMAIL = env_str("DUDAO_MAIL_FROM", "dudao@localhost")
SITE_URL = env_str("DUDAO_SITE_URL", "").rstrip("/")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}

NINJA_PAGINATION_PER_PAGE = 100

# Background work (bulletins, deliveries of notifications): Django's task API with the database as the queue;
# `dudao worker` runs what is queued (docs/decisions/0007-bulletins-interviews-notifications.md).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# "web" (the embedded default): each web server process runs the worker in a thread; "separate": run
# `dudao worker` as its own service (deploy/systemd/dudao-worker.service).
WORKER = env_choice("DUDAO_WORKER", "web", ("web", "separate"))

# Notifications (dudao.notifications): text messages go through the SMS backend named here (a dotted path to a
# dudao.notifications.channels.SmsBackend; empty: no SMS), and townships that have not submitted their ranking
# are reminded this many hours before the deadline.
SMS_BACKEND = env_str("DUDAO_SMS_BACKEND", "")
# A robot's address is typed by the office and fetched by the server: only these hosts (WeCom's and DingTalk's by
# default; a county's own relay can be added), so it cannot be pointed at anything else the server can reach.
ROBOT_HOSTS = [h.strip().lower() for h in env_str("DUDAO_ROBOT_HOSTS", "qyapi.weixin.qq.com,oapi.dingtalk.com")
               .split(",") if h.strip()]
SMS_FILE = env_str("DUDAO_SMS_FILE", str(HOME / "sms.log"))
RANKING_REMIND_HOURS = env_int("DUDAO_RANKING_REMIND_HOURS", 24)
