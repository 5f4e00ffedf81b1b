"""What several benches share: the real server on loopback, signed-in sessions, bench inspectors with bearer
tokens, photos as a phone makes them, and the multipart body of an upload. Django's modules are imported inside
the functions: a bench sets DUDAO_HOME and Django up first (leaders_load.run_child, or at its own start)."""

import contextlib
import io
import json
import os
import random
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.request
import uuid
from collections.abc import Iterable, Iterator
from fractions import Fraction
from pathlib import Path

BIN = Path(sysconfig.get_path("scripts"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def child_answer(argv: list[str], tag: str) -> dict:
    """Run `python ARGV...` (a bench's child process: its own DUDAO_HOME and settings), echo what it prints, and
    return its answer: the line `TAG json`. Exits with the child's code when it fails."""
    process = subprocess.Popen([sys.executable, *argv], stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    answer: dict = {}
    for line in process.stdout:
        if line.startswith(f"{tag} "):
            answer = json.loads(line[len(tag) + 1:])
        else:
            print(line, end="", flush=True)
    if process.wait():
        sys.exit(process.returncode)
    return answer


@contextlib.contextmanager
def gunicorn(workers: int, threads: int = 1, timeout: int = 60, cpu: Path | None = None) -> Iterator[str]:
    """The production server (gunicorn on loopback, DUDAO_HOME's database) until the block ends; yields its base
    URL once /healthz answers. The queue's worker runs as its own service here, as in production: a worker
    thread in each web process would make the demo's queued bulletins while the server is measured. With `cpu`
    (a folder; sync workers only), each worker writes the CPU time it spent per kind of request there when the
    block ends (bench/gunicorn_cpu.py; cpu_report() prints them)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = open(Path(os.environ["DUDAO_HOME"]) / "server.log", "w")  # noqa: SIM115
    extra = ["--config", str(Path(__file__).with_name("gunicorn_cpu.py"))] if cpu is not None else []
    server = subprocess.Popen([str(BIN / "gunicorn"), "--no-control-socket", "--bind", f"127.0.0.1:{port}",
                               "--workers", str(workers), "--threads", str(threads), "--timeout", str(timeout),
                               *extra, "dudao.wsgi"],
                              env=dict(os.environ) | {"DUDAO_WORKER": "separate"}
                              | ({"DUDAO_CPU_DIR": str(cpu)} if cpu is not None else {}),
                              stdout=subprocess.DEVNULL, stderr=log)
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=2)  # noqa: S310 (loopback)
                break
            except OSError:
                time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def cpu_report(folder: Path, seconds: float) -> None:
    """Print where the server's CPU went, from the files gunicorn(cpu=folder) left: per kind of request, the
    requests, the mean CPU time of one, and the share of all the workers' CPU, the costliest first."""
    spent: dict[str, list[float]] = {}
    for path in folder.glob("*.json"):
        for kind, (count, cpu) in json.loads(path.read_text()).items():
            entry = spent.setdefault(kind, [0, 0.0])
            entry[0] += count
            entry[1] += cpu
    total = sum(cpu for _, cpu in spent.values()) or 1.0
    print(f"\nthe server's CPU by kind of request: {total:.1f} CPU-s in {seconds:.0f} s "
          f"({total / seconds:.2f} cores on average)")
    print(f"{'request':<44} {'requests':>8} {'CPU ms each':>11} {'share':>6}")
    for kind, (count, cpu) in sorted(spent.items(), key=lambda item: -item[1][1])[:20]:
        print(f"{kind[:44]:<44} {count:>8.0f} {cpu / count * 1000:>11.1f} {cpu / total:>6.1%}")


def sessions(usernames: Iterable[str]) -> dict[str, str]:
    """A signed-in session (its key, for the sessionid cookie) for each of these users."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from dudao.accounts.models import User

    out = {}
    for user in User.objects.filter(username__in=set(usernames)):
        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.create()
        out[user.username] = store.session_key
    return out


def photo(seed: int, size: tuple[int, int] = (4000, 3000), gps: tuple[float, float] | None = None) -> bytes:
    """A phone-like JPEG with texture (4000×3000: about 1–3 MB); with `gps` (lat, lon, WGS-84) in its EXIF as a
    phone writes it."""
    from PIL import Image, ImageDraw

    rng = random.Random(seed)
    width, height = size
    image = Image.effect_noise(size, 40).convert("RGB")
    draw = ImageDraw.Draw(image)
    for _ in range(40):
        x, y = rng.randrange(width), rng.randrange(height)
        draw.ellipse((x, y, x + rng.randrange(width // 40, width // 7), y + rng.randrange(height // 30, height // 7)),
                     fill=(rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    exif = Image.Exif()
    if gps is not None:
        def dms(value: float) -> tuple[Fraction, Fraction, Fraction]:
            seconds = Fraction(round(abs(value) * 3600 * 1000), 1000)
            return Fraction(int(seconds // 3600)), Fraction(int(seconds % 3600 // 60)), seconds % 60

        lat, lon = gps
        exif.get_ifd(0x8825).update({1: "N" if lat >= 0 else "S", 2: dms(lat), 3: "E" if lon >= 0 else "W",
                                     4: dms(lon)})
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85, exif=exif)
    return out.getvalue()


def multipart(fields: dict[str, str], data: bytes, filename: str = "p.jpg",
              content_type: str = "image/jpeg") -> tuple[bytes, str]:
    """(body, content type) of a form with these fields and one file (a JPEG unless told) in the field `file`."""
    boundary = uuid.uuid4().hex
    parts = [f"--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n".encode()
             for k, v in fields.items()]
    parts.append(f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\n"
                 f"Content-Type: {content_type}\r\n\r\n".encode() + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def inspectors(count: int, prefix: str = "bench_inspector") -> tuple[list[tuple[str, dict]], dict]:
    """`count` bench inspectors spread over the inspection groups, each with a bearer token and a village of the
    group's first township: ([(token, {code, lon, lat}), ...], the county checklist {id, items})."""
    from dudao.accounts import services as accounts
    from dudao.accounts.access import SYSTEM
    from dudao.inspections.models import Checklist
    from dudao.org import services as org
    from dudao.org.models import GroupKind, Person, Unit, WorkingGroup
    from dudao.org.selectors import unit_point_wgs84

    groups = list(WorkingGroup.objects.filter(kind=GroupKind.INSPECTION).prefetch_related("towns").order_by("pk"))
    checklist_row = Checklist.objects.filter(town__isnull=True).order_by("-version").first()
    assert checklist_row is not None
    checklist = {"id": checklist_row.pk, "items": [{"id": i.pk, "max_points": i.max_points}
                                                    for i in checklist_row.items.all()]}
    out = []
    for n in range(count):
        group = groups[n % len(groups)]
        person = Person.objects.filter(phone=f"1009{n:07d}").first() or org.person_save(
            actor=SYSTEM, person=None, name=f"督查员{n}", phone=f"1009{n:07d}", synthetic=True)
        org.group_member_set(actor=SYSTEM, group=group, person=person, role="member")
        user = accounts.user_save(actor=SYSTEM, username=f"{prefix}_{n}", role="inspector", person=person)
        town = group.towns.first()
        villages = Unit.objects.filter(parent=town, level__in=["village", "community"]).order_by("code")
        village = villages[(n // len(groups)) % villages.count()]
        lon, lat = unit_point_wgs84(village)
        out.append((accounts.token_create(actor=SYSTEM, user=user), {"code": village.code, "lon": lon, "lat": lat}))
    return out, checklist
