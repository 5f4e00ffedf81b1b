"""dudao.drone.aerial: drone photos read and re-encoded (pure: no database). Every input is made here with Pillow
and pillow-heif: EXIF written by Pillow, DJI-style XMP spliced in as an APP1 segment after SOI; no binary
fixtures."""

import ast
import datetime as dt
import hashlib
import io
import random
import struct
import subprocess
import sys
import warnings
from pathlib import Path

import pillow_heif
import pytest
from PIL import Image, ImageDraw, JpegImagePlugin
from PIL.TiffImagePlugin import IFDRational

from dudao.drone import aerial, placement
from dudao.drone.aerial import AerialRefused, XmpCorrupt, display_copy, process, read_xmp

# Jingtai county, Gansu: 37°09'02.52"N 104°03'03.312"E
LAT, LON = 37 + 9 / 60 + 2.52 / 3600, 104 + 3 / 60 + 3.312 / 3600
RED, BLUE = (220, 20, 20), (20, 20, 220)
MIB = 1024 * 1024
PLUS_8 = dt.timezone(dt.timedelta(hours=8))
DJI_NS = "http://www.dji.com/drone-dji/1.0/"


def dms(value: float) -> tuple[IFDRational, IFDRational, IFDRational]:
    degrees, minutes = int(value), int(value * 60) % 60
    seconds = round((value - degrees - minutes / 60) * 3600 * 1000)
    return IFDRational(degrees), IFDRational(minutes), IFDRational(seconds, 1000)


ALTITUDE = IFDRational(169835, 100)  # 1698.35 m


def dji_exif(*, lat: float | None = LAT, lon: float | None = LON, altitude: IFDRational | None = ALTITUDE,
             altitude_ref: int | None = 0, taken: str | None = "2026:05:09 10:30:00", offset: str | None = "+08:00",
             orientation: int | None = None, make: str | None = "DJI", model: str | None = "FC6310") -> Image.Exif:
    exif = Image.Exif()
    if make is not None:
        exif[0x010F] = make
    if model is not None:
        exif[0x0110] = model
    if orientation is not None:
        exif[0x0112] = orientation
    sub = exif.get_ifd(0x8769)
    if taken is not None:
        sub[0x9003] = taken
    if offset is not None:
        sub[0x9011] = offset
    if lat is not None and lon is not None:
        gps = exif.get_ifd(0x8825)
        gps[1], gps[2], gps[3], gps[4] = "N", dms(lat), "E", dms(lon)
        if altitude is not None:
            gps[6] = altitude
            if altitude_ref is not None:
                gps[5] = altitude_ref
    return exif


def xmp_packet(attributes: str | None = None, elements: str = "", prefix: str = "drone-dji") -> bytes:
    """A packet shaped like a DJI Phantom 4 Pro's: the drone-dji values as attributes of rdf:Description."""
    if attributes is None:
        attributes = (f'{prefix}:AbsoluteAltitude="+1712.60" {prefix}:RelativeAltitude="+50.20" '
                      f'{prefix}:GimbalPitchDegree="-90.00" {prefix}:GimbalYawDegree="-31.50" '
                      f'{prefix}:GimbalRollDegree="+0.00" {prefix}:FlightYawDegree="-30.90"')
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="XMP Core 5.4.0">\n'
        ' <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
        '  <rdf:Description rdf:about="DJI Meta Data" xmlns:tiff="http://ns.adobe.com/tiff/1.0/"\n'
        '    xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/"\n'
        f'    xmlns:{prefix}="{DJI_NS}"\n'
        '    tiff:Make="DJI" tiff:Model="FC6310" xmp:CreateDate="2026-05-09T10:30:00" dc:format="image/jpg"\n'
        f'    {attributes}>\n'
        f'   {elements}\n'
        '  </rdf:Description>\n'
        ' </rdf:RDF>\n'
        '</x:xmpmeta>\n'
        + " " * 200 + '\n<?xpacket end="w"?>'
    ).encode("utf-8")


def with_xmp(jpeg: bytes, packet: bytes) -> bytes:
    """The JPEG with an XMP APP1 segment inserted right after SOI, as DJI writes it."""
    assert jpeg[:2] == b"\xff\xd8"
    payload = aerial.XMP_HEADER + packet
    return jpeg[:2] + b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload + jpeg[2:]


def picture(size: tuple[int, int] = (400, 300)) -> Image.Image:
    """Blue with a red block in the top-left corner, so orientation can be checked from pixels."""
    image = Image.new("RGB", size, BLUE)
    ImageDraw.Draw(image).rectangle((0, 0, size[0] // 4 - 1, size[1] // 3 - 1), fill=RED)
    return image


def encode(image: Image.Image, fmt: str = "JPEG", **params) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


def dji_jpeg(size: tuple[int, int] = (400, 300), packet: bytes | None = None, exif=None, **exif_params) -> bytes:
    if exif is None:
        exif = dji_exif(**exif_params)
    jpeg = encode(picture(size), quality=90, exif=exif)
    return with_xmp(jpeg, xmp_packet() if packet is None else packet) if packet != b"" else jpeg


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def refused(data: bytes, **params) -> AerialRefused:
    with pytest.raises(AerialRefused) as info:
        process(data, **params)
    return info.value


def close(pixel, colour, tolerance=40):
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, colour, strict=True))


# --- what is read -------------------------------------------------------------------------------------------------

def test_dji_jpeg_every_field():
    data = dji_jpeg()
    result = process(data)
    assert result.sha256 == hashlib.sha256(data).hexdigest()
    assert result.source_format == "JPEG"
    assert (result.width, result.height) == (400, 300)
    assert result.taken_at == dt.datetime(2026, 5, 9, 10, 30, tzinfo=PLUS_8)
    assert result.lat == 37 + 9 / 60 + 2520 / 1000 / 3600
    assert result.lon == 104 + 3 / 60 + 3312 / 1000 / 3600
    assert result.altitude_m == 1698.35  # EXIF GPSAltitude wins over XMP AbsoluteAltitude (1712.60)
    assert result.relative_altitude_m == 50.2
    assert result.gimbal_pitch == -90.0
    assert result.gimbal_yaw == -31.5
    assert (result.make, result.model) == ("DJI", "FC6310")
    assert result.metadata_problems == ()
    assert opened(result.display).size == (400, 300)  # small: never upscaled
    assert opened(result.thumb).size == (320, 240)


def test_naive_time_without_offset_and_no_gps_goes_by_hand():
    result = process(dji_jpeg(lat=None, lon=None, offset=None, packet=b""))
    assert result.taken_at == dt.datetime(2026, 5, 9, 10, 30)  # naive camera time
    assert (result.lat, result.lon, result.altitude_m) == (None, None, None)
    assert (result.relative_altitude_m, result.gimbal_pitch, result.gimbal_yaw) == (None, None, None)
    assert (result.make, result.model, result.metadata_problems) == ("DJI", "FC6310", ())


def test_gps_outside_the_county_is_read_as_recorded_and_placed_nowhere():
    """Not a refusal here: the position is a fact about the file; placement finds no village for it (and the
    Django layer refuses positions outside the campaign's area)."""
    result = process(dji_jpeg(lat=39.9, lon=116.4))  # Beijing
    assert (round(result.lat, 6), round(result.lon, 6)) == (39.9, 116.4)
    triangle = {"type": "Polygon", "coordinates": [[[104.0, 37.0], [104.1, 37.0], [104.1, 37.1], [104.0, 37.0]]]}
    index = placement.Index([placement.Village(1, (104.07, 37.03), triangle)])
    assert index.place(result.lon, result.lat) == placement.NOWHERE
    in_jingtai = process(dji_jpeg(lat=37.04, lon=104.07))
    assert index.place(in_jingtai.lon, in_jingtai.lat).method == "boundary"


def test_no_metadata_at_all():
    result = process(encode(picture()))
    assert (result.taken_at, result.lat, result.lon, result.altitude_m) == (None, None, None, None)
    assert (result.make, result.model, result.metadata_problems) == ("", "", ())


def test_altitude_below_sea_level_and_xmp_fallbacks():
    below = process(dji_jpeg(altitude=IFDRational(2500, 100), altitude_ref=1))
    assert below.altitude_m == -25.0
    no_ref = process(dji_jpeg(altitude_ref=None))
    assert no_ref.altitude_m == 1698.35  # no GPSAltitudeRef: above sea level
    from_xmp = process(dji_jpeg(altitude=None))
    assert from_xmp.altitude_m == 1712.6  # XMP drone-dji:AbsoluteAltitude
    make_from_xmp = process(dji_jpeg(make=None, model=None))
    assert (make_from_xmp.make, make_from_xmp.model) == ("DJI", "FC6310")  # XMP tiff:Make / tiff:Model


def test_position_from_dji_xmp_when_exif_has_none():
    packet = xmp_packet('drone-dji:GpsLatitude="37.150700" drone-dji:GpsLongtitude="+104.050920" '
                        'drone-dji:RelativeAltitude="+80.00"')
    result = process(dji_jpeg(lat=None, lon=None, packet=packet))
    assert (result.lat, result.lon, result.relative_altitude_m) == (37.1507, 104.05092, 80.0)
    spelled = xmp_packet('drone-dji:GpsLatitude="37.15" drone-dji:GpsLongitude="104.05"')
    assert process(dji_jpeg(lat=None, lon=None, packet=spelled)).lon == 104.05
    null_island = xmp_packet('drone-dji:GpsLatitude="0.0" drone-dji:GpsLongitude="0.0"')
    assert process(dji_jpeg(lat=None, lon=None, packet=null_island)).lat is None


def test_implausible_xmp_values_are_absent():
    packet = xmp_packet('drone-dji:RelativeAltitude="high" drone-dji:GimbalPitchDegree="-400.0" '
                        'drone-dji:GimbalYawDegree="nan" drone-dji:AbsoluteAltitude="1e9"')
    result = process(dji_jpeg(altitude=None, packet=packet))
    assert (result.relative_altitude_m, result.gimbal_pitch, result.gimbal_yaw, result.altitude_m) == (
        None, None, None, None)
    assert result.metadata_problems == ()  # well-formed XMP: odd values are not damage


def test_xmp_as_elements_and_another_prefix():
    elements = ("<drone-dji:RelativeAltitude>+50.20</drone-dji:RelativeAltitude>"
                "<drone-dji:GimbalPitchDegree> -45.50 </drone-dji:GimbalPitchDegree>"
                "<dc:title><rdf:Alt><rdf:li xml:lang='x-default'>Field 7</rdf:li></rdf:Alt></dc:title>")
    values = read_xmp(xmp_packet(attributes="", elements=elements))
    assert values == {"tiff:Make": "DJI", "tiff:Model": "FC6310", "xmp:CreateDate": "2026-05-09T10:30:00",
                      "dc:format": "image/jpg", "drone-dji:RelativeAltitude": "+50.20",
                      "drone-dji:GimbalPitchDegree": "-45.50"}  # dc:title is a list (rdf:Alt): not simple
    # DJI's namespace bound to another prefix still comes out as drone-dji:
    other = read_xmp(xmp_packet(prefix="dji"))
    assert other["drone-dji:RelativeAltitude"] == "+50.20" and "dji:RelativeAltitude" not in other
    result = process(dji_jpeg(packet=xmp_packet(attributes="", elements=elements)))
    assert (result.relative_altitude_m, result.gimbal_pitch, result.gimbal_yaw) == (50.2, -45.5, None)


def test_read_xmp_exact_values_and_inputs():
    packet = xmp_packet()
    expected = {
        "tiff:Make": "DJI", "tiff:Model": "FC6310", "xmp:CreateDate": "2026-05-09T10:30:00",
        "dc:format": "image/jpg", "drone-dji:AbsoluteAltitude": "+1712.60", "drone-dji:RelativeAltitude": "+50.20",
        "drone-dji:GimbalPitchDegree": "-90.00", "drone-dji:GimbalYawDegree": "-31.50",
        "drone-dji:GimbalRollDegree": "+0.00", "drone-dji:FlightYawDegree": "-30.90",
    }
    assert read_xmp(packet) == expected  # rdf:about, xmlns and x:xmptk (adobe:ns:meta/) are structure
    assert read_xmp(aerial.XMP_HEADER + packet) == expected  # the APP1 payload as it stands
    assert read_xmp(packet + b"\x00" * 64) == expected  # NUL padding
    assert read_xmp(dji_jpeg()) == expected  # a whole JPEG: its XMP segment is found
    assert read_xmp(dji_jpeg(packet=b"")) == {}  # a JPEG without XMP
    assert read_xmp(b"") == {} and read_xmp(b"  \x00 ") == {}
    assert read_xmp(packet.decode().encode("utf-16")) == expected  # UTF-16 with a BOM, as XMP allows


@pytest.mark.parametrize("packet", [
    xmp_packet()[:300],  # truncated inside rdf:Description
    xmp_packet().replace(b"</rdf:RDF>", b""),  # unbalanced
    b"\xff\xfe\x00garbage",  # not XML at all
    b"<x:xmpmeta>unbound prefix</x:xmpmeta>",
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/">&lol9;</x:xmpmeta>',  # an entity that is never declared
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;">'
    b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;"><!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;">]>'
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/" xmlns:drone-dji="http://www.dji.com/drone-dji/1.0/" '
    b'drone-dji:RelativeAltitude="&lol9;"/>',  # billion laughs
    b'<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><x:xmpmeta xmlns:x="adobe:ns:meta/">&xxe;'
    b"</x:xmpmeta>",  # external entity
    b'<!DOCTYPE x SYSTEM "http://198.51.100.1/x.dtd"><x:xmpmeta xmlns:x="adobe:ns:meta/"/>',  # external DTD
], ids=["truncated", "unbalanced", "garbage", "unbound-prefix", "undeclared-entity", "billion-laughs", "xxe",
        "external-dtd"])
def test_corrupt_or_hostile_xmp(packet):
    with pytest.raises(XmpCorrupt):
        read_xmp(packet)
    result = process(dji_jpeg(packet=packet))
    assert result.metadata_problems == ("xmp_corrupt",)
    assert (result.relative_altitude_m, result.gimbal_pitch, result.gimbal_yaw) == (None, None, None)
    assert (result.lat, result.altitude_m, result.make) == (process(dji_jpeg()).lat, 1698.35, "DJI")  # EXIF kept


def test_oversized_xmp_packet(monkeypatch):
    monkeypatch.setattr(aerial, "MAX_XMP_BYTES", 1000)
    with pytest.raises(XmpCorrupt):
        read_xmp(xmp_packet())
    assert process(dji_jpeg()).metadata_problems == ("xmp_corrupt",)


def truncated_exif(cut: int) -> bytes:
    return dji_exif().tobytes()[:cut]


def garbled_gps_exif() -> bytes:
    """EXIF bytes whose GPS IFD's rational values point past the end; the rest (time, make) intact."""
    raw = bytearray(dji_exif().tobytes())
    endian = "<" if raw[6:8] == b"II" else ">"
    check = Image.Exif()
    check.load(bytes(raw))
    start = 6 + check[0x8825]
    count = struct.unpack_from(endian + "H", raw, start)[0]
    for k in range(count):
        entry = start + 2 + 12 * k
        if struct.unpack_from(endian + "H", raw, entry + 2)[0] == 5:  # RATIONAL
            struct.pack_into(endian + "I", raw, entry + 8, 0x7FFFFFF0)
    return bytes(raw)


@pytest.mark.parametrize("warnings_are", ["ignored", "errors"])  # Pillow warns and goes on, or raises
@pytest.mark.parametrize("variant", ["truncated-header", "truncated-ifd", "gps-offsets", "noise"])
def test_corrupt_exif_keeps_the_photo(variant, warnings_are):
    raw = {
        "truncated-header": truncated_exif(10),
        "truncated-ifd": truncated_exif(100),
        "gps-offsets": garbled_gps_exif(),
        "noise": b"Exif\x00\x00" + random.Random(5).randbytes(300),
    }[variant]
    data = with_xmp(encode(picture(), exif=raw), xmp_packet())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore" if warnings_are == "ignored" else "error", UserWarning)
        result = process(data)
    assert result.metadata_problems == ("exif_corrupt",)
    assert (result.lat, result.lon) == (None, None)
    assert result.relative_altitude_m == 50.2 and result.altitude_m == 1712.6  # XMP still read
    assert (result.width, result.height) == (400, 300)
    if variant == "gps-offsets" and warnings_are == "ignored":
        assert result.taken_at == dt.datetime(2026, 5, 9, 10, 30, tzinfo=PLUS_8)
        assert (result.make, result.model) == ("DJI", "FC6310")


@pytest.mark.filterwarnings("ignore::UserWarning:PIL.TiffImagePlugin")
def test_corrupt_exif_and_xmp_both_recorded():
    data = with_xmp(encode(picture(), exif=truncated_exif(100)), xmp_packet()[:200])
    assert process(data).metadata_problems == ("exif_corrupt", "xmp_corrupt")


def test_tiff_structure_check():
    good = dji_exif().tobytes()
    assert not aerial._tiff_damaged(good)
    assert aerial._tiff_damaged(good[:50])
    assert aerial._tiff_damaged(b"Exif\x00\x00XX\x00\x2a\x00\x00\x00\x08")  # no byte order
    assert aerial._tiff_damaged(b"Exif\x00\x00MM\x00\x2b\x00\x00\x00\x08")  # not 42
    looped = bytearray(b"MM\x00\x2a\x00\x00\x00\x08" + b"\x00\x01" + struct.pack(">HHII", 0x8769, 4, 1, 8)
                       + b"\x00\x00\x00\x00")
    assert aerial._tiff_damaged(bytes(looped))  # the Exif IFD pointer leads back to IFD0


# --- pixels -----------------------------------------------------------------------------------------------------

def test_20_megapixel_photo_is_decoded_at_half_size(monkeypatch):
    drafts = []
    original = JpegImagePlugin.JpegImageFile.draft

    def spy(self, mode, size):
        drafted = original(self, mode, size)
        drafts.append((size, self.size))
        return drafted

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft", spy)
    gradient = Image.linear_gradient("L").resize((5472, 3648)).convert("RGB")
    result = process(encode(gradient, quality=80, exif=dji_exif()))
    assert drafts == [((2048, 1365), (2736, 1824))]  # asked for the display size, decoded at 1/2
    assert (result.width, result.height) == (5472, 3648)
    assert opened(result.display).size == (2048, 1365)
    assert opened(result.thumb).size == (320, 213)
    # the picture survives the reduced decode: the gradient runs top to bottom
    display = opened(result.display).convert("L")
    assert display.getpixel((1024, 5)) < 10 and display.getpixel((1024, 1360)) > 245
    assert abs(display.getpixel((1024, 682)) - 128) <= 3


def test_exif_orientation_applied():
    result = process(dji_jpeg(orientation=6))
    assert (result.width, result.height) == (300, 400)
    display = opened(result.display)
    assert display.size == (300, 400)
    assert close(display.getpixel((280, 20)), RED)  # the red top-left corner is now top-right
    assert close(display.getpixel((20, 20)), BLUE)
    assert opened(result.thumb).size == (240, 320)


def test_display_and_thumb_carry_no_metadata():
    result = process(dji_jpeg(orientation=1))
    for data in (result.display, result.thumb):
        image = opened(data)
        assert image.format == "JPEG" and image.mode == "RGB"
        assert not image.getexif()
        assert not {"exif", "xmp", "icc_profile", "comment"} & set(image.info)
        assert b"Exif" not in data and b"xap" not in data and b"\xff\xe1" not in data
        assert b"DJI" not in data and b"drone-dji" not in data and b"FC6310" not in data


def test_mpo_counts_as_jpeg():
    data = encode(picture(), "MPO", save_all=True, append_images=[picture((200, 150))], exif=dji_exif())
    assert opened(data).format == "MPO"
    result = process(data)
    assert (result.source_format, result.width, result.lat) == ("JPEG", 400, process(dji_jpeg()).lat)


def heif_encoder() -> bool:
    """Whether this pillow-heif wheel can write HEIC (libheif built with an HEVC encoder, e.g. x265)."""
    return bool(pillow_heif.libheif_info().get("HEIF"))


@pytest.mark.skipif(not heif_encoder(), reason="this pillow-heif wheel has no HEVC encoder to make a HEIC with")
def test_heic_from_a_drone():
    data = encode(picture((640, 480)), "HEIF", quality=85, exif=dji_exif(orientation=6).tobytes(),
                  xmp=xmp_packet())
    assert data[4:12] == b"ftypheic"
    result = process(data)
    assert result.source_format == "HEIF"
    assert result.sha256 == hashlib.sha256(data).hexdigest()
    assert (result.width, result.height) == (480, 640)  # libheif applies the rotation
    assert result.taken_at == dt.datetime(2026, 5, 9, 10, 30, tzinfo=PLUS_8)
    assert (result.lat, result.lon) == (process(dji_jpeg()).lat, process(dji_jpeg()).lon)
    assert (result.altitude_m, result.relative_altitude_m) == (1698.35, 50.2)
    assert (result.gimbal_pitch, result.gimbal_yaw, result.make, result.model) == (-90.0, -31.5, "DJI", "FC6310")
    assert result.metadata_problems == ()
    display = opened(result.display)
    assert display.size == (480, 640) and display.format == "JPEG"
    assert close(display.getpixel((460, 20)), RED)  # rotated once, not twice
    assert opened(result.thumb).size == (240, 320)
    assert b"Exif" not in result.display and b"xap" not in result.display
    # a HEIC without metadata; a damaged one
    bare = process(encode(picture((64, 48)), "HEIF", quality=60))
    assert (bare.lat, bare.make, bare.metadata_problems) == (None, "", ())
    for cut in (40, len(data) // 2, len(data) - 20):  # libheif checks the boxes when opening
        error = refused(data[:cut])
        assert error.code == "corrupt" and error.params == {}


# --- refusals -----------------------------------------------------------------------------------------------------

def test_empty():
    error = refused(b"")
    assert error.code == "empty" and error.params == {}


def test_too_large_checked_first():
    error = refused(b"\xff\xd8" + bytes(61 * MIB))
    assert error.code == "too_large" and error.params == {"size_mb": 61.0, "max_mb": 60}
    data = dji_jpeg()
    assert refused(data, max_bytes=len(data) - 1).code == "too_large"
    assert process(data, max_bytes=len(data)).width == 400


@pytest.mark.parametrize("data", [
    b"DJI_0001.JPG flight log: 50 m, 12 photos\n" * 40,
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="5472" height="3648">'
    b'<rect width="100%" height="100%" fill="red"/></svg>',
    b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n",
    b"\xff\xd8\xff\xe1 but then not a JPEG at all",
    b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom",  # a drone's MP4 video
    random.Random(1).randbytes(5000),
], ids=["text", "svg", "pdf", "jpeg-signature-only", "mp4", "random"])
def test_not_an_image(data):
    error = refused(data)
    assert error.code == "not_image" and error.params == {}


@pytest.mark.parametrize("fmt", ["PNG", "TIFF", "GIF", "WEBP"])
def test_other_formats_are_unsupported(fmt):
    error = refused(encode(picture((64, 48)), fmt))
    assert error.code == "unsupported_format" and error.params == {"format": fmt}


def jpeg_claiming(width: int, height: int) -> bytes:
    data = bytearray(encode(Image.new("RGB", (8, 8)), exif=dji_exif()))
    sof = data.index(b"\xff\xc0")
    data[sof + 5:sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


@pytest.mark.parametrize(("width", "height"), [
    (12000, 12000),  # 144 MP: over our limit, between Pillow's warning (~89 MP) and error (~179 MP)
    (40000, 40000),  # 1.6 gigapixels: over Pillow's own error limit too
])
def test_pixel_flood(width, height):
    data = jpeg_claiming(width, height)
    assert len(data) < 1000
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        error = refused(data)
    assert error.code == "too_many_pixels"
    assert error.params == {"width": width, "height": height, "max_mp": 120}


def test_pixel_limit_exactly():
    data = encode(picture((100, 100)))
    assert process(data, max_pixels=10_000).width == 100
    assert refused(data, max_pixels=9_999).params == {"width": 100, "height": 100, "max_mp": 0}


def test_under_our_limit_but_over_pillows_warning_is_not_refused_for_it():
    """100 MP is within MAX_PIXELS: Pillow's ~89 MP bomb warning (made an error here) must not refuse it. libjpeg
    fills the missing scans with grey, decoded at 1/4 (2500 x 2500) for the display copy."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        result = process(jpeg_claiming(10000, 10000))
    assert (result.width, result.height) == (10000, 10000)
    assert opened(result.display).size == (2048, 2048)


def test_truncated_jpeg_is_corrupt():
    data = encode(Image.linear_gradient("L").resize((800, 600)).convert("RGB"), quality=95, exif=dji_exif())
    error = refused(data[: len(data) // 2])
    assert error.code == "corrupt" and error.params == {}


def test_refusal_messages():
    assert str(AerialRefused("unsupported_format", format="PNG")).startswith("PNG pictures are not accepted")
    assert str(AerialRefused("too_many_pixels", width=1, height=2, max_mp=120)) == (
        "The picture is 1 x 2 pixels; the limit is 120 megapixels.")
    assert set(aerial.MESSAGES) == {"too_large", "empty", "not_image", "unsupported_format", "too_many_pixels",
                                    "corrupt"}


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_nothing_but_aerial_refused_escapes():
    rng = random.Random(20260509)
    valid = [dji_jpeg((120, 90)), with_xmp(encode(picture((120, 90)), exif=garbled_gps_exif()), xmp_packet())]
    if heif_encoder():
        valid.append(encode(picture((64, 48)), "HEIF", quality=60, exif=dji_exif().tobytes(), xmp=xmp_packet()))
    samples = [rng.randbytes(rng.randint(1, 3000)) for _ in range(30)]
    for data in valid:
        samples += [data[: rng.randrange(1, len(data))] for _ in range(20)]
        for _ in range(30):
            mutated = bytearray(data)
            for _ in range(rng.randint(1, 8)):
                mutated[rng.randrange(len(mutated))] = rng.randrange(256)
            samples.append(bytes(mutated))
    outcomes = set()
    for data in samples:
        try:
            result = process(data)
        except AerialRefused as error:
            assert error.code in aerial.MESSAGES
            outcomes.add(error.code)
        else:
            assert opened(result.display).format == "JPEG"
            assert set(result.metadata_problems) <= {"exif_corrupt", "xmp_corrupt"}
            outcomes.add("processed")
            outcomes.update(result.metadata_problems)
    assert {"not_image", "corrupt", "processed", "xmp_corrupt"} <= outcomes


# --- purity -------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("module", ["aerial.py", "placement.py"])
def test_pure_module(module):
    """No Django; of dudao only the pure imaging and geo modules (docs/decisions/0003)."""
    tree = ast.parse((Path(aerial.__file__).parent / module).read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
    assert not {name for name in imported if name.split(".")[0] == "django"}
    assert {name for name in imported if name.startswith("dudao")} <= {"dudao.photos.imaging", "dudao.photos",
                                                                        "dudao.core.geo"}


def test_aerial_uses_only_the_public_imaging_steps():
    """One decoding path: drone photos go through dudao.photos.imaging's public steps, none of its privates."""
    tree = ast.parse(Path(aerial.__file__).read_text(encoding="utf-8"))
    used = {node.attr for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "imaging"}
    assert not {name for name in used if name.startswith("_")}
    assert {"check_size", "open_image", "decode", "orient", "thumbnail", "encode_jpeg"} <= used


def test_importing_the_pure_modules_loads_no_django():
    code = ("import sys, dudao.drone.aerial, dudao.drone.placement; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'django'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_an_ingest_without_the_display_copy_decodes_at_the_thumbnails_scale(monkeypatch):
    drafts = []
    original = JpegImagePlugin.JpegImageFile.draft

    def spy(self, mode, size):
        drafted = original(self, mode, size)
        drafts.append((size, self.size))
        return drafted

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft", spy)
    gradient = Image.linear_gradient("L").resize((5472, 3648)).convert("RGB")
    data = encode(gradient, quality=80, exif=dji_exif())
    full = process(data)
    drafts.clear()
    quick = process(data, with_display=False)
    assert drafts == [((320, 213), (684, 456))]  # asked for the thumbnail size, decoded at 1/8
    assert (quick.display, opened(quick.thumb).size) == (b"", (320, 213))
    assert (quick.sha256, quick.width, quick.height, quick.lat, quick.lon, quick.taken_at, quick.make) == (
        full.sha256, full.width, full.height, full.lat, full.lon, full.taken_at, full.make)
    display = display_copy(data)
    assert display == full.display  # made later, the same copy
    assert b"Exif" not in display and opened(display).size == (2048, 1365)
