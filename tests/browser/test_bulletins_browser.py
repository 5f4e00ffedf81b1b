"""The weekly bulletin in a real browser: the village reads its own standing on a phone, from the notification the
publication sent it, and the office downloads the week's PDF, which names every red village.

What the pages show is checked against the live server's own database (read with the ORM through an extra
connection alias), never against fixed numbers.
"""

from pathlib import Path
from urllib.parse import urlsplit

import pypdfium2
import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

DASHUIZHE = "620423103200"  # 大水䃎村, demo_village's village in 喜泉镇
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def _latest_round(db: str):
    from dudao.ranking.models import Round

    latest = Round.objects.using(db).filter(status="published").order_by("-week_start", "-revision").first()
    assert latest is not None, "the demo has no published week"
    return latest


def test_the_village_reads_its_standing_on_a_phone(signed_in, server_db):
    from dudao.notifications.models import Notification
    from dudao.ranking.models import Result, Tier

    round_ = _latest_round(server_db)
    result = Result.objects.using(server_db).select_related("unit").get(round=round_, unit__code=DASHUIZHE)
    ranked = Result.objects.using(server_db).filter(round=round_, composite__isnull=False).count()
    label = getattr(round_.settings, f"{result.tier}_label") or str(Tier(result.tier).label)
    assert result.unit.name == "大水䃎村" and result.position is not None and result.tier
    extract = f"/bulletins/{round_.week}/village/{DASHUIZHE}/"
    told = Notification.objects.using(server_db).get(recipient__username="demo_village", link=extract)

    page = signed_in("demo_village", **PHONE)
    page.goto("/notifications/")
    with page.expect_navigation():
        page.locator(f"#notifications li[data-pk='{told.pk}'] button.open").click()
    assert urlsplit(page.url).path == extract

    expect(page.locator("h1")).to_have_text("大水䃎村")
    expect(page.locator("#extract")).to_have_attribute("data-tier", result.tier)
    expect(page.locator("#standing .standing .tier")).to_have_text(label)
    expect(page.locator("#position")).to_have_text(f"{result.position} / {ranked}")
    width, viewport = page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
    assert viewport == 390 and width <= viewport, f"the page scrolls sideways: {width} px in {viewport} px"


def test_the_office_downloads_the_pdf_naming_every_red_village(signed_in, server_db):
    from dudao.bulletins.models import Bulletin
    from dudao.ranking.models import Result

    round_ = _latest_round(server_db)
    bulletin = Bulletin.objects.using(server_db).get(round=round_)
    red = sorted(Result.objects.using(server_db).filter(round=round_, tier="red")
                 .values_list("unit__name", flat=True))
    assert red, "the latest week has no red village to look for"

    page = signed_in("demo_office")
    page.goto("/bulletins/")
    expect(page.locator("#bulletins tbody tr").first).to_have_attribute("data-week", round_.week)
    with page.expect_navigation():
        page.locator(f"#bulletins tr[data-week='{round_.week}'] a[href='/bulletins/{round_.week}/']").click()
    assert urlsplit(page.url).path == f"/bulletins/{round_.week}/"
    with page.expect_download() as caught:
        page.locator(f"#downloads a[href='/bulletins/{round_.week}/bulletin.pdf']").click()
    download = caught.value
    assert download.suggested_filename == f"bulletin-{round_.week}-r{bulletin.revision}.pdf"
    data = Path(download.path()).read_bytes()
    assert data.startswith(b"%PDF")

    document = pypdfium2.PdfDocument(data)
    try:
        text = "".join(page_.get_textpage().get_text_bounded() for page_ in document)
    finally:
        document.close()
    text = "".join(text.split())  # a name may be broken across lines
    missing = [name for name in red if name not in text]
    assert not missing, f"red villages missing from the PDF: {missing}"
