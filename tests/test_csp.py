"""The Content-Security-Policy (docs/decisions/0018-csp.md): every answer carries the strict policy, pages,
the public portal, the API and static files alike; a base layer on another origin adds exactly its origin; no
template (nor HTML written in Python) holds inline script, inline style or an event-handler attribute, which the
policy would refuse; the tiers' colours come from a stylesheet instead of style attributes.
The pages in a real browser, with no violation reported: tests/browser/test_csp_browser.py."""

import ast
import re
from pathlib import Path

import pytest
from django.test import Client

from dudao.core import csp
from dudao.ranking.models import RankingSettings, Round

SOURCE = Path(__file__).resolve().parents[1] / "src" / "dudao"

POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; font-src 'self'; "
          "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")


# The header ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/dashboard/", "/problems/", "/api/v1/units", "/static/dudao/dudao.css"])
def test_signed_in_pages_the_api_and_static_files_carry_the_policy(path, users, client_for):
    response = client_for(users["office"]).get(path)
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == POLICY


@pytest.mark.parametrize("path", ["/public/", "/public/report/", "/accounts/login/", "/api/v1/units", "/nowhere/"])
def test_anonymous_answers_carry_the_policy_too(path, db):
    response = Client().get(path)
    assert response.status_code == {"/api/v1/units": 401, "/nowhere/": 404}.get(path, 200)
    assert response["Content-Security-Policy"] == POLICY


def test_the_api_answers_json_under_the_policy(users, client_for):
    response = client_for(users["office"]).get("/api/v1/units?limit=1")
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Security-Policy"] == POLICY


def test_no_base_layer_or_one_on_dudaos_own_origin_adds_nothing():
    assert csp.map_policy("none", "https://t0.tianditu.gov.cn/DataServer?x={x}", "https://maps.example.org/a.pmtiles") \
        == POLICY
    assert csp.map_policy("tiles", "/media/tiles/{z}/{x}/{y}.png", "") == POLICY
    assert csp.map_policy("pmtiles", "", "/media/maps/county.pmtiles") == POLICY


def test_a_tile_server_on_another_origin_may_send_images_only():
    policy = csp.map_policy("tiles", "https://t0.tianditu.gov.cn/DataServer?T=vec_w&x={x}&y={y}&l={z}&tk=KEY", "")
    assert policy == POLICY.replace("img-src 'self' data: blob:", "img-src 'self' data: blob: https://t0.tianditu.gov.cn")


def test_a_tile_template_with_subdomains_allows_them_by_a_wildcard():
    policy = csp.map_policy("tiles", "http://{s}.tiles.county.example:8080/{z}/{x}/{y}.png", "")
    assert policy == POLICY.replace("img-src 'self' data: blob:",
                                    "img-src 'self' data: blob: http://*.tiles.county.example:8080")


def test_a_pmtiles_archive_on_another_origin_may_be_fetched_only():
    policy = csp.map_policy("pmtiles", "", "https://gis.county.example/maps/county.pmtiles")
    assert policy == POLICY.replace("connect-src 'self'", "connect-src 'self' https://gis.county.example")


def test_an_answer_that_sets_its_own_policy_keeps_it(rf, settings):
    from django.http import HttpResponse

    from dudao.core.middleware import ContentSecurityPolicyMiddleware

    def own(request):
        response = HttpResponse("x")
        response["Content-Security-Policy"] = "sandbox"
        return response

    assert ContentSecurityPolicyMiddleware(own)(rf.get("/"))["Content-Security-Policy"] == "sandbox"
    assert ContentSecurityPolicyMiddleware(lambda r: HttpResponse("x"))(rf.get("/"))["Content-Security-Policy"] \
        == POLICY


# No inline code in templates ---------------------------------------------------------------------------------------

# Template language removed first: what it prints or decides never makes an attribute out of nothing we can see.
TEMPLATE_CODE = re.compile(r"{%\s*comment\s*%}.*?{%\s*endcomment\s*%}|{#.*?#}|{%.*?%}|{{.*?}}", re.S)
TAG = re.compile(r"<([a-zA-Z][a-zA-Z0-9-]*)(\s[^<>]*)?/?>", re.S)
STYLE_ATTRIBUTE = re.compile(r"\sstyle\s*=", re.I)
HANDLER_ATTRIBUTE = re.compile(r"\s(on[a-z]+)\s*=", re.I)
HTMX_ON = re.compile(r"\s(?:data-)?hx-on", re.I)  # htmx runs these with eval
JAVASCRIPT_URL = re.compile(r"=\s*[\"']?\s*javascript:", re.I)
SCRIPT_SRC = re.compile(r"\ssrc\s*=", re.I)
JSON_TYPE = re.compile(r"""\stype\s*=\s*["']application/json["']""", re.I)


def inline_code(html: str) -> list[str]:
    """What in ``html`` the policy refuses: <style>, a style attribute, an on* handler, hx-on, a javascript: URL,
    a <script> without src that is not a JSON data block (json_script)."""
    found = []
    for tag in TAG.finditer(TEMPLATE_CODE.sub(" ", html)):
        name, attributes = tag.group(1).lower(), tag.group(2) or ""
        text = tag.group(0)
        if name == "style":
            found.append(f"<style> block: {text}")
        if name == "script" and not SCRIPT_SRC.search(attributes) and not JSON_TYPE.search(attributes):
            found.append(f"inline <script>: {text}")
        if STYLE_ATTRIBUTE.search(attributes):
            found.append(f"style attribute: {text}")
        if handler := HANDLER_ATTRIBUTE.search(attributes):
            found.append(f"{handler.group(1)} handler: {text}")
        if HTMX_ON.search(attributes):
            found.append(f"hx-on: {text}")
        if JAVASCRIPT_URL.search(attributes):
            found.append(f"javascript URL: {text}")
    return found


@pytest.mark.parametrize(("html", "found"), [
    ("<style>p { color: red }</style>", "<style> block"),
    ('<div class="x"><style media="print">p {}</style></div>', "<style> block"),
    ("<script>alert(1)</script>", "inline <script>"),
    ('<script type="module">import "./a.js"</script>', "inline <script>"),
    ('<p style="color: red">', "style attribute"),
    ('<td{% if wide %} style="width: {{ w }}%"{% endif %}>', "style attribute"),
    ('<select name="town" onchange="this.form.submit()">', "onchange handler"),
    ("<img src=x ONERROR=alert(1)>", "ONERROR handler"),
    ('<button hx-on:click="go()">', "hx-on"),
    ('<button data-hx-on::after-request="go()">', "hx-on"),
    ('<a href="javascript:go()">', "javascript URL"),
])
def test_the_scan_finds_each_kind_of_inline_code(html, found):
    assert [f.split(":")[0] for f in inline_code(html)] == [found]


def test_the_scan_lets_external_scripts_json_data_and_look_alikes_pass():
    html = ('{% load static %}<script src="{% static \'a.js\' %}" defer></script>'
            '<script type="module" src="/static/m.js"></script>'
            '<script type="application/json" id="d">{"a": 1}</script>{{ data|json_script:"screen-data" }}'
            '{% include "ranking/_tier.html" with style=r.style %}<tr data-tier="red" data-onboard="1">'
            '<p class="stylefree">{% if a > b %}on{% endif %}</p>{# <style> in a comment #}'
            '{% comment %}<script>old()</script>{% endcomment %}<input type="checkbox" checked>')
    assert inline_code(html) == []


def _templates() -> list[Path]:
    return sorted(p for p in SOURCE.rglob("*.html") if "templates" in p.parts)


def test_no_template_holds_inline_script_or_style():
    assert len(_templates()) > 100  # the scan reads the app's templates, wherever an app keeps them
    found = {str(p.relative_to(SOURCE)): inline_code(p.read_text(encoding="utf-8")) for p in _templates()}
    assert {path: kinds for path, kinds in found.items() if kinds} == {}


def _strings_outside_docstrings(tree: ast.AST) -> list[str]:
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                  and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    return [node.value for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings]


def test_no_html_written_in_python_holds_inline_script_or_style():
    found = {}
    for path in sorted(SOURCE.rglob("*.py")):
        strings = _strings_outside_docstrings(ast.parse(path.read_text(encoding="utf-8")))
        kinds = [kind for s in strings if "<" in s for kind in inline_code(s)]
        if kinds:
            found[str(path.relative_to(SOURCE))] = kinds
    assert found == {}


def test_the_python_scan_reads_format_html_strings_but_not_docstrings():
    tree = ast.parse('"""A <style> in the module\'s docstring."""\n'
                     'def badge():\n    """<script>doc()</script>"""\n'
                     '    return format_html(\'<span style="--tier: {}">{}</span>\', a, b)\n')
    assert [kind for s in _strings_outside_docstrings(tree) for kind in inline_code(s)] == [
        'style attribute: <span style="--tier: {}">']


def test_htmx_adds_no_style_and_runs_no_eval(users, client_for):
    page = client_for(users["office"]).get("/problems/").content.decode()
    assert """<meta name="htmx-config" content='{"includeIndicatorStyles": false, "allowEval": false}'>""" in page
    css = (SOURCE / "static" / "dudao" / "dudao.css").read_text(encoding="utf-8")
    assert ".htmx-request .htmx-indicator, .htmx-request.htmx-indicator { opacity: 1; visibility: visible;" in css


# The tiers' colours without style attributes ---------------------------------------------------------------------


def _published() -> Round:
    return Round.objects.filter(status="published").select_related("settings").order_by("-week_start").first()


def test_tier_badges_name_their_colour_and_the_stylesheet_paints_it(users, client_for):
    latest = _published()
    RankingSettings.objects.filter(pk=latest.settings_id).update(red_colour="#AA0000", yellow_colour="#ffee00")
    page = client_for(users["office"]).get(f"/ranking/{latest.week}/?tier=red").content.decode()
    assert f'<span class="tier" data-tier="red" data-tier-colour="#AA0000">{latest.settings.red_label}</span>' in page
    assert '<link rel="stylesheet" href="/ranking/tiers.css">' in page
    response = Client().get("/ranking/tiers.css")  # the public portal links it: no sign-in
    assert response.status_code == 200
    assert response["Content-Type"] == "text/css; charset=utf-8"
    css = response.content.decode()
    assert '[data-tier-colour="#aa0000" i]{--tier:#aa0000;--tier-ink:#ffffff}\n' in css
    assert '[data-tier-colour="#ffee00" i]{--tier:#ffee00;--tier-ink:#000000}\n' in css
    assert '[data-tier-colour="#c0392b" i]{--tier:#c0392b;--tier-ink:#ffffff}\n' in css  # the fallback red


def test_the_tier_stylesheet_is_revalidated_by_its_etag(db):
    first = Client().get("/ranking/tiers.css")
    assert first["Cache-Control"] == "public, max-age=60"
    again = Client().get("/ranking/tiers.css", HTTP_IF_NONE_MATCH=first["ETag"])
    assert (again.status_code, again.content) == (304, b"")
    RankingSettings.objects.filter(pk=_published().settings_id).update(green_colour="#00aa44")
    changed = Client().get("/ranking/tiers.css", HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == 200
    assert changed["ETag"] != first["ETag"]


def test_the_stylesheet_leaves_out_what_is_not_a_colour():
    from dudao.ranking.tiers import stylesheet

    assert stylesheet(["#0044aa", "red", "#0044AA", "", "#12345", '#000000"]{}*{x:y']) == \
        '[data-tier-colour="#0044aa" i]{--tier:#0044aa;--tier-ink:#ffffff}\n'
