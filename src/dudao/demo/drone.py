"""The demo's drone batch for the current week: synthetic aerial images carrying EXIF GPS and DJI-style XMP over
the synthetic village points; most are scored, some await review, one has no GPS (it waits to be placed by
hand). They go through dudao.drone.services like a real upload, so the week's drone ranking comes from them."""

import datetime as dt
import io
import random
import struct

from django.utils import timezone
from PIL import Image, ImageDraw

from dudao.accounts.models import User
from dudao.core import weeks
from dudao.drone import services
from dudao.drone.models import Batch
from dudao.org.models import Unit
from dudao.org.selectors import unit_point_wgs84

PHOTOS = 24
SCORED = 15


def _dms(value: float) -> tuple[float, float, float]:
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    return float(degrees), float(minutes), round((value - degrees - minutes / 60) * 3600, 4)


def _xmp(relative_altitude: float, pitch: float, yaw: float) -> bytes:
    packet = (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:drone-dji="http://www.dji.com/drone-dji/1.0/" '
        f'drone-dji:RelativeAltitude="{relative_altitude:+.2f}" drone-dji:GimbalPitchDegree="{pitch:+.2f}" '
        f'drone-dji:GimbalYawDegree="{yaw:+.2f}"/></rdf:RDF></x:xmpmeta>'
    ).encode()
    body = b"http://ns.adobe.com/xap/1.0/\x00" + packet
    return b"\xff\xe1" + struct.pack(">H", len(body) + 2) + body


def aerial_jpeg(rng: random.Random, at: dt.datetime, point: tuple[float, float] | None, mess: int) -> bytes:
    """A 1600×1200 'aerial' view: fields, lanes, roofs and ``mess`` heaps, with DJI-like metadata."""
    image = Image.new("RGB", (1600, 1200), (150, 160, 110))
    draw = ImageDraw.Draw(image)
    for _ in range(14):
        x, y = rng.randrange(0, 1500), rng.randrange(0, 1100)
        draw.rectangle((x, y, x + rng.randrange(80, 400), y + rng.randrange(60, 300)),
                       fill=(rng.randrange(120, 200), rng.randrange(120, 180), rng.randrange(80, 140)))
    draw.line((0, rng.randrange(200, 1000), 1600, rng.randrange(200, 1000)), fill=(170, 165, 150), width=40)
    for _ in range(rng.randrange(6, 14)):
        x, y = rng.randrange(0, 1500), rng.randrange(0, 1100)
        draw.rectangle((x, y, x + 90, y + 70), fill=(180, 60, 50), outline=(90, 40, 30))
    for _ in range(mess):
        x, y = rng.randrange(0, 1560), rng.randrange(0, 1160)
        draw.ellipse((x, y, x + 40, y + 30), fill=rng.choice([(80, 70, 60), (200, 200, 200), (60, 90, 140)]))
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "DJI", "FC6310"
    exif.get_ifd(0x8769)[0x9003] = f"{at:%Y:%m:%d %H:%M:%S}"
    if point is not None:
        lon, lat = point
        exif.get_ifd(0x8825).update({1: "N", 2: _dms(lat), 3: "E", 4: _dms(lon), 5: 0,
                                     6: round(1600 + rng.uniform(0, 120), 1)})
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80, exif=exif.tobytes())
    data = out.getvalue()
    return data[:2] + _xmp(rng.uniform(80, 120), -90.0, rng.uniform(-180, 180)) + data[2:]


def load_drone_batch(campaign, villages: list[Unit]) -> None:
    """The current week's batch; idempotent."""
    week = weeks.week_of(timezone.localdate())
    if Batch.objects.filter(campaign=campaign, week=week, name="演示航拍").exists():
        return
    office = User.objects.get(username="demo_office")
    rng = random.Random(5)
    batch = services.batch_create(actor=office, campaign=campaign, week=week, name="演示航拍")
    start = timezone.make_naive(timezone.make_aware(dt.datetime.combine(weeks.week_start(week), dt.time(9))))
    now = timezone.make_naive(timezone.localtime())
    flown = rng.sample([v for v in villages if unit_point_wgs84(v) is not None], PHOTOS - 1)
    for number in range(PHOTOS):
        at = min(start + dt.timedelta(minutes=23 * number), now - dt.timedelta(minutes=5))
        village = flown[number] if number < PHOTOS - 1 else None
        point = None
        if village is not None:
            lon, lat = unit_point_wgs84(village) or (0.0, 0.0)
            point = (lon + rng.uniform(-0.002, 0.002), lat + rng.uniform(-0.002, 0.002))
        mess = rng.randrange(0, 12)
        photo, _duplicate = services.ingest(actor=office, batch=batch, data=aerial_jpeg(rng, at, point, mess),
                                            filename=f"DJI_{number + 1:04d}.JPG")
        if number < SCORED and photo.village is not None:
            flags = ["garbage"] if mess > 8 else []
            services.drone_score(actor=office, photo=photo, score=max(1, min(5, 5 - mess // 3)), flags=flags)
