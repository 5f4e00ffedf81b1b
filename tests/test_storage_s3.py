"""Photos in an S3-compatible bucket: moto's S3 server on loopback, the storage switched through STORAGES as
settings.py builds it from DUDAO_S3_*, a field photo and a drone photo stored there (and not on disk) and served
back through the views."""

import datetime as dt
import io
import json
import subprocess
import sys
import uuid
from pathlib import Path

import boto3
import pytest
from django.core.files.storage import default_storage
from django.utils import timezone
from moto.server import ThreadedMotoServer
from PIL import Image
from PIL.TiffImagePlugin import IFDRational

from dudao.campaigns.services import campaign_get
from dudao.core import weeks
from dudao.core.errors import Refused
from dudao.drone import services as drone_services
from dudao.org.models import Unit
from dudao.org.selectors import unit_point_wgs84
from dudao.photos import services as photo_services

SHUIYUAN = "620423100200"  # 水源村, 一条山镇 (demo_inspector's area)
WEEK = weeks.add_weeks(weeks.week_of(timezone.localdate()), -26)
KEYS = {"access_key": "test-access", "secret_key": "test-secret"}


def dms(value: float) -> tuple[IFDRational, IFDRational, IFDRational]:
    degrees, minutes = int(value), int(value * 60) % 60
    seconds = round((value - degrees - minutes / 60) * 3600 * 10000)
    return IFDRational(degrees), IFDRational(minutes), IFDRational(seconds, 10000)


def jpeg_at(code: str, colour: tuple[int, int, int], taken: dt.datetime) -> bytes:
    lon, lat = unit_point_wgs84(Unit.objects.get(code=code))
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "DJI", "FC6310"
    exif.get_ifd(0x8769)[0x9003] = f"{taken:%Y:%m:%d %H:%M:%S}"
    location = exif.get_ifd(0x8825)
    location[1], location[2], location[3], location[4] = "N", dms(lat), "E", dms(lon)
    out = io.BytesIO()
    Image.new("RGB", (1000, 750), colour).save(out, "JPEG", quality=85, exif=exif)
    return out.getvalue()


@pytest.fixture(scope="module")
def s3_endpoint():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def bucket(s3_endpoint, settings, tmp_path):
    """A new bucket, and the default storage switched to it; MEDIA_ROOT an empty folder that must stay empty."""
    name = f"dudao-{uuid.uuid4().hex[:12]}"
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1",
                          aws_access_key_id=KEYS["access_key"], aws_secret_access_key=KEYS["secret_key"])
    client.create_bucket(Bucket=name)
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.UPLOAD_DIR = tmp_path / "uploads"
    settings.STORAGES = {
        "default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {
            "bucket_name": name, "endpoint_url": s3_endpoint, **KEYS, "region_name": "us-east-1",
            "addressing_style": "path", "default_acl": None, "querystring_auth": True, "file_overwrite": False}},
        "staticfiles": settings.STORAGES["staticfiles"],
    }
    # Django resets default_storage when STORAGES changes: the services now write to the bucket.
    assert (default_storage.__class__.__name__, default_storage.bucket_name) == ("S3Storage", name)

    def objects() -> dict[str, bytes]:
        listed = client.list_objects_v2(Bucket=name).get("Contents", [])
        return {o["Key"]: client.get_object(Bucket=name, Key=o["Key"])["Body"].read() for o in listed}

    yield objects


def files_under(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_a_field_photo_is_stored_in_the_bucket_and_served_from_it(users, client_for, bucket, settings):
    inspector = users["inspector"]
    data = jpeg_at(SHUIYUAN, (120, 160, 200), dt.datetime(2026, 3, 4, 10, 0))
    photo = photo_services.photo_upload(actor=inspector, campaign=campaign_get(),
                                        village=Unit.objects.get(code=SHUIYUAN), data=data, client_key="s3-1")
    stored = bucket()
    assert sorted(stored) == sorted([photo.display_name, photo.thumb_name])
    assert files_under(Path(settings.MEDIA_ROOT)) == []
    for url, name in ((f"/photos/{photo.pk}.jpg", photo.display_name),
                      (f"/photos/{photo.pk}-thumb.jpg", photo.thumb_name)):
        response = client_for(inspector).get(url)
        assert (response.status_code, response["Content-Type"]) == (200, "image/jpeg")
        served = b"".join(response.streaming_content)
        assert served == stored[name]
        with Image.open(io.BytesIO(served)) as image:
            assert (image.format, dict(image.getexif())) == ("JPEG", {})


def test_a_drone_photo_is_stored_in_the_bucket_and_served_from_it(users, client_for, bucket, settings):
    office = users["office"]
    batch = drone_services.batch_create(actor=office, campaign=campaign_get(), week=WEEK, name="s3")
    taken = dt.datetime.combine(weeks.week_start(WEEK) + dt.timedelta(days=1), dt.time(9, 30))
    data = jpeg_at(SHUIYUAN, (200, 120, 90), taken)
    photo, duplicate = drone_services.ingest(actor=office, batch=batch, data=data, filename="DJI_0100.JPG")
    assert (duplicate, photo.village.code) == (False, SHUIYUAN)
    stored = bucket()
    assert sorted(stored) == sorted([photo.original_name, photo.thumb_name])  # the display copy comes when opened
    assert stored[photo.original_name] == data
    assert files_under(Path(settings.MEDIA_ROOT)) == []
    assert drone_services.original_path_exists(photo) is True
    client = client_for(office)
    assert client.get(f"/drone/photos/{photo.pk}.jpg").status_code == 200
    photo.refresh_from_db()
    stored = bucket()
    assert sorted(stored) == sorted([photo.original_name, photo.display_name, photo.thumb_name])
    assert files_under(Path(settings.MEDIA_ROOT)) == []
    for url, name in ((f"/drone/photos/{photo.pk}.jpg", photo.display_name),
                      (f"/drone/photos/{photo.pk}-thumb.jpg", photo.thumb_name),
                      (f"/drone/photos/{photo.pk}/original", photo.original_name)):
        response = client.get(url)
        assert (response.status_code, response["Content-Type"]) == (200, "image/jpeg"), url
        assert b"".join(response.streaming_content) == stored[name]
    # The same file again is the same photo: nothing more in the bucket.
    again, duplicate = drone_services.ingest(actor=office, batch=batch, data=data, filename="DJI_0100.JPG")
    assert (again.pk, duplicate, sorted(bucket())) == (photo.pk, True, sorted(stored))


def test_a_refused_drone_photo_leaves_nothing_in_the_bucket(users, bucket):
    office = users["office"]
    batch = drone_services.batch_create(actor=office, campaign=campaign_get(), week=WEEK, name="s3")
    out = io.BytesIO()
    exif = Image.Exif()
    location = exif.get_ifd(0x8825)
    location[1], location[2], location[3], location[4] = "N", dms(39.9042), "E", dms(116.4074)
    Image.new("RGB", (400, 300), (0, 0, 0)).save(out, "JPEG", exif=exif)
    with pytest.raises(Refused) as refused:
        drone_services.ingest(actor=office, batch=batch, data=out.getvalue(), filename="DJI_0101.JPG")
    assert refused.value.code == "outside_county"
    assert bucket() == {}


def run_settings(tmp_path: Path, **variables: str) -> dict:
    code = ("import django, json, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'dudao.settings'; django.setup();"
            "from django.conf import settings; from django.core.files.storage import default_storage as s;"
            "d = settings.STORAGES['default']; o = dict(d['OPTIONS']) if 'OPTIONS' in d else None;"
            "t = o and o.pop('transfer_config');"  # a TransferConfig: what it sets
            "o and o.update(transfer={'use_threads': t.use_threads, 'multipart_threshold': t.multipart_threshold});"
            "print(json.dumps({'backend': d['BACKEND'], 'options': o, 'class': s.__class__.__name__,"
            "'bucket': getattr(s, 'bucket_name', None)}))")
    env = {"DUDAO_HOME": str(tmp_path), "PATH": "/usr/bin:/bin", **variables}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_settings_build_the_s3_storage_from_the_environment(tmp_path):
    built = run_settings(tmp_path, DUDAO_S3_BUCKET="dudao-photos", DUDAO_S3_ENDPOINT="http://127.0.0.1:9000",
                         DUDAO_S3_ACCESS_KEY="AKIDEXAMPLE", DUDAO_S3_SECRET_KEY="example-secret",
                         DUDAO_S3_REGION="cn-northwest-1")
    assert built == {
        "backend": "storages.backends.s3.S3Storage", "class": "S3Storage", "bucket": "dudao-photos",
        "options": {"bucket_name": "dudao-photos", "endpoint_url": "http://127.0.0.1:9000",
                    "access_key": "AKIDEXAMPLE", "secret_key": "example-secret", "region_name": "cn-northwest-1",
                    "addressing_style": "path", "default_acl": None, "querystring_auth": True,
                    "file_overwrite": False, "transfer": {"use_threads": False, "multipart_threshold": 8 * 1024 * 1024}}}


def test_settings_default_to_aws_and_to_local_files_without_a_bucket(tmp_path):
    aws = run_settings(tmp_path, DUDAO_S3_BUCKET="dudao-photos")
    assert (aws["backend"], aws["options"]["endpoint_url"], aws["options"]["region_name"]) == (
        "storages.backends.s3.S3Storage", None, "us-east-1")
    local = run_settings(tmp_path)
    assert local == {"backend": "django.core.files.storage.FileSystemStorage", "options": None,
                     "class": "FileSystemStorage", "bucket": None}
