"""Benchmark: 50 inspectors submit at once over loopback, each an inspection with three photos, against the real
server (gunicorn) — and then every one of them retries, as a phone does when the answer was lost.

Run: .venv/bin/python bench/field_load.py [INSPECTORS]   — a fresh temporary DUDAO_HOME with the demo (SQLite);
set DATABASE_URL to an empty scratch PostgreSQL database to measure PostgreSQL. Prints errors, lost and duplicated
inspections and photos (all must be 0), and p50/p95 of one inspector's whole submission (three photo uploads +
the inspection). The baseline in the same process is one inspector alone, sequentially.
"""

import io
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

HOME = tempfile.mkdtemp(prefix="dudao-bench-")
os.environ["DUDAO_HOME"] = HOME
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dudao.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from PIL import Image, ImageDraw  # noqa: E402

from dudao.inspections.models import Inspection  # noqa: E402
from dudao.photos.models import Photo  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
import evidence  # noqa: E402  (bench/evidence.py: the inspectors and their villages)

BIN = Path(sysconfig.get_path("scripts"))


def photo(seed: int) -> bytes:
    """A phone-like photo: 4000×3000 with texture, about 1–3 MB as JPEG."""
    rng = random.Random(seed)
    image = Image.effect_noise((4000, 3000), 40).convert("RGB")
    draw = ImageDraw.Draw(image)
    for _ in range(40):
        x, y = rng.randrange(4000), rng.randrange(3000)
        draw.ellipse((x, y, x + rng.randrange(100, 600), y + rng.randrange(100, 400)),
                     fill=(rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def multipart(fields: dict[str, str], data: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [f"--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n".encode()
             for k, v in fields.items()]
    parts.append(f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"p.jpg\"\r\n"
                 f"Content-Type: image/jpeg\r\n\r\n".encode() + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def call(base: str, token: str, path: str, body: bytes, content_type: str) -> tuple[int, dict]:
    request = urllib.request.Request(base + path, data=body, method="POST", headers={
        "Authorization": f"Bearer {token}", "Content-Type": content_type, "Accept-Language": "en"})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310 (loopback)
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def submit(base: str, token: str, village: dict, checklist: dict, photos: list[bytes], key: str) -> tuple[float, bool]:
    """One inspector's whole submission; (seconds, ok)."""
    start = time.perf_counter()
    ids = []
    for n, data in enumerate(photos):
        body, kind = multipart({"village": village["code"], "client_key": f"{key}-p{n}", "lat": str(village["lat"]),
                                "lon": str(village["lon"]), "accuracy_m": "9"}, data)
        status, answer = call(base, token, "/api/v1/photos", body, kind)
        if status not in (200, 201):
            print("photo refused:", status, answer, file=sys.stderr)
            return time.perf_counter() - start, False
        ids.append(answer["id"])
    payload = {"client_key": key, "village": village["code"], "checklist": checklist["id"],
               "marks": [{"item": i["id"], "points": i["max_points"]} for i in checklist["items"]],
               "lat": village["lat"], "lon": village["lon"], "accuracy_m": 9, "photos": ids}
    status, answer = call(base, token, "/api/v1/inspections", json.dumps(payload).encode(), "application/json")
    if status not in (200, 201):
        print("inspection refused:", status, answer, file=sys.stderr)
    return time.perf_counter() - start, status in (200, 201)


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    call_command("demo", verbosity=0, stdout=io.StringIO(), stderr=io.StringIO())
    inspectors, checklist = evidence.field_inspectors(count)
    photos = [photo(seed) for seed in range(3)]
    print(f"photos: 3 × {statistics.mean(len(p) for p in photos) / 1e6:.1f} MB, 4000×3000")

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ)
    server = subprocess.Popen([str(BIN / "gunicorn"), "--no-control-socket", "--bind", f"127.0.0.1:{port}",
                               "--workers", "4", "--threads", "4", "--timeout", "120", "dudao.wsgi"],
                              env=env, stdout=subprocess.DEVNULL, stderr=open(Path(HOME) / "server.log", "w"))  # noqa: SIM115
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/accounts/login/", timeout=2)  # noqa: S310 (loopback)
                break
            except OSError:
                time.sleep(0.2)
        before_inspections, before_photos = Inspection.objects.count(), Photo.objects.count()

        alone, ok = submit(base, inspectors[0][0], inspectors[0][1], checklist, photos, f"alone-{uuid.uuid4()}")
        assert ok
        print(f"baseline, one inspector alone: {alone:.2f} s")

        keys = [f"bench-{n}-{uuid.uuid4()}" for n in range(count)]
        results: list[tuple[float, bool]] = [(0.0, False)] * count

        def run(n: int, out: list) -> None:
            token, village = inspectors[n]
            out[n] = submit(base, token, village, checklist, photos, keys[n])

        for label in ("first send", "retry of every submission"):
            threads = [threading.Thread(target=run, args=(n, results)) for n in range(count)]
            start = time.perf_counter()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            wall = time.perf_counter() - start
            times = sorted(r[0] for r in results)
            errors = sum(1 for r in results if not r[1])
            p50 = statistics.median(times)
            p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
            print(f"{label}: {count} inspectors × (3 photos + inspection) in {wall:.1f} s; errors {errors}; "
                  f"p50 {p50:.2f} s, p95 {p95:.2f} s ({p50 / alone:.1f}× / {p95 / alone:.1f}× the lone inspector)")
        stored = Inspection.objects.filter(client_key__in=keys)
        stored_photos = Photo.objects.filter(client_key__in=[f"{k}-p{n}" for k in keys for n in range(3)])
        lost = count - stored.values("client_key").distinct().count()
        duplicated = stored.count() - stored.values("client_key").distinct().count()
        print(f"inspections stored {stored.count()} (lost {lost}, duplicated {duplicated}); photos stored "
              f"{stored_photos.count()} of {3 * count}; new rows in all: inspections "
              f"{Inspection.objects.count() - before_inspections}, photos {Photo.objects.count() - before_photos}")
        print("target (0 errors, 0 lost, 0 duplicated):",
              "met" if lost == 0 and duplicated == 0 and stored_photos.count() == 3 * count else "NOT met")
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
