"""The exposure board in a real browser: on a phone without JavaScript, the demo's published exposure item with its
blurred photo (a new image whose marked region is flat blocks, not a page hiding it) and the village's reply beside
it, with a screenshot (in this run's pytest temporary folder); and the office's region editor, where a rectangle is
dragged on the photo, saved as normalised numbers and made into the public copy."""

import io

import pytest
from PIL import Image, ImageStat
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def test_a_published_exposure_item_with_a_blurred_photo_and_the_villages_reply_on_a_phone(new_context, server_db,
                                                                                           tmp_path, image_loaded):
    from dudao.exposure.models import Item

    item = Item.objects.using(server_db).get(synthetic=True, kind="exposure")
    reply = item.reply
    blurred = item.images.order_by("position").first()
    context = new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
                          java_script_enabled=False)
    page = context.new_page()
    page.goto("/public/exposure/")
    page.locator(f'#items a[href="/public/items/{item.pk}/"]').click()
    expect(page.locator("h1")).to_have_text(item.title)
    expect(page.locator("#item-village")).to_contain_text("大水䃎村")
    expect(page.locator("#item-reason")).to_contain_text(item.reason)
    expect(page.locator("#item-reply")).to_contain_text(reply.text)
    expect(page.locator("#item-reply h2")).to_have_text("大水䃎村的回复")
    photos = page.locator("#item-images img")
    expect(photos).to_have_count(item.images.count())
    page.wait_for_load_state("load")  # the click waited for the page, not for its images
    for n in range(photos.count()):
        assert image_loaded(photos.nth(n)) > 0
    for part in ("#item", "#item-images img", "#item-reply"):
        assert page.locator(part).first.bounding_box()["width"] <= PHONE["width"], part
    page.screenshot(path=str(tmp_path / "exposure-item-phone.png"), full_page=True)
    assert (tmp_path / "exposure-item-phone.png").stat().st_size > 20_000
    # The photo the phone shows is the new image: the marked region is flat blocks, and it carries no EXIF.
    answer = context.request.get(photos.first.get_attribute("src"))
    assert answer.status == 200
    public = Image.open(io.BytesIO(answer.body()))
    assert public.getexif() == {}
    x, y, w, h = blurred.regions[0]
    left, top = int(x * public.width), int(y * public.height)
    size = max(16, -(-int(max(w * public.width, h * public.height)) // 8))
    inner = (left + 3, top + 3, left + size - 3, top + size - 3)
    assert max(ImageStat.Stat(public.convert("RGB").crop(inner)).var) < 40
    assert context.cookies() == []


def test_the_office_drags_a_region_on_the_photo_and_previews_the_public_copy(signed_in, server_db, tmp_path,
                                                                             image_loaded):
    from dudao.exposure.models import Item, ItemImage
    from dudao.problems.models import Problem, ProblemPhoto

    with_after = ProblemPhoto.objects.using(server_db).filter(kind="after").values("problem_id")
    problem = Problem.objects.using(server_db).filter(village__code="620423103200", pk__in=with_after).order_by(
        "-pk").first()
    page = signed_in("demo_office")
    page.goto("/exposure/new/")
    page.locator("input[name=source][value=problem]").check()
    page.locator("input[name=problem]").fill(problem.number)
    page.locator("input[name=title]").fill("保洁员未按时清扫（浏览器测试）")
    page.locator("textarea[name=body]").fill("整改前后对比。")
    page.locator("textarea[name=reason]").fill("接受群众监督。")
    page.locator("#exposure-form button[type=submit]").click()
    expect(page.locator("#item-state")).to_contain_text("草稿")
    item = Item.objects.using(server_db).order_by("-pk").first()
    assert item.problem_id == problem.pk
    page.locator("#item-images li").first.locator("a").click()
    source = page.locator("#region-source")
    expect(source).to_be_visible()
    assert image_loaded(source) > 0
    box = source.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.2, box["y"] + box["height"] * 0.3)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.6, steps=5)
    page.mouse.up()
    expect(page.locator(".region-box")).to_have_count(1)
    typed = [float(page.locator(f"input[name={name}0]").input_value()) for name in "xywh"]  # percent
    assert [abs(v - e) < 1 for v, e in zip(typed, (20, 30, 30, 30), strict=True)] == [True] * 4
    page.screenshot(path=str(tmp_path / "exposure-region-editor.png"), full_page=True)
    page.locator("#regions-save").click()
    expect(page.locator(".region-box")).to_have_count(1)  # drawn again from the saved numbers
    image = ItemImage.objects.using(server_db).filter(item=item).order_by("position").first()
    assert len(image.regions) == 1
    x, y, w, h = image.regions[0]
    # What the page showed (two decimals) is what was saved (normalised, six decimals).
    assert [abs(v * 100 - shown) <= 0.005 for v, shown in zip((x, y, w, h), typed, strict=True)] == [True] * 4
    assert image_loaded(page.locator("#region-public")) == image.width
