"""A grid leader receives the weekly extract (issue 16), in a real browser on a phone, with screenshots (in this
run's pytest temporary folder): a grid leader of 大水䃎村's first grid gets an account, the week's round is announced
as publishing announces it (dudao.publication.notices.round_published, the function the publication calls), and the
grid leader, signed in on a phone, sees the notification with the village's standing and opens the village's extract.

The server's database is changed the way an operator would: a `dudao shell` in the server's own settings (its
DUDAO_HOME, or its PostgreSQL database), not the test's ORM connection, so that the services' transactions and audit
records are the product's. Announcing the latest published round again stores nothing new for those already told
(the notifications' dedupe keys): only the new grid leader hears of it, and no week is published or closed."""

import datetime as dt
import os
import re
import subprocess
import sysconfig
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DASHUI = "620423103200"  # 大水䃎村
GRID = "620491032001"  # its 第一网格
PASSWORD = "grid-leader-extract-2026"
SCRIPTS = Path(sysconfig.get_path("scripts"))

ANNOUNCE = f"""
from dudao.accounts.access import SYSTEM
from dudao.accounts.models import Role
from dudao.accounts.services import user_save
from dudao.org.models import Post, Unit
from dudao.publication.notices import round_published
from dudao.ranking.models import Round, RoundStatus

grid = Unit.objects.get(code="{GRID}")
leader = Post.objects.get(unit=grid, role="grid_leader").person
user_save(actor=SYSTEM, username=leader.phone, role=Role.GRID, scope_unit=grid, person=leader, password="{PASSWORD}")
round_published(Round.objects.filter(status=RoundStatus.PUBLISHED).order_by("-week_start").first())
"""


def _server_env(settings: dict, home: Path) -> dict[str, str]:
    """The environment of a `dudao` command on the live server's database (settings: its DATABASES entry)."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "dudao.settings"}
    for name in ("DUDAO_DEBUG", "DUDAO_LANGUAGE", "DUDAO_ALLOWED_HOSTS", "DUDAO_SECURE_COOKIES"):
        env.pop(name, None)
    if settings["ENGINE"].endswith("sqlite3"):
        env.pop("DATABASE_URL", None)
        env["DUDAO_HOME"] = str(Path(settings["NAME"]).parent)
    else:
        env["DUDAO_HOME"] = str(home)
        env["DATABASE_URL"] = (f"postgres://{quote(settings['USER'], safe='')}:{quote(settings['PASSWORD'], safe='')}"
                               f"@{settings['HOST']}:{settings['PORT']}/{settings['NAME']}")
    return env


def test_a_grid_leader_receives_the_weekly_extract_on_a_phone(new_context, server_db, tmp_path):
    from django.db import connections
    from django.utils import timezone

    from dudao.notifications.models import Notification
    from dudao.notifications.services import UNREAD_DAYS
    from dudao.org.models import Post
    from dudao.publication.notices import PUBLISHED
    from dudao.ranking.models import Result, Round, RoundStatus

    done = subprocess.run([str(SCRIPTS / "dudao"), "shell", "-c", ANNOUNCE], capture_output=True, text=True,  # noqa: S603
                          env=_server_env(connections[server_db].settings_dict, tmp_path), check=False)
    assert done.returncode == 0, done.stderr
    phone = Post.objects.using(server_db).get(unit__code=GRID, role="grid_leader").person.phone
    round_ = Round.objects.using(server_db).filter(status=RoundStatus.PUBLISHED).order_by("-week_start").first()
    result = Result.objects.using(server_db).get(round=round_, unit__code=DASHUI)
    told = Notification.objects.using(server_db).get(recipient__username=phone, kind=PUBLISHED)
    assert told.link == f"/bulletins/{round_.week}/village/{DASHUI}/"

    leader = new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True).new_page()
    leader.goto("/accounts/login/")
    form = leader.locator("main form[method=post]")
    form.locator("input[name=username]").fill(phone)
    form.locator("input[name=password]").fill(PASSWORD)
    form.locator("button[type=submit]").click()
    leader.wait_for_url(re.compile(r"/grid/$"))
    # The badge counts the account's unread notices (an account opened earlier in this session may have others).
    since = timezone.now() - dt.timedelta(days=UNREAD_DAYS)
    unread = Notification.objects.using(server_db).filter(recipient__username=phone, read_at__isnull=True,
                                                          created_at__gte=since).count()
    expect(leader.locator("#nav-notifications .badge")).to_have_text(str(unread))

    leader.goto("/notifications/")
    notice = leader.locator(f"#notifications li[data-pk='{told.pk}']")
    expect(notice).to_have_class("unread")
    expect(notice.locator(".title")).to_have_text(f"{round_.week} 周排名已发布")
    ranked = Result.objects.using(server_db).filter(round=round_, position__isnull=False).count()
    expect(notice.locator(".body")).to_have_text(
        f"大水䃎村：在 {ranked} 个村（社区）中排第 {result.position} 名，等次为{result.get_tier_display()}。")
    assert leader.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    leader.screenshot(path=str(tmp_path / "grid-leader-notification-phone.png"), full_page=True)

    notice.locator("button.open").click()
    leader.wait_for_url(re.compile(rf"/bulletins/{round_.week}/village/{DASHUI}/$"))
    extract = leader.locator("#extract")
    expect(extract).to_have_attribute("data-position", str(result.position))
    expect(extract.locator("h1")).to_have_text("大水䃎村")
    leader.screenshot(path=str(tmp_path / "grid-leader-extract-phone.png"), full_page=True)
    assert Notification.objects.using(server_db).get(pk=told.pk).read_at is not None
