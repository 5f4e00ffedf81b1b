"""Typed helpers that read settings from the environment and fail loudly on bad values.

Every variable the product reads is listed in ``VARIABLES`` so that the README, ``.env.example`` and
the code cannot drift apart (a test compares them).
"""

import os
import secrets
from pathlib import Path

VARIABLES: dict[str, str] = {
    "DUDAO_HOME": "data directory of the embedded mode (SQLite database, media, secret key); default ./var",
    "DATABASE_URL": "postgres://user:pass@host:5432/name switches from SQLite to PostgreSQL",
    "DUDAO_SECRET_KEY": "Django secret key; without it a random key is generated once in DUDAO_HOME/secret_key",
    "DUDAO_DEBUG": "1 turns on Django debug pages (never in production); default 0",
    "DUDAO_ALLOWED_HOSTS": "comma-separated host names the server answers to; default 127.0.0.1,localhost",
    "DUDAO_CSRF_TRUSTED_ORIGINS": "comma-separated origins (https://dudao.example.gov.cn) behind a proxy",
    "DUDAO_SECURE_COOKIES": "1 marks session and CSRF cookies Secure (set it when served over HTTPS); default 0",
    "DUDAO_HSTS_SECONDS": "seconds browsers must use HTTPS only (Strict-Transport-Security, with includeSubDomains); "
                          "0 (the default) sends no such header; 31536000 in production over HTTPS",
    "DUDAO_SSL_REDIRECT": "1 redirects plain HTTP requests to HTTPS (except /healthz); default 0",
    "DUDAO_PROXY_SSL_HEADER": "1 takes X-Forwarded-Proto: https from the reverse proxy as an HTTPS request (only when "
                              "the proxy sets that header itself and nothing else reaches Dudao); default 0",
    "DUDAO_SESSION_MINUTES": "idle minutes before a signed-in session expires; default 30",
    "DUDAO_KEPT_PAGES_SECONDS": "longest a kept page (the leaders' most read pages, rendered once per change of the "
    "data) is served; 0 renders every request; default 60",
    "DUDAO_LOCKOUT_ATTEMPTS": "failed sign-ins in the window that lock an account; default 5",
    "DUDAO_LOCKOUT_MINUTES": "length of the failure window and of the lock; default 15",
    "DUDAO_CLIENT_ATTEMPTS": "failed sign-ins from one client address in the window that pause sign-ins from it; "
                             "default 20",
    "DUDAO_TRUSTED_PROXIES": "comma-separated addresses of the reverse proxies in front of Dudao, whose "
                             "X-Forwarded-For names the client; default none",
    "DUDAO_LANGUAGE": "default language, zh-hans or en; default zh-hans",
    "DUDAO_TIME_ZONE": "time zone of the county; default Asia/Shanghai",
    "DUDAO_FIELD_FAR_METRES": "an inspection farther than this from the village point is flagged; default 2000",
    "DUDAO_SMTP_HOST": "SMTP server for e-mail notifications; empty (the default) sends no e-mail",
    "DUDAO_SMTP_PORT": "SMTP port; default 25",
    "DUDAO_SMTP_USER": "SMTP user name, if the server wants one",
    "DUDAO_SMTP_PASSWORD": "SMTP password, if the server wants one",
    "DUDAO_SMTP_TLS": "1 uses STARTTLS; default 0",
    "DUDAO_MAIL_FROM": "sender address of e-mail notifications; default dudao@localhost",
    "DUDAO_S3_BUCKET": "store photos and drone originals in this S3-compatible bucket; empty: local files",
    "DUDAO_S3_ENDPOINT": "the S3-compatible server (https://s3.example.gov.cn); empty: AWS",
    "DUDAO_S3_ACCESS_KEY": "access key of the bucket (no default)",
    "DUDAO_S3_SECRET_KEY": "secret key of the bucket (no default)",
    "DUDAO_S3_REGION": "region of the bucket; default us-east-1",
    "DUDAO_DRONE_NEAREST_METRES": "a drone photo outside every boundary goes to the nearest village point within "
                                  "this many metres; default 1000",
    "DUDAO_REPORTS_PER_HOUR": "public reports (随手拍) accepted from one client address per hour; default 5",
    "DUDAO_REPORT_LOOKUP_MISSES_PER_HOUR": "unknown tracking codes one client address may try per hour before its "
                                           "look-ups are refused; default 20",
    "DUDAO_REPORT_PHOTO_MAX_MB": "largest photo of a public report, in MB; default 10",
    "DUDAO_SITE_URL": "the address people open Dudao at (https://dudao.example.gov.cn), for links in e-mail",
    "DUDAO_SMS_BACKEND": "dotted path of the SMS sender (dudao.notifications.channels.FileSmsBackend for the demo); "
                         "empty (the default): no text messages",
    "DUDAO_ROBOT_HOSTS": "the only hosts group-robot webhooks may point at, comma-separated; default "
                         "qyapi.weixin.qq.com,oapi.dingtalk.com",
    "DUDAO_SMS_FILE": "file the FileSmsBackend appends messages to; default DUDAO_HOME/sms.log",
    "DUDAO_RANKING_REMIND_HOURS": "townships that have not submitted their ranking are reminded this many hours "
                                  "before the deadline; default 24",
    "DUDAO_MAP_BASE": "the maps' base layer: none (the default; no tiles, works on an intranet), pmtiles (a local "
                      "tile archive: DUDAO_MAP_PMTILES) or tiles (a tile server: DUDAO_MAP_TILES_URL)",
    "DUDAO_MAP_PMTILES": "address of the PMTiles archive for DUDAO_MAP_BASE=pmtiles, served by Dudao or the county's "
                         "web server (/media/maps/county.pmtiles)",
    "DUDAO_MAP_PMTILES_FLAVOR": "raster (the default) for an archive of images, or a protomaps-leaflet flavor (light, "
                                "dark, white, grayscale, black) for a vector archive in the Protomaps basemap schema",
    "DUDAO_MAP_TILES_URL": "tile URL template for DUDAO_MAP_BASE=tiles, key included "
                           "(https://t0.tianditu.gov.cn/DataServer?T=vec_w&x={x}&y={y}&l={z}&tk=KEY)",
    "DUDAO_MAP_TILES_DATUM": "datum of the base layer: wgs84 (the default; Tianditu, OpenStreetMap) or gcj02 (AMap, "
                             "Tencent): the maps shift their shapes to match",
    "DUDAO_MAP_ATTRIBUTION": "credit line the base layer's licence asks for (shown in the map's corner)",
    "DUDAO_WORKER": "web (the default): each web server process runs the background worker in a thread; "
                    "separate: run `dudao worker` as its own service",
}


class ConfigError(Exception):
    """A setting in the environment has a value we cannot use."""


def _declared(name: str) -> str:
    if name not in VARIABLES:
        raise ConfigError(f"{name} is read but not documented in dudao.env.VARIABLES")
    return name


def env_str(name: str, default: str) -> str:
    return os.environ.get(_declared(name), default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(_declared(name))
    if raw is None or raw == "":
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name} must be 0 or 1, not {raw!r}")


def env_int(name: str, default: int, minimum: int = 1) -> int:
    raw = os.environ.get(_declared(name))
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, not {value}")
    return value


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = env_str(name, default) or default
    if value not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(choices)}, not {value!r}")
    return value


def env_list(name: str, default: str) -> list[str]:
    return [part.strip() for part in env_str(name, default).split(",") if part.strip()]


# The home holds password hashes, token digests, phone numbers and photos: what Dudao creates there (the SQLite
# database and its WAL, media, uploads, logs) is its own user's and group's, never the world's.
PRIVATE_UMASK = 0o027


def home_dir() -> Path:
    os.umask(PRIVATE_UMASK)
    home = Path(env_str("DUDAO_HOME", "var")).expanduser().resolve()
    home.mkdir(parents=True, exist_ok=True)
    for path in (home, home / "dudao.sqlite3", home / "dudao.sqlite3-wal", home / "dudao.sqlite3-shm"):
        # What an earlier version created world-readable is closed at the next start.
        if path.exists() and path.stat().st_mode & 0o007:
            path.chmod(path.stat().st_mode & ~0o007)
    return home


def secret_key(home: Path) -> str:
    """The secret key from the environment, else this installation's own random key.

    There is no built-in default: a key that ships with the code is no secret. The generated key is
    written once with mode 0600 so that every process of one installation shares it.
    """
    explicit = os.environ.get(_declared("DUDAO_SECRET_KEY"))
    if explicit:
        if len(explicit) < 32:
            raise ConfigError("DUDAO_SECRET_KEY must be at least 32 characters long")
        return explicit
    path = home / "secret_key"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(secrets.token_urlsafe(48))
    return path.read_text(encoding="ascii").strip()
