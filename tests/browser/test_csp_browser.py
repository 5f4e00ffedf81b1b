"""The pages people use most under the strict Content-Security-Policy (docs/decisions/0018-csp.md), in a real
browser: not one violation is reported (neither as a `securitypolicyviolation` event nor on the console), and each
page still does its work: its JavaScript draws what it draws, the tiers have their round's colours."""

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

DASHUI = "620423103200"  # 大水䃎村
POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; font-src 'self'; "
          "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")

# Runs in every document before the page's own scripts: keeps each violation the browser reports.
LISTEN = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber} ${e.sample}`);
}, true);
"""


class Watch:
    """A context's pages, their console's CSP complaints and, per page visited, the violations its document saw."""

    def __init__(self, context):
        context.add_init_script(LISTEN)
        self.page = context.new_page()
        self.console: list[str] = []
        self.page.on("console", lambda m: self.console.append(m.text) if "Content Security Policy" in m.text else None)

    def visit(self, path: str) -> None:
        response = self.page.goto(path)
        assert response is not None and response.status == 200, path
        assert response.headers["content-security-policy"] == POLICY, path

    def violations(self) -> list[str]:
        """The violations of the page showing now and the console's so far (asserted empty after every page)."""
        seen = self.page.evaluate("window.__csp")
        assert seen is not None, "the listener did not run"  # a missing listener would see nothing
        return seen + self.console


def _latest_week(server_db) -> str:
    from dudao.ranking.models import Round

    return Round.objects.using(server_db).filter(status="published").order_by("-week_start").values_list(
        "week", flat=True).first()


def _rgb(colour: str) -> str:
    return "rgb({}, {}, {})".format(*(int(colour[i:i + 2], 16) for i in (1, 3, 5)))


def test_the_most_used_pages_report_no_violation_and_still_work(new_context, server_db):
    from dudao.ranking.models import Round

    week = _latest_week(server_db)
    settings = Round.objects.using(server_db).select_related("settings").get(week=week, status="published").settings

    # Anonymous: the sign-in page, the public portal, its 随手拍 form, the API's documentation.
    public = Watch(new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True))
    public.visit("/public/")
    expect(public.page.locator("#list-red ol.villages li").first).to_be_visible()
    red_chip = public.page.locator("#list-red h2 .chip")
    expect(red_chip).to_have_css("background-color", _rgb(settings.red_colour))  # from /ranking/tiers.css
    assert public.violations() == []
    public.visit("/public/report/")
    expect(public.page.locator("#use-position")).to_be_visible()  # shown by report.js
    assert public.violations() == []
    public.visit("/api/v1/docs")
    expect(public.page.locator(".swagger-ui .info .title")).to_contain_text("Dudao API")
    assert public.violations() == []
    public.visit("/accounts/login/")
    form = public.page.locator("main form[method=post]")
    form.locator("input[name=username]").fill("demo_office")
    form.locator("input[name=password]").fill("jingtai-demo-2026")
    form.locator("button[type=submit]").click()
    public.page.wait_for_url(lambda url: urlsplit(url).path in ("/", "/dashboard/"))
    assert public.violations() == []

    # Signed in, as the office (who sees every page below, the field app included), with a position to give.
    office = Watch(new_context(storage_state=public.page.context.storage_state(), viewport={"width": 1280, "height": 900},
                               permissions=["geolocation"], geolocation={"latitude": 37.18, "longitude": 104.06}))
    office.visit("/dashboard/")
    expect(office.page.locator("#dashboard-tier-map")).to_have_attribute("data-state", "drawn")
    expect(office.page.locator('#dashboard-tiers article[data-tier="red"] .tier')).to_have_css(
        "background-color", _rgb(settings.red_colour))
    assert office.violations() == []
    office.visit(f"/ranking/{week}/")
    expect(office.page.locator('tr[data-tier="green"] .tier').first).to_have_css(
        "background-color", _rgb(settings.green_colour))
    assert office.violations() == []
    office.visit("/map/")
    expect(office.page.locator(".dudao-map")).to_have_attribute("data-state", "drawn")
    assert office.violations() == []
    office.visit("/problems/")
    expect(office.page.locator("#problem-filter")).to_be_visible()
    assert office.violations() == []
    office.visit("/problems/new/")
    expect(office.page.locator("fieldset.position")).to_have_attribute("data-located", "true")  # position.js
    expect(office.page.locator("input[name=lat]")).to_have_value("37.180000")
    assert office.violations() == []
    office.visit("/checklists/new/")
    rows = office.page.locator("#items tbody tr")
    before = rows.count()
    office.page.locator("#add-row").click()  # checklist.js
    expect(rows).to_have_count(before + 1)
    assert office.violations() == []
    office.visit(f"/trends/village/{DASHUI}/")
    chart = office.page.locator(".trend-chart")
    expect(chart).to_have_attribute("data-state", "drawn")
    box = chart.bounding_box()
    office.page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 4)  # the tooltip shows
    office.page.wait_for_timeout(300)
    assert office.violations() == []
    office.visit("/field/")
    expect(office.page.locator("#screen-home")).to_be_visible()
    assert office.page.evaluate("Promise.race([navigator.serviceWorker.ready.then(() => 'ready'), "
                                "new Promise((done) => setTimeout(() => done('not registered'), 10000))])") == "ready"
    assert office.violations() == []
    office.visit("/screen/")
    expect(office.page.locator("#screen-week")).to_have_text(week)
    expect(office.page.locator("#screen-league tbody tr").first).to_be_attached()
    assert office.violations() == []

    # The watch sees a violation when there is one: a style attribute set as markup is refused and reported.
    office.page.evaluate("document.body.setAttribute('style', 'color: red')")
    office.page.wait_for_timeout(200)
    assert [v.split(" ")[0] for v in office.page.evaluate("window.__csp")] == ["style-src-attr"]
