"""Evidence: malformed and malicious uploads against the real server are refused (or, for real images, accepted
and cleaned), never answered with a server error, and leave nothing behind.

Run: .venv/bin/python bench/upload_fuzz.py   (after scripts/setup.sh --dev; loopback only, a few minutes)
On a copy of the demo (bench/evidence.py) it starts gunicorn (2 workers × 4 threads) and sends, over HTTP:
- to the field API's photo upload (an inspector's token), to the public 随手拍 form (anonymous, with its CSRF
  token) and to the drone upload API (the office's token: open, then one chunk): truncated, bit-flipped and
  oversized JPEGs and PNGs, polyglots (JPEG+HTML, JPEG+ZIP, HTML+JPEG, GIFAR), SVG with script, HTML and PHP named
  .jpg, decompression bombs (huge declared dimensions, a 100-megapixel PNG of zeros), JPEGs and PNGs with huge
  EXIF and text chunks, JPEGs with a GPS position, wrong content types, empty files, path traversal and control
  characters in file names;
- to the office's unit import page (signed in, with its CSRF token): zip bombs and entity bombs as XLSX, HTML named
  .xlsx, CSV with formula injection.
Counted per category: accepted, refused, server errors (5xx, must be 0), connections cut without an answer (must
be 0), accepted malicious uploads (must be 0:
a real image may be accepted only as a clean copy: re-encoded JPEG, no EXIF, no GPS, none of the payload's
bytes; a CSV text cell only neutralised in the export), stray files in the media folder and stray rows (what
grew beyond what the accepted uploads stored: must be 0). The drone upload keeps a record of every refused file
(its Upload row, what the operator sees) and the accepted file's original bytes (office only): neither counts.
"""

import io
import json
import random
import re
import sys
import threading
import urllib.error
import urllib.request
import uuid
import zipfile
import zlib
from collections import defaultdict
from http.cookiejar import CookieJar
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import evidence  # noqa: E402

SEED = 5
PAYLOADS = (b"<script", b"<?php", b"PK\x03\x04", b"<html", b"<svg", b"GIF8")


# The files -----------------------------------------------------------------------------------------------------

def jpeg(seed: int, size: tuple[int, int] = (640, 480), exif: bytes = b"") -> bytes:
    from PIL import Image

    image = Image.effect_noise(size, 30 + seed % 40).convert("RGB")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80, exif=exif)
    return out.getvalue()


def png(size: tuple[int, int] = (320, 240), mode: str = "RGB") -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new(mode, size).save(out, "PNG")
    return out.getvalue()


def gps_exif(seed: int) -> bytes:
    from PIL import Image

    exif = Image.Exif()
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (37.0, 10.0, float(seed % 60)), 3: "E", 4: (104.0, 5.0, 12.5), 5: 0, 6: 1650.0})
    exif[0x0110] = "Phone of 张三"  # the model
    return exif.tobytes()


def huge_exif(seed: int) -> bytes:
    from PIL import Image

    exif = Image.Exif()
    exif[0x010E] = "长" * 20000 + str(seed)  # the description: an APP1 segment near its 64 KB limit
    return exif.tobytes()


def app1_flood(data: bytes, segments: int) -> bytes:
    """A JPEG with ``segments`` extra 64 KB APP1 (EXIF) segments after its start."""
    segment = b"\xff\xe1" + (65535).to_bytes(2, "big") + b"Exif\x00\x00" + b"\x00" * (65535 - 8)
    return data[:2] + segment * segments + data[2:]


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return len(body).to_bytes(4, "big") + kind + body + zlib.crc32(kind + body).to_bytes(4, "big")


def png_with(data: bytes, chunk: bytes) -> bytes:
    return data[:33] + chunk + data[33:]  # after the signature and IHDR


def png_declaring(width: int, height: int) -> bytes:
    ihdr = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 2, 0, 0, 0])
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", zlib.compress(b"\x00" * 1000))
            + png_chunk(b"IEND", b""))


def jpeg_declaring(data: bytes, width: int, height: int) -> bytes:
    at = data.index(b"\xff\xc0")
    return data[:at + 5] + height.to_bytes(2, "big") + width.to_bytes(2, "big") + data[at + 9:]


def zipped(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in members.items():
            archive.writestr(name, body)
    return out.getvalue()


def xlsx_with_sheet(sheet: bytes) -> bytes:
    from openpyxl import Workbook

    out = io.BytesIO()
    Workbook().save(out)
    with zipfile.ZipFile(io.BytesIO(out.getvalue())) as source:
        members = {name: source.read(name) for name in source.namelist()}
    members["xl/worksheets/sheet1.xml"] = sheet
    return zipped(members)


# Each case: (category, file name, content type, bytes, what may happen: "refuse" or "clean")
Case = tuple[str, str, str, bytes, str]


def image_cases(rng: random.Random, large: bool) -> list[Case]:
    base = jpeg(1)
    cases: list[Case] = []
    for n in range(12):
        cut = rng.randint(20, len(base) * 9 // 10)
        cases.append(("truncated JPEG/PNG", f"t{n}.jpg", "image/jpeg", base[:cut], "refuse"))
    small_png = png()
    for n in range(4):
        cases.append(("truncated JPEG/PNG", f"t{n}.png", "image/png", small_png[:rng.randint(8, len(small_png) - 13)],
                      "refuse"))
    for n in range(14):
        data = bytearray(base)
        for _ in range(rng.randint(1, 30)):
            data[rng.randrange(200, len(data) - 2)] = rng.randrange(256)
        cases.append(("bit-flipped JPEG", f"m{n}.jpg", "image/jpeg", bytes(data), "clean"))
    html = b"<html><body><script>alert(document.cookie)</script></body></html>"
    php = b"<?php system($_GET['c']); ?>"
    archive = zipped({"evil.html": html, "META-INF/MANIFEST.MF": b"Manifest-Version: 1.0\n"})
    gif = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00" \
          b"\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
    for n in range(3):
        cases.append(("polyglot, image first", f"p{n}.jpg", "image/jpeg", base + html, "clean"))
        cases.append(("polyglot, image first", f"z{n}.jpg", "image/jpeg", base + archive, "clean"))
        cases.append(("polyglot, image first", f"c{n}.jpg", "image/jpeg",
                      base[:2] + b"\xff\xfe" + (len(html) + 2).to_bytes(2, "big") + html + base[2:], "clean"))
        cases.append(("polyglot, payload first/GIFAR", f"h{n}.jpg", "image/jpeg", html + base, "refuse"))
        cases.append(("polyglot, payload first/GIFAR", f"g{n}.jpg", "image/jpeg", gif + archive, "refuse"))
    svg = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script>' \
          b'<rect width="10" height="10"/></svg>'
    for name, kind in (("a.svg", "image/svg+xml"), ("a.jpg", "image/jpeg"), ("a.png", "image/png")):
        cases.append(("SVG with script", name, kind, svg, "refuse"))
    for name, kind, body in (("x.jpg", "image/jpeg", html), ("x.jpg", "image/jpeg", php),
                             ("x.php.jpg", "image/jpeg", php), ("x.jpg", "text/html", html),
                             ("x.jpg", "image/jpeg", b"MZ\x90\x00" + b"\x00" * 200)):
        cases.append(("HTML/PHP/EXE named .jpg", name, kind, body, "refuse"))
    for width, height in ((100000, 100000), (65535, 65535), (10000, 10000)):
        cases.append(("decompression bomb", "b.png", "image/png", png_declaring(width, height), "refuse"))
    for width, height in ((60000, 1), (1, 60000)):  # few pixels, little data: a damaged image, not a bomb
        cases.append(("extreme shape, short data", "s.png", "image/png", png_declaring(width, height), "clean"))
    cases.append(("decompression bomb", "b.jpg", "image/jpeg", jpeg_declaring(base, 65500, 65500), "refuse"))
    cases.append(("decompression bomb", "zeros.png", "image/png", png((10000, 10000), "1"), "refuse"))
    cases.append(("decompression bomb", "ztxt.png", "image/png",
                  png_with(small_png, png_chunk(b"zTXt", b"bomb\x00\x00" + zlib.compress(b"a" * 200_000_000, 9))),
                  "clean"))
    for n in range(3):
        cases.append(("huge EXIF/text", f"e{n}.jpg", "image/jpeg", jpeg(n, exif=huge_exif(n)), "clean"))
    cases.append(("huge EXIF/text", "flood.jpg", "image/jpeg", app1_flood(base, 60), "clean"))
    cases.append(("huge EXIF/text", "text.png", "image/png",
                  png_with(small_png, png_chunk(b"tEXt", b"Comment\x00" + b"x" * 3_000_000)), "clean"))
    for n in range(6):
        cases.append(("GPS EXIF (real image)", f"gps{n}.jpg", "image/jpeg", jpeg(10 + n, exif=gps_exif(n)), "clean"))
    for kind in ("text/html", "application/x-php", "application/octet-stream", "image/svg+xml", ""):
        cases.append(("wrong content type (real image)", "w.jpg", kind, jpeg(20), "clean"))
    for name, body in (("empty.jpg", b""), ("nul.jpg", b"\x00"), ("space.jpg", b" " * 10),
                       ("soi.jpg", b"\xff\xd8"), ("sig.png", b"\x89PNG\r\n\x1a\n")):
        cases.append(("empty / 0-byte", name, "image/jpeg", body, "refuse"))
    for name in ("../../../../etc/passwd.jpg", "..\\..\\windows\\win.ini.jpg", "a\x00b.jpg", "a\r\nX-Evil: 1.jpg",
                 "/etc/cron.d/x.jpg", "%2e%2e%2fa.jpg", "a\x1b[31m.jpg", "長" * 300 + ".jpg"):
        cases.append(("file name traversal/control", name, "image/jpeg", jpeg(30), "clean"))
    if large:
        cases.append(("over the size limit", "big.jpg", "image/jpeg", base + b"\x00" * (21 * 1024 * 1024), "refuse"))
        cases.append(("over the size limit", "big.png", "image/png", small_png + b"\x00" * (21 * 1024 * 1024),
                      "refuse"))
    return cases


def sheet_cases() -> list[Case]:
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    cases: list[Case] = []
    cell = b'<c r="A1" t="inlineStr"><is><t>' + b"A" * 300_000_000 + b"</t></is></c>"
    head = (b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
            b'spreadsheetml/2006/main"><sheetData>')
    cases.append(("XLSX zip bomb", "bomb.xlsx", xlsx, xlsx_with_sheet(head + b"<row r=\"1\">" + cell
                                                                     + b"</row></sheetData></worksheet>"), "refuse"))
    rows = b"".join(b'<row r="%d"><c r="A%d"><v>1</v></c></row>' % (n, n) for n in range(1, 2_000_001))
    cases.append(("XLSX zip bomb", "rows.xlsx", xlsx, xlsx_with_sheet(head + rows + b"</sheetData></worksheet>"),
                  "refuse"))
    laughs = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
              + b"".join(b'<!ENTITY lol%d "%s">' % (n, (b"&lol%d;" % (n - 1) if n > 1 else b"&lol;") * 10)
                         for n in range(1, 10))
              + b']><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
                b'<row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row></sheetData></worksheet>')
    cases.append(("XLSX entity bomb/XXE", "lol.xlsx", xlsx, xlsx_with_sheet(laughs), "refuse"))
    xxe = (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><worksheet xmlns='
           b'"http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" '
           b't="inlineStr"><is><t>&e;</t></is></c></row></sheetData></worksheet>')
    cases.append(("XLSX entity bomb/XXE", "xxe.xlsx", xlsx, xlsx_with_sheet(xxe), "refuse"))
    cases.append(("HTML named .xlsx/.csv", "x.xlsx", xlsx, b"<html><script>alert(1)</script></html>", "refuse"))
    cases.append(("HTML named .xlsx/.csv", "x.csv", "text/csv", b"<html><script>alert(1)</script></html>", "refuse"))
    header = "code,name,level,parent_code,official_name,lon,lat,boundary,datum,active,ranked\n"
    formulas = ("=HYPERLINK(\"http://evil.example/\",\"点我\")", "+cmd|'/c calc'!A0", "-2+3+cmd|' /C calc'!A0",
                "@SUM(1+1)*cmd|' /C calc'!A0", "\t=1+1", "\r=1+1")
    for n, name in enumerate(formulas):
        row = f"62042310{3200 + n:04d},{name},village,620423103000,{name},,,,,yes,yes\n"
        cases.append(("CSV formula injection", f"f{n}.csv", "text/csv", (header + row).encode(), "clean"))
    return cases


# The requests --------------------------------------------------------------------------------------------------

def multipart(fields: dict[str, str], file_field: str, filename: str, kind: str, data: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [f"--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n".encode()
             for k, v in fields.items()]
    quoted = filename.replace("\\", "\\\\").replace('"', '\\"')
    head = f"--{boundary}\r\nContent-Disposition: form-data; name=\"{file_field}\"; filename=\"{quoted}\"\r\n"
    if kind:
        head += f"Content-Type: {kind}\r\n"
    parts.append(head.encode("utf-8", "surrogateescape") + b"\r\n" + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def send(opener, url: str, body: bytes | None, kind: str, method: str = "POST",
         headers: dict[str, str] | None = None) -> tuple[int, bytes, dict]:
    request = urllib.request.Request(url, data=body, method=method, headers={
        "Accept-Language": "en", **({"Content-Type": kind} if kind else {}), **(headers or {})})
    try:
        with opener.open(request, timeout=180) as response:
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read(), dict(error.headers)
    except OSError as error:  # the connection was cut: the server died on it
        return 599, str(error).encode(), {}


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def main() -> None:
    home = evidence.demo_home("uploads")
    evidence.use(home)
    from django.core.files.storage import default_storage
    from PIL import Image

    from dudao.campaigns.services import campaign_get
    from dudao.core import weeks
    from dudao.drone import services as drone_services
    from dudao.drone.models import DronePhoto, Upload
    from dudao.org.access import can_report_at
    from dudao.org.models import Unit
    from dudao.photos.models import Photo
    from dudao.reports.models import Report

    inspector_name, office_name = "demo_inspector", "demo_office"
    from dudao.accounts.models import User

    inspector = User.objects.get(username=inspector_name)
    village = next(v for v in Unit.objects.ranked().filter(active=True).order_by("code") if can_report_at(inspector, v))
    inspector_token, office_token = evidence.api_token(inspector_name), evidence.api_token(office_name)
    office_cookie = evidence.session_cookie(office_name)
    batch = drone_services.batch_create(actor=User.objects.get(username=office_name), campaign=campaign_get(),
                                        week=weeks.week_of(__import__("datetime").date.today()), name="fuzz")
    from django.db import connection

    connection.close()
    # The public form's limit per client and hour would refuse the real images after the fifth.
    process, base = evidence.server(home, workers=2, threads=4, env={"DUDAO_REPORTS_PER_HOUR": "100000"})
    media = home / "media"

    def files() -> set[str]:
        return {str(p.relative_to(media)) for p in media.rglob("*") if p.is_file()}

    def clean(names: list[str]) -> str:
        """Why a stored copy is not clean, or "" (a drone original, the first name, is kept as sent)."""
        for name in names:
            if name.startswith("drone/") and name == names[0]:
                continue
            if not name or not default_storage.exists(name):
                return f"no stored copy ({name!r})"
            with default_storage.open(name, "rb") as stored:
                data = stored.read()
            if not data.startswith(b"\xff\xd8"):
                return f"{name} is not a JPEG"
            found = [p for p in PAYLOADS if p in data]
            if found:
                return f"{name} holds {found}"
            image = Image.open(io.BytesIO(data))
            if image.format != "JPEG" or image.getexif() or b"Exif\x00\x00" in data or "exif" in image.info:
                return f"{name} keeps EXIF"
        return ""

    # The senders: (status, accepted, stored file names or export check) for one case ---------------------------
    bearer = urllib.request.build_opener(NoRedirect)

    def api_photo(case: Case):
        _c, filename, kind, data, _e = case
        body, content_type = multipart({"village": village.code, "client_key": uuid.uuid4().hex[:32],
                                        "lat": "37.1", "lon": "104.1", "accuracy_m": "9"},
                                       "file", filename, kind, data)
        status, answer, _h = send(bearer, base + "/api/v1/photos", body, content_type,
                                  headers={"Authorization": f"Bearer {inspector_token}"})
        if status in (200, 201):
            photo = Photo.objects.get(pk=json.loads(answer)["id"])
            return status, True, [photo.display_name, photo.thumb_name]
        return status, False, []

    public = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()), NoRedirect)
    public_lock = threading.Lock()

    def report(case: Case):
        _c, filename, kind, data, _e = case
        with public_lock:
            _s, form, _h = send(public, base + "/public/report/", None, "", method="GET")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1).decode()
        before = set(Report.objects.values_list("pk", flat=True))
        body, content_type = multipart({"csrfmiddlewaretoken": token, "text": "路边有垃圾堆 fuzz",
                                        "village": village.code, "contact": ""}, "photo", filename, kind, data)
        status, _answer, _h = send(public, base + "/public/report/", body, content_type,
                                   headers={"Referer": base + "/public/report/"})
        if status == 201:
            new = Report.objects.exclude(pk__in=before).filter(text="路边有垃圾堆 fuzz").order_by("-pk").first()
            return status, True, [new.display_name, new.thumb_name] if new else ["(report not found)"]
        return status, False, []

    def drone(case: Case):
        _c, filename, kind, data, _e = case
        opened = json.dumps({"key": uuid.uuid4().hex, "filename": filename, "size": len(data)}).encode()
        auth = {"Authorization": f"Bearer {office_token}"}
        status, answer, _h = send(bearer, base + f"/api/v1/drone/batches/{batch.pk}/uploads", opened,
                                  "application/json", headers=auth)
        if status != 200:
            return status, False, []
        upload = json.loads(answer)["id"]
        status, answer, _h = send(bearer, base + f"/api/v1/drone/uploads/{upload}?offset=0", data,
                                  kind or "application/octet-stream", method="PUT", headers=auth)
        if status == 200 and json.loads(answer)["status"] in ("stored", "duplicate"):
            # The original is kept as sent (evidence, office only, served as an attachment): not checked, but
            # counted as stored; the copies pages show are made from it and checked when they exist.
            photo = DronePhoto.objects.get(pk=json.loads(answer)["photo"])
            return status, True, [photo.original_name] + [n for n in (photo.display_name, photo.thumb_name) if n]
        return status, False, []

    office = urllib.request.build_opener(NoRedirect)
    office.addheaders = [("Cookie", f"sessionid={office_cookie}; csrftoken=fuzzfuzzfuzzfuzzfuzzfuzzfuzzfuzz")]

    def units(case: Case):
        _c, filename, kind, data, _e = case
        _s, form, _h = send(office, base + "/units/import/", None, "", method="GET")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1).decode()
        body, content_type = multipart({"csrfmiddlewaretoken": token}, "file", filename, kind, data)
        status, _answer, _h = send(office, base + "/units/import/", body, content_type,
                                   headers={"Referer": base + "/units/import/"})
        if status == 302:
            return status, True, ["export"]
        return status, False, []

    def export_neutral() -> str:
        status, data, _h = send(office, base + "/units/export.csv", None, "", method="GET")
        if status != 200:
            return f"the export answers {status}"
        for line in data.decode("utf-8-sig").splitlines():
            for cell in line.split(","):
                if cell.startswith(("=", "+", "@", "-", "\t", "\r")) and not re.fullmatch(r"-?[0-9.]+", cell):
                    return f"live formula in the export: {cell[:40]}"
        return ""

    rng = random.Random(SEED)
    targets = [("api photo (inspector)", api_photo, image_cases(rng, True), Photo),
               ("随手拍 (anonymous)", report, image_cases(rng, True), Report),
               ("drone upload (office)", drone, image_cases(rng, True), DronePhoto),
               ("unit import (office)", units, sheet_cases(), Unit)]
    # each image target's cases twice over (different random cuts and flips the second time): ≥ 500 uploads
    targets = [(n, f, c + (image_cases(rng, False) if m is not Unit else []), m) for n, f, c, m in targets]
    print(f"{sum(len(c) for _n, _f, c, _m in targets)} uploads to {len(targets)} endpoints\n", flush=True)
    table: dict[tuple[str, str], list] = defaultdict(lambda: [0, 0, 0, 0, 0, 0, 0, 0])
    problems: list[str] = []
    for name, sender, cases, model in targets:
        by_category: dict[str, list[Case]] = defaultdict(list)
        for case in cases:
            by_category[case[0]].append(case)
        for category, group in by_category.items():
            files_before, rows_before = files(), model.objects.count()
            kept: list[str] = []
            stored: set[tuple[str, ...]] = set()  # a drone duplicate names the photo stored before
            for case in group:
                status, accepted, names = sender(case)
                row = table[(name, category)]
                row[0] += 1
                row[1] += accepted
                # A body over the server's request limit is refused before it is read (Django's RequestDataTooBig,
                # a 400 in the server's log): the client, still sending, sees the connection close. That is a
                # refusal, not a failure; a cut on anything else is counted as one.
                refused_unread = status == 599 and category == "over the size limit" and not accepted
                row[2] += not accepted and (status < 500 or refused_unread)
                row[3] += 500 <= status < 599 and not refused_unread
                row[7] += status == 599 and not refused_unread
                if status >= 500:
                    problems.append(f"{name} / {category} / {case[1]!r}: {status}")
                if accepted:
                    kept += [n for n in names if n != "export"]
                    stored.add(tuple(names) if names != ["export"] else (case[1],))
                    why = (export_neutral() if names == ["export"] else clean(names))
                    if case[4] == "refuse" or why:
                        row[4] += 1
                        problems.append(f"{name} / {category} / {case[1]!r}: accepted {why}")
            new_files = files() - files_before
            stray_files = {f for f in new_files if f not in kept}
            stray_rows = model.objects.count() - rows_before - len(stored)
            if model is Unit:  # an accepted import adds one village
                stray_rows = max(0, stray_rows)
            table[(name, category)][5] += len(stray_files)
            table[(name, category)][6] += stray_rows
            if stray_files:
                problems.append(f"{name} / {category}: stray files {sorted(stray_files)[:3]}")
    evidence.stop(process)
    left = Upload.objects.filter(batch=batch).exclude(status__in=["stored", "duplicate"]).count()

    print(f"{'endpoint':<24} {'category':<33} {'sent':>5} {'accepted':>8} {'refused':>7} {'5xx':>4} {'cut':>4} "
          f"{'malicious accepted':>18} {'stray files':>11} {'stray rows':>10}")
    totals = [0] * 8
    for (name, category), row in table.items():
        totals = [a + b for a, b in zip(totals, row, strict=True)]
        print(f"{name:<24} {category:<33} {row[0]:>5} {row[1]:>8} {row[2]:>7} {row[3]:>4} {row[7]:>4} {row[4]:>18} "
              f"{row[5]:>11} {row[6]:>10}")
    print(f"{'all':<24} {'':<33} {totals[0]:>5} {totals[1]:>8} {totals[2]:>7} {totals[3]:>4} {totals[7]:>4} "
          f"{totals[4]:>18} {totals[5]:>11} {totals[6]:>10}")
    print("(cut: the server closed the connection without an answer on anything but a body over its request limit, "
          "which is refused unread and counted as refused)")
    print(f"(drone: {left} refused uploads recorded as such, as the operator sees them)")
    for line in problems[:30]:
        print("  ", line)
    evidence.verdict(totals[0] >= 500 and totals[3] == totals[4] == totals[5] == totals[6] == totals[7] == 0,
                     "≥ 500 uploads, 0 server errors, 0 malicious uploads accepted (real images only as clean "
                     "copies), 0 stray files or rows")


if __name__ == "__main__":
    main()
