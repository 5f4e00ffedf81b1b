"""The example nginx configuration (deploy/nginx/dudao.conf) says what Dudao's production settings expect.

nginx is not installed where the suite runs (and `nginx -t` would want the county's certificate): these tests read
the file's directives as text.
"""

import re
from pathlib import Path

from dudao.drone.services import CHUNK_MAX
from dudao.photos import imaging

ROOT = Path(__file__).resolve().parents[1]
CONF = ROOT / "deploy" / "nginx" / "dudao.conf"


def _directives(text: str) -> list[str]:
    """Each directive of the file, comments dropped, whitespace squeezed."""
    code = "\n".join(line.split("#", 1)[0] for line in text.splitlines())
    return [" ".join(part.split()) for part in re.findall(r'(?:"[^"]*"|[^;{}"])+', code) if part.strip()]


def test_https_only_with_hsts_and_the_redirect_from_http():
    directives = _directives(CONF.read_text(encoding="utf-8"))
    assert "listen 80" in directives and "return 301 https://$host$request_uri" in directives
    assert "listen 443 ssl http2" in directives and "listen [::]:443 ssl http2" in directives
    assert "add_header Strict-Transport-Security \"max-age=31536000; includeSubDomains\" always" in directives
    assert "proxy_hide_header Strict-Transport-Security" in directives  # one header, not two
    guide = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    assert "DUDAO_HSTS_SECONDS=31536000" in guide  # the same year as Dudao's own header


def test_the_proxy_names_the_client_and_the_scheme_and_replaces_what_the_client_sent():
    directives = _directives(CONF.read_text(encoding="utf-8"))
    assert "proxy_pass http://dudao" in directives and "server 127.0.0.1:8000" in directives
    assert "proxy_set_header X-Forwarded-For $remote_addr" in directives
    assert "proxy_set_header X-Forwarded-Proto $scheme" in directives
    assert "proxy_set_header Host $host" in directives
    assert not [d for d in directives if "$proxy_add_x_forwarded_for" in d]  # appending keeps a client's forgery
    assert "DUDAO_TRUSTED_PROXIES=127.0.0.1" in CONF.read_text(encoding="utf-8")


def test_the_body_limit_lets_the_largest_upload_through_and_little_more():
    from django.conf import settings

    directives = _directives(CONF.read_text(encoding="utf-8"))
    [limit] = [d.split()[1] for d in directives if d.startswith("client_max_body_size ")]
    assert limit.endswith("m")
    largest = max(imaging.MAX_BYTES, settings.UNIT_FILE_MAX_BYTES, CHUNK_MAX, settings.REPORT_PHOTO_MAX_MB * 2**20)
    assert largest == 20 * 2**20
    assert largest < int(limit[:-1]) * 2**20 <= largest + 2**20


def test_media_is_never_served_by_nginx_and_nothing_comes_from_a_cdn():
    text = CONF.read_text(encoding="utf-8")
    directives = _directives(text)
    assert not [d for d in directives if d.startswith(("location /media", "location ^~ /media", "alias", "root"))]
    assert not [d for d in directives if "location" in d and "static" in d]  # static files: WhiteNoise
    hosts = set(re.findall(r"https?://([^/\s\"';$]+)", text))
    assert hosts <= {"dudao", "dudao.example.gov.cn"}



def test_every_test_security_md_cites_exists():
    """SECURITY.md names, for each ASVS requirement it claims, the test that shows it: each must be a test."""
    cited = re.findall(r"tests/(test_\w+\.py)::(test_\w+)", (ROOT / "SECURITY.md").read_text(encoding="utf-8"))
    assert len(cited) >= 40
    missing = [f"{name}::{test}" for name, test in cited
               if not re.search(rf"^def {test}\(", (ROOT / "tests" / name).read_text(encoding="utf-8"), re.M)]
    assert missing == []
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "SECURITY.md" in readme and "docs/operations.md" in readme
