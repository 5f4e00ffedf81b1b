"""The battle map in a real browser, with screenshots (in this run's pytest temporary folder): the office uploads an
actions file and the action fans out to its townships; 喜泉镇's staff report progress with a photo from a phone; the
battle map's cell turns from behind to on track."""

import datetime as dt
import io

import pytest
from PIL import Image
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
XIQUAN, HONGSHUI = "620423103000", "620423105000"


def _photo() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (90, 120, 40)).save(buffer, "JPEG")
    return buffer.getvalue()


def test_import_fan_out_report_and_the_colour_changes(signed_in, server_db, tmp_path, image_loaded):
    from dudao.plan.models import Progress, Task

    today = dt.date.today()
    start, deadline = today - dt.timedelta(days=10), today + dt.timedelta(days=20)
    csv = ("序号,名称,牵头单位,配合单位,目标,目标值,计量单位,开始日期,完成时限,涉及乡镇,时间节点\n"
           f"19,大水䃎村周边垃圾点清理,农业农村局,住建局,清理垃圾点,4,处,{start},{deadline},喜泉镇、红水镇,"
           f"{today} 完成摸底\n").encode("gb18030")

    office = signed_in("demo_office")
    office.goto("/plan/actions/import/")
    office.locator("#import-form input[name=file]").set_input_files(
        {"name": "作战图.csv", "mimeType": "text/csv", "buffer": csv})
    office.screenshot(path=str(tmp_path / "plan-import.png"), full_page=True)
    office.locator("#import-form button").click()
    row = office.locator('#battle-map tr[data-no="19"]')
    expect(row).to_contain_text("大水䃎村周边垃圾点清理")
    expect(row.locator(f'td[data-town="{XIQUAN}"] .standing')).to_have_attribute("data-standing", "behind")
    expect(row.locator(f'td[data-town="{HONGSHUI}"] .standing')).to_have_attribute("data-standing", "behind")
    office.screenshot(path=str(tmp_path / "plan-battle-map-before.png"), full_page=True)
    tasks = Task.objects.using(server_db).filter(action__no=19)
    assert sorted(t.town.code for t in tasks) == [XIQUAN, HONGSHUI]
    assert {t.target_value for t in tasks} == {2}

    township = signed_in("demo_town", viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    township.goto("/plan/")
    expect(township.locator("#battle-map td[data-town]")).to_have_count(19)  # 喜泉镇's column only
    expect(township.locator(f'#battle-map td[data-town="{XIQUAN}"]')).to_have_count(19)
    township.locator("#my-tasks a", has_text="大水䃎村周边垃圾点清理").click()
    form = township.locator("#progress-form")
    form.locator("input[name=value]").fill("1")
    form.locator("textarea[name=note]").fill("清理垃圾点一处")
    form.locator("input[name=photos]").set_input_files({"name": "p.jpg", "mimeType": "image/jpeg",
                                                        "buffer": _photo()})
    assert township.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    township.screenshot(path=str(tmp_path / "plan-report-phone.png"), full_page=True)
    form.locator("button").click()
    expect(township.locator("#task-standing .standing")).to_have_attribute("data-standing", "on_track")
    expect(township.locator(".progress-report img")).to_be_visible()
    assert image_loaded(township.locator(".progress-report img")) == 320
    township.screenshot(path=str(tmp_path / "plan-reported-phone.png"), full_page=True)
    progress = Progress.objects.using(server_db).get(task__action__no=19)
    assert (progress.task.town.code, progress.value, progress.photos.count()) == (XIQUAN, 1, 1)

    office.goto("/plan/")
    row = office.locator('#battle-map tr[data-no="19"]')
    expect(row.locator(f'td[data-town="{XIQUAN}"] .standing')).to_have_attribute("data-standing", "on_track")
    expect(row.locator(f'td[data-town="{HONGSHUI}"] .standing')).to_have_attribute("data-standing", "behind")
    colour = row.locator(f'td[data-town="{XIQUAN}"] .standing').evaluate("e => getComputedStyle(e).backgroundColor")
    assert colour == "rgb(27, 110, 45)"
    office.screenshot(path=str(tmp_path / "plan-battle-map-after.png"), full_page=True)
    office.goto("/plan/timeline/")
    expect(office.locator('.timeline-row[data-no="19"] rect.timeline-bar')).to_be_visible()
    office.screenshot(path=str(tmp_path / "plan-timeline.png"), full_page=True)
