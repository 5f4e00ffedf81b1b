"""dudao.photos.imaging: field photos checked and re-encoded (pure: no database). Every input is made here with
Pillow: no binary fixtures."""

import datetime as dt
import hashlib
import io
import random
import struct
import warnings
import zlib

import pytest
from PIL import Image, ImageCms, ImageDraw, ImageOps
from PIL.TiffImagePlugin import IFDRational

from dudao.photos import imaging
from dudao.photos.imaging import ImageRefused, process, read_exif

# Jingtai county, Gansu: 37°09'02.52"N 104°03'03.312"E
LAT, LON = 37 + 9 / 60 + 2.52 / 3600, 104 + 3 / 60 + 3.312 / 3600
RED, BLUE = (220, 20, 20), (20, 20, 220)
MIB = 1024 * 1024


def dms(value: float) -> tuple[IFDRational, IFDRational, IFDRational]:
    degrees, minutes = int(value), int(value * 60) % 60
    seconds = round((value - degrees - minutes / 60) * 3600 * 1000)
    return IFDRational(degrees), IFDRational(minutes), IFDRational(seconds, 1000)


def make_exif(*, lat: float | None = LAT, lon: float | None = LON, lat_ref: str = "N", lon_ref: str = "E",
              orientation: int | None = 6, taken: str | None = "2026:05:09 10:30:00",
              offset: str | None = "+08:00") -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "SecretMake"  # Make
    exif[0x0110] = "SecretModel"  # Model
    if orientation is not None:
        exif[0x0112] = orientation
    sub = exif.get_ifd(0x8769)
    if taken is not None:
        sub[0x9003] = taken
    if offset is not None:
        sub[0x9011] = offset
    if lat is not None and lon is not None:
        gps = exif.get_ifd(0x8825)
        gps[1], gps[2], gps[3], gps[4] = lat_ref, dms(lat), lon_ref, dms(lon)
    return exif


def picture(size: tuple[int, int] = (400, 300), mode: str = "RGB") -> Image.Image:
    """Blue with a red square in the top-left corner, so orientation can be checked from pixels."""
    image = Image.new("RGB", size, BLUE)
    ImageDraw.Draw(image).rectangle((0, 0, size[0] // 4 - 1, size[1] // 3 - 1), fill=RED)
    return image.convert(mode)


def encode(image: Image.Image, fmt: str = "JPEG", **params) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


def phone_jpeg(size: tuple[int, int] = (400, 300), **exif_params) -> bytes:
    """A JPEG as a phone writes it: EXIF with GPS, time and orientation, plus a comment and an sRGB profile."""
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    return encode(picture(size), "JPEG", quality=92, exif=make_exif(**exif_params), icc_profile=srgb,
                  comment=b"SecretComment field 7 by the canal")


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def refused(data: bytes, **params) -> ImageRefused:
    with pytest.raises(ImageRefused) as info:
        process(data, **params)
    return info.value


def close(a: tuple, b: tuple, tolerance: int = 40) -> bool:
    return all(abs(x - y) <= tolerance for x, y in zip(a, b, strict=True))


# --- what is read and kept ------------------------------------------------------------------------------------

def test_phone_jpeg_exif_read_and_orientation_applied():
    data = phone_jpeg()
    result = process(data)
    assert result.source_format == "JPEG"
    assert abs(result.lat - LAT) < 1e-6 and abs(result.lon - LON) < 1e-6
    assert result.lat == pytest.approx(37.1507, abs=1e-6) and result.lon == pytest.approx(104.05092, abs=1e-6)
    assert result.taken_at == dt.datetime(2026, 5, 9, 10, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    assert result.sha256 == hashlib.sha256(data).hexdigest()
    # Orientation 6: the stored 400x300 is shown rotated 90° clockwise, portrait, not upscaled
    assert (result.source_width, result.source_height) == (300, 400)
    assert (result.width, result.height) == (300, 400)
    display = opened(result.display)
    assert display.size == (300, 400)
    assert close(display.getpixel((280, 20)), RED)  # the red top-left corner is now top-right
    assert close(display.getpixel((20, 20)), BLUE)
    assert close(display.getpixel((280, 380)), BLUE)
    assert opened(result.thumb).size == (240, 320)
    # the same picture as Pillow's own exif_transpose gives
    reference = ImageOps.exif_transpose(opened(data))
    for xy in ((250, 50), (150, 200)):
        assert close(display.getpixel(xy), reference.getpixel(xy))


def test_output_carries_no_metadata():
    result = process(phone_jpeg())
    for data in (result.display, result.thumb):
        image = opened(data)
        assert image.format == "JPEG" and image.mode == "RGB"
        assert not image.getexif()
        assert not {"exif", "icc_profile", "comment", "xmp", "XML:com.adobe.xmp"} & set(image.info)
        assert b"Exif" not in data and b"\xff\xe1" not in data  # no APP1 (EXIF/XMP) segment at all
        assert b"GPS" not in data and b"ICC_PROFILE" not in data and b"\xff\xfe" not in data  # nor ICC, comment
        assert b"Secret" not in data  # make, model and the source's JPEG comment are gone


def test_taken_at_naive_without_offset_and_datetime_fallback():
    assert process(phone_jpeg(offset=None)).taken_at == dt.datetime(2026, 5, 9, 10, 30)
    exif = make_exif(taken=None, offset=None)
    exif[0x0132] = "2025:12:31 23:59:58"  # DateTime in IFD0 only
    assert process(encode(picture(), exif=exif)).taken_at == dt.datetime(2025, 12, 31, 23, 59, 58)
    for bad in ("0000:00:00 00:00:00", "    :  :     :  :  ", "2026:13:40 10:00:00", "yesterday"):
        assert process(phone_jpeg(taken=bad)).taken_at is None


def test_southern_and_western_hemispheres_are_negative():
    result = process(phone_jpeg(lat=33.8688, lon=151.2093, lat_ref="S", lon_ref="W"))
    assert result.lat == pytest.approx(-33.8688, abs=1e-6) and result.lon == pytest.approx(-151.2093, abs=1e-6)


@pytest.mark.parametrize("gps", [
    {1: "N", 2: (IFDRational(37), IFDRational(9), IFDRational(1, 0)), 3: "E", 4: dms(LON)},  # 1/0 seconds
    {1: "N", 2: dms(LAT), 3: "E"},  # no longitude
    {1: "X", 2: dms(LAT), 3: "E", 4: dms(LON)},  # no such reference
    {1: "N", 2: dms(0.0), 3: "E", 4: dms(0.0)},  # the 0, 0 of a phone without a fix
    {1: "N", 2: dms(LAT), 3: "E", 4: dms(LON), 9: "V"},  # GPSStatus void
    {1: "N", 2: (IFDRational(95), IFDRational(0), IFDRational(0)), 3: "E", 4: dms(LON)},  # beyond the pole
], ids=["zero-denominator", "no-longitude", "bad-ref", "null-island", "void", "out-of-range"])
def test_unusable_gps_gives_no_position_but_keeps_the_photo(gps):
    exif = make_exif(lat=None, lon=None)
    exif.get_ifd(0x8825).update(gps)
    result = process(encode(picture(), exif=exif))
    assert (result.lat, result.lon) == (None, None)
    assert result.taken_at is not None and result.width == 300


def garbled_gps_exif(variant: str) -> bytes:
    """EXIF bytes whose GPS IFD is damaged; the rest (orientation, time) intact."""
    raw = bytearray(make_exif().tobytes())
    endian = "<" if raw[6:8] == b"II" else ">"
    check = Image.Exif()
    check.load(bytes(raw))
    start = 6 + check[0x8825]  # GPS IFD offset, from the TIFF header after b"Exif\0\0"
    count = struct.unpack_from(endian + "H", raw, start)[0]
    for k in range(count):
        entry = start + 2 + 12 * k
        if variant == "types":  # unknown field types and absurd counts
            struct.pack_into(endian + "HHII", raw, entry, k + 1, 0xEEEE, 0x0FFFFFFF, 0xFFFFFFF0)
        elif struct.unpack_from(endian + "H", raw, entry + 2)[0] == 5:  # RATIONAL values: offsets past the end
            struct.pack_into(endian + "I", raw, entry + 8, 0x7FFFFFF0)
    return bytes(raw)


@pytest.mark.parametrize("warnings_are", ["ignored", "errors"])  # Pillow warns "Truncated File Read" and goes on
@pytest.mark.parametrize("variant", ["types", "offsets"])
def test_garbled_gps_block_keeps_the_photo(variant, warnings_are):
    data = encode(picture(), exif=garbled_gps_exif(variant))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore" if warnings_are == "ignored" else "error", UserWarning)
        result = process(data)
    assert (result.lat, result.lon) == (None, None)
    assert result.taken_at == dt.datetime(2026, 5, 9, 10, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    assert (result.width, result.height) == (300, 400)  # orientation still applied


@pytest.mark.filterwarnings("ignore::UserWarning:PIL.TiffImagePlugin")
def test_exif_that_is_pure_noise_keeps_the_photo():
    noise = b"Exif\x00\x00" + random.Random(5).randbytes(300)
    result = process(encode(picture(), exif=noise))
    assert (result.taken_at, result.lat, result.lon) == (None, None, None)
    assert (result.width, result.height) == (400, 300)
    assert read_exif(Image.new("RGB", (2, 2))) == (None, None, None)


@pytest.mark.parametrize(("size", "display", "thumb"), [
    ((4000, 3000), (1600, 1200), (320, 240)),  # 12 megapixels: decoded at 1/2
    ((7000, 1000), (1600, 229), (320, 46)),  # a panorama: decoded at 1/4
    ((1700, 1000), (1600, 941), (320, 188)),  # just above the edge: decoded at full size
    ((200, 100), (200, 100), (200, 100)),  # small: never upscaled
])
def test_display_and_thumb_edges(size, display, thumb):
    result = process(encode(Image.linear_gradient("L").resize(size).convert("RGB"), quality=80))
    assert (result.width, result.height) == display == opened(result.display).size
    assert opened(result.thumb).size == thumb
    assert (result.source_width, result.source_height) == size
    assert (result.taken_at, result.lat, result.lon) == (None, None, None)


def test_custom_edges():
    result = process(encode(picture((1000, 800))), display_edge=500, thumb_edge=100)
    assert opened(result.display).size == (500, 400) and opened(result.thumb).size == (100, 80)


def test_drafted_decode_keeps_the_picture():
    """The reduced-size DCT decode gives the same picture as a full decode, scaled."""
    source = picture((4000, 3000))
    result = process(encode(source, quality=90))
    display = opened(result.display)
    assert close(display.getpixel((100, 100)), RED) and close(display.getpixel((1500, 1100)), BLUE)
    assert close(display.getpixel((390, 390)), RED) and close(display.getpixel((410, 410)), BLUE)


def test_png_with_alpha_is_composited_onto_white():
    image = Image.new("RGBA", (400, 200), (0, 0, 0, 0))
    ImageDraw.Draw(image).rectangle((200, 0, 399, 199), fill=(*RED, 255))
    result = process(encode(image, "PNG"))
    assert result.source_format == "PNG" and (result.width, result.height) == (400, 200)
    display = opened(result.display)
    assert close(display.getpixel((50, 100)), (255, 255, 255), 5) and close(display.getpixel((350, 100)), RED)


@pytest.mark.parametrize("mode", ["P", "LA", "L", "1", "I;16"])
def test_png_modes_become_rgb(mode):
    result = process(encode(picture((64, 48), "RGB").convert(mode) if mode != "I;16" else
                            Image.new("I;16", (64, 48), 32896), "PNG"))
    display = opened(result.display)
    assert display.mode == "RGB" and display.size == (64, 48)
    if mode == "I;16":
        assert close(display.getpixel((5, 5)), (128, 128, 128), 2)  # scaled from 16 bits, not clipped to white


def test_webp_with_exif():
    result = process(encode(picture(), "WEBP", quality=85, exif=make_exif()))
    assert result.source_format == "WEBP"
    assert (result.width, result.height) == (300, 400)
    assert result.lat == pytest.approx(LAT, abs=1e-6) and result.lon == pytest.approx(LON, abs=1e-6)
    assert not opened(result.display).getexif()


def test_lossless_webp():
    result = process(encode(picture((2000, 1000)), "WEBP", lossless=True))
    assert result.source_format == "WEBP" and (result.width, result.height) == (1600, 800)


def test_mpo_from_a_phone_counts_as_jpeg():
    """Phones write a second (depth or preview) image into the JPEG: Pillow reports MPO; it is a JPEG."""
    data = encode(picture((400, 300)), "MPO", save_all=True, append_images=[Image.new("RGB", (40, 30))],
                  exif=make_exif())
    result = process(data)
    assert result.source_format == "JPEG" and (result.width, result.height) == (300, 400)
    assert result.lat == pytest.approx(LAT, abs=1e-6)


@pytest.mark.parametrize("mode", ["L", "CMYK"])
def test_grey_and_cmyk_jpeg_become_rgb(mode):
    assert opened(process(encode(picture((300, 200), mode))).display).mode == "RGB"


def test_colour_profile_converted_or_ignored():
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    for profile in (srgb, b"not a profile" * 20):
        result = process(encode(picture(), icc_profile=profile))
        display = opened(result.display)
        assert "icc_profile" not in display.info and close(display.getpixel((350, 250)), BLUE)


# --- refusals -------------------------------------------------------------------------------------------------

def test_empty():
    error = refused(b"")
    assert error.code == "empty" and error.params == {}


def test_too_large_checked_before_anything_else():
    error = refused(b"\xff\xd8" + bytes(50 * MIB - 2))
    assert error.code == "too_large"
    assert error.params == {"size_mb": 50.0, "max_mb": 20}
    assert str(error) == "The upload is 50.0 MB; the limit is 20 MB."
    error = refused(phone_jpeg(), max_bytes=1000)
    assert error.code == "too_large" and error.params["max_mb"] == 0


def test_limits_exactly():
    data = encode(picture((100, 100)))
    assert process(data, max_bytes=len(data)).width == 100
    assert refused(data, max_bytes=len(data) - 1).code == "too_large"
    assert process(data, max_pixels=10_000).width == 100
    assert refused(data, max_pixels=9_999).params == {"width": 100, "height": 100, "max_mp": 0}


@pytest.mark.parametrize("data", [
    b"Field 7: the canal path was cleaned on Tuesday.\n" * 20,
    b"\x89PNG\r\n\x1a\n<!DOCTYPE html><html><body><script>alert(1)</script></body></html>",
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="4000" height="3000">'
    b'<rect width="100%" height="100%" fill="red"/></svg>',
    b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n",
    b"\xff\xd8\xff\xe0 but then not a JPEG at all",
    b"\x1c\x02\x00\x00 IPTC-like bytes",  # Pillow's IPTC plugin accepts anything that starts with 0x1C
    b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\n",  # PostScript: vector, not a photo
    random.Random(1).randbytes(5000),
], ids=["text", "html-with-png-signature", "svg", "pdf", "jpeg-signature-only", "iptc", "eps", "random"])
def test_not_an_image(data):
    error = refused(data)
    assert error.code == "not_image" and error.params == {}


@pytest.mark.parametrize("fmt", ["GIF", "BMP", "TIFF", "ICO"])
def test_other_raster_formats_are_unsupported(fmt):
    error = refused(encode(picture((64, 48)), fmt))
    assert error.code == "unsupported_format" and error.params == {"format": fmt}


def test_truncated_jpeg_is_corrupt():
    data = encode(Image.linear_gradient("L").resize((800, 600)).convert("RGB"), quality=95)
    error = refused(data[: len(data) // 2])
    assert error.code == "corrupt" and error.params == {}


def test_truncated_png_is_corrupt():
    data = encode(Image.effect_noise((300, 300), 50), "PNG")
    assert refused(data[: len(data) // 2]).code == "corrupt"


def png_claiming(width: int, height: int) -> bytes:
    """A tiny 1-bit PNG whose IHDR claims width x height (CRC recomputed, so the header is valid)."""
    data = bytearray(encode(Image.new("1", (8, 8)), "PNG"))
    assert data[12:16] == b"IHDR"
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    return bytes(data)


def jpeg_claiming(width: int, height: int) -> bytes:
    data = bytearray(encode(Image.new("RGB", (8, 8))))
    sof = data.index(b"\xff\xc0")
    data[sof + 5:sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def webp_claiming(width: int, height: int) -> bytes:
    """Lossless WEBP (VP8L): 14-bit width-1 and height-1 after the 0x2F signature."""
    data = bytearray(encode(Image.new("RGB", (8, 8)), "WEBP", lossless=True))
    assert data[12:16] == b"VP8L" and data[20] == 0x2F
    bits = int.from_bytes(data[21:25], "little") & ~((1 << 28) - 1)
    data[21:25] = (bits | (width - 1) | (height - 1) << 14).to_bytes(4, "little")
    return bytes(data)


def webp_lossy_claiming(width: int, height: int) -> bytes:
    """Lossy WEBP (VP8): 14-bit width and height in the key frame header."""
    data = bytearray(encode(Image.new("RGB", (8, 8)), "WEBP"))
    assert data[12:16] == b"VP8 " and data[23:26] == b"\x9d\x01\x2a"
    data[26:28], data[28:30] = width.to_bytes(2, "little"), height.to_bytes(2, "little")
    return bytes(data)


def webp_extended_claiming(width: int, height: int) -> bytes:
    """Extended WEBP (VP8X, as written with EXIF): 24-bit canvas width-1 and height-1."""
    data = bytearray(encode(Image.new("RGB", (8, 8)), "WEBP", exif=make_exif()))
    assert data[12:16] == b"VP8X"
    data[24:27], data[27:30] = (width - 1).to_bytes(3, "little"), (height - 1).to_bytes(3, "little")
    return bytes(data)


@pytest.mark.parametrize("make", [png_claiming, jpeg_claiming, webp_claiming, webp_lossy_claiming])
@pytest.mark.parametrize(("width", "height"), [
    (8000, 8000),  # 64 MP: over our limit, under Pillow's (~89 MP warning, ~179 MP error)
    (16000, 16000),  # 256 MP: Pillow's own DecompressionBombError, turned into ours with the header's size
])
def test_decompression_bomb(make, width, height):
    data = make(width, height)
    assert len(data) < 1000
    error = refused(data)
    assert error.code == "too_many_pixels"
    assert error.params == {"width": width, "height": height, "max_mp": 50}


def test_webp_canvas_bomb():
    """Pillow's WEBP plugin runs its bomb check inside header parsing: the size comes from our own reading."""
    assert refused(webp_extended_claiming(16000, 16000)).params == {"width": 16000, "height": 16000, "max_mp": 50}
    assert refused(webp_extended_claiming(8000, 8000)).code == "not_image"  # canvas and frame disagree: libwebp


def test_decompression_bomb_warning_from_pillow():
    """Between ~89 and ~179 MP Pillow only warns (and a -W error turns that into an exception): both refused."""
    data = png_claiming(10000, 10000)
    with pytest.warns(Image.DecompressionBombWarning):
        assert refused(data).params == {"width": 10000, "height": 10000, "max_mp": 50}
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        assert refused(data).params == {"width": 10000, "height": 10000, "max_mp": 50}


def test_refusal_messages_are_plain_english():
    assert str(ImageRefused("unsupported_format", format="GIF")).startswith("GIF pictures are not accepted")
    assert str(ImageRefused("too_many_pixels", width=1, height=2, max_mp=50)) == (
        "The picture is 1 x 2 pixels; the limit is 50 megapixels.")
    assert set(imaging.MESSAGES) == {"too_large", "empty", "not_image", "unsupported_format", "too_many_pixels",
                                     "corrupt"}


@pytest.mark.filterwarnings("ignore::UserWarning:PIL.TiffImagePlugin")
def test_nothing_but_image_refused_escapes():
    rng = random.Random(20260509)
    valid = {
        "jpeg": phone_jpeg((120, 90)),
        "png": encode(picture((120, 90), "RGBA"), "PNG"),
        "webp": encode(picture((120, 90)), "WEBP", exif=make_exif()),
    }
    samples = [rng.randbytes(rng.randint(1, 3000)) for _ in range(30)]
    for data in valid.values():
        samples += [data[: rng.randrange(1, len(data))] for _ in range(15)]
        for _ in range(15):
            mutated = bytearray(data)
            for _ in range(rng.randint(1, 8)):
                mutated[rng.randrange(len(mutated))] = rng.randrange(256)
            samples.append(bytes(mutated))
    outcomes = set()
    for data in samples:
        try:
            result = process(data)
        except ImageRefused as error:
            assert error.code in imaging.MESSAGES
            outcomes.add(error.code)
        else:
            assert opened(result.display).format == "JPEG"
            outcomes.add("processed")
    assert {"not_image", "corrupt", "processed"} <= outcomes


# --- the public steps (shared with dudao.drone.aerial) --------------------------------------------------------

class Refusal(Exception):
    """A caller's own refusal class: the steps raise whatever `refused` makes of (code, **params)."""

    def __init__(self, code, **params):
        super().__init__(code)
        self.code, self.params = code, params


def test_check_size():
    imaging.check_size(b"x" * 100, 100)  # at the limit: accepted, nothing returned
    with pytest.raises(ImageRefused) as info:
        imaging.check_size(b"x" * (3 * MIB + MIB // 4), 2 * MIB)
    assert (info.value.code, info.value.params) == ("too_large", {"size_mb": 3.2, "max_mb": 2})
    assert str(info.value) == "The upload is 3.2 MB; the limit is 2 MB."
    with pytest.raises(Refusal) as own:
        imaging.check_size(b"", 100, refused=Refusal)
    assert (own.value.code, own.value.params) == ("empty", {})


def test_open_image_reads_the_header_only():
    image = imaging.open_image(phone_jpeg((400, 300)), ("JPEG",), max_pixels=120_000)
    assert (image.format, image.size, image.mode) == ("JPEG", (400, 300), "RGB")
    assert image.tile  # pixels not decoded yet
    assert imaging.content_format(image) == "JPEG"
    mpo = encode(picture((40, 30)), "MPO", save_all=True, append_images=[Image.new("RGB", (4, 3))])
    opened_mpo = imaging.open_image(mpo, ("JPEG",), max_pixels=None)
    assert (opened_mpo.format, imaging.content_format(opened_mpo)) == ("MPO", "JPEG")


def test_open_image_refusals():
    def refusal(data, formats=("JPEG",), **options):
        with pytest.raises(Refusal) as info:
            imaging.open_image(data, formats, refused=Refusal, **options)
        return info.value.code, info.value.params

    jpeg = phone_jpeg((400, 300))
    assert refusal(jpeg, max_pixels=119_999) == ("too_many_pixels", {"width": 400, "height": 300, "max_mp": 0})
    assert imaging.open_image(jpeg, ("JPEG",), max_pixels=None).size == (400, 300)  # None: not checked
    assert refusal(encode(picture(), "PNG"), max_pixels=None) == ("unsupported_format", {"format": "PNG"})
    assert imaging.open_image(encode(picture(), "PNG"), ("JPEG", "PNG"), max_pixels=None).format == "PNG"
    assert refusal(b"<html></html>", max_pixels=None) == ("not_image", {})
    assert refusal(b"\x1c" + bytes(40), max_pixels=None) == ("not_image", {})  # IPTC is not a picture
    assert refusal(jpeg[:3], max_pixels=None) == ("not_image", {})
    assert refusal(jpeg[:3], max_pixels=None, claimed=lambda data: data.startswith(b"\xff\xd8")) == ("corrupt", {})
    assert refusal(b"<html></html>", max_pixels=None, claimed=lambda data: False) == ("not_image", {})


def test_open_image_with_and_without_pillows_bomb_check():
    data = png_claiming(10000, 10000)  # 100 MP: Pillow warns (an error where warnings are errors)
    with pytest.warns(Image.DecompressionBombWarning):
        assert imaging.open_image(data, ("PNG",), max_pixels=150_000_000).size == (10000, 10000)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(Refusal) as info:
            imaging.open_image(data, ("PNG",), max_pixels=150_000_000, refused=Refusal)
        assert (info.value.code, info.value.params) == ("too_many_pixels",
                                                        {"width": 10000, "height": 10000, "max_mp": 150})
        assert imaging.open_image(data, ("PNG",), max_pixels=150_000_000, pillow_check=False).size == (10000, 10000)
        with pytest.raises(ImageRefused) as info:
            imaging.open_image(data, ("PNG",), max_pixels=99_999_999, pillow_check=False)
        assert info.value.params == {"width": 10000, "height": 10000, "max_mp": 100}
    with pytest.raises(ImageRefused) as info:  # over Pillow's error limit, no limit of ours: Pillow's is named
        imaging.open_image(png_claiming(16000, 16000), ("PNG",), max_pixels=None)
    assert info.value.params == {"width": 16000, "height": 16000, "max_mp": round(Image.MAX_IMAGE_PIXELS / 1e6)}


def test_fit():
    assert imaging.fit((4000, 3000), 1600) == (1600, 1200)
    assert imaging.fit((3000, 4000), 1600) == (1200, 1600)
    assert imaging.fit((7000, 1000), 1600) == (1600, 229)
    assert imaging.fit((1600, 900), 1600) == (1600, 900)  # never upscaled
    assert imaging.fit((100_000, 10), 320) == (320, 1)  # never 0


@pytest.mark.parametrize(("size", "edge", "decoded", "result"), [
    ((4000, 3000), 1600, (2000, 1500), (1600, 1200)),  # 1/2: the smallest DCT scale still >= the target
    ((4000, 3000), 320, (500, 375), (320, 240)),  # 1/8
    ((4000, 3000), 1000, (1000, 750), (1000, 750)),  # 1/4 is exactly the target
    ((1700, 1000), 1600, (1700, 1000), (1600, 941)),  # 1/2 would be too small: full size
    ((200, 100), 1600, (200, 100), (200, 100)),  # never upscaled
])
def test_decode_jpeg_at_the_smallest_scale_at_least_the_target(size, edge, decoded, result):
    image = imaging.open_image(encode(picture(size), quality=90, exif=make_exif(orientation=6)), ("JPEG",),
                               max_pixels=None)
    out = imaging.decode(image, edge, max_pixels=50_000_000)
    assert image.size == decoded  # what draft() decoded
    assert (out.size, out.mode, out.info.get("icc_profile")) == (result, "RGB", None)
    assert close(out.getpixel((5, 5)), RED) and close(out.getpixel((out.width - 5, out.height - 5)), BLUE)
    # orientation is not applied by decode; the image stays open for its EXIF
    assert imaging.exif_orientation(image) == 6 and read_exif(image)[1] == pytest.approx(LAT, abs=1e-6)


def test_decode_png_transparency_and_refusals():
    image = Image.new("RGBA", (400, 200), (0, 0, 0, 0))
    ImageDraw.Draw(image).rectangle((200, 0, 399, 199), fill=(*RED, 255))
    out = imaging.decode(imaging.open_image(encode(image, "PNG"), ("PNG",), max_pixels=None), 100, max_pixels=1)
    assert (out.size, out.mode) == ((100, 50), "RGB")
    assert out.getpixel((10, 25)) == (255, 255, 255) and close(out.getpixel((90, 25)), RED, 2)
    damaged = encode(picture((400, 300)), "PNG")
    for errors in (imaging.PILLOW_ERRORS, (OSError,)):
        with pytest.raises(Refusal) as info:
            imaging.decode(imaging.open_image(damaged[:300], ("PNG",), max_pixels=None), 100,
                           max_pixels=1, refused=Refusal, errors=errors)
        assert (info.value.code, info.value.params) == ("corrupt", {})
        assert isinstance(info.value.__cause__, OSError)


def test_decode_converts_the_colour_profile_to_srgb():
    data = encode(picture((400, 300)), quality=95,
                  icc_profile=ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    out = imaging.decode(imaging.open_image(data, ("JPEG",), max_pixels=None), 200, max_pixels=1)
    assert out.size == (200, 150) and close(out.getpixel((150, 100)), BLUE)


@pytest.mark.parametrize(("orientation", "size", "red_at"), [
    (1, (40, 30), (2, 2)), (2, (40, 30), (37, 2)), (3, (40, 30), (37, 27)), (4, (40, 30), (2, 27)),
    (5, (30, 40), (2, 2)), (6, (30, 40), (27, 2)), (7, (30, 40), (27, 37)), (8, (30, 40), (2, 37)),
    (0, (40, 30), (2, 2)), (9, (40, 30), (2, 2)),  # out of range: as is
])
def test_orient(orientation, size, red_at):
    upright = imaging.orient(picture((40, 30)), orientation)
    assert upright.size == size
    assert upright.getpixel(red_at) == RED
    # the same as Pillow's exif_transpose
    reference = picture((40, 30))
    reference.getexif()[0x0112] = orientation
    assert ImageOps.exif_transpose(reference).tobytes() == upright.tobytes()


def test_thumbnail_and_encode_jpeg_without_metadata():
    source = picture((400, 300))
    source.info.update(comment=b"SecretComment", exif=make_exif().tobytes(), icc_profile=b"x" * 100)
    thumb = imaging.thumbnail(source, 100)
    assert thumb.size == (100, 75) and imaging.thumbnail(source, 1000).size == (400, 300)
    data = imaging.encode_jpeg(source, 80)
    again = opened(data)
    assert (again.format, again.size) == ("JPEG", (400, 300))
    assert not {"exif", "icc_profile", "comment", "xmp"} & set(again.info) and not again.getexif()
    assert b"Secret" not in data
    plain = imaging.encode_jpeg(picture((400, 300)), 80, optimize=False)
    assert plain == encode(picture((400, 300)), "JPEG", quality=80, optimize=False)
    assert data == encode(picture((400, 300)), "JPEG", quality=80, optimize=True)  # OPTIMIZE by default


def test_exif_readers():
    exif = make_exif(orientation=8, taken="2026:05:09 10:30:00", offset="-03:30")
    image = opened(encode(picture(), exif=exif))
    assert imaging.exif_orientation(image) == 8
    assert imaging.exif_orientation(Image.new("RGB", (2, 2))) == 1
    assert imaging.exif_taken_at(image.getexif()) == dt.datetime(
        2026, 5, 9, 10, 30, tzinfo=dt.timezone(-dt.timedelta(hours=3, minutes=30)))
    lat, lon = imaging.gps_position(image.getexif().get_ifd(imaging.GPS_IFD))
    assert lat == pytest.approx(LAT, abs=1e-6) and lon == pytest.approx(LON, abs=1e-6)
    assert imaging.gps_position({}) == (None, None)
    assert (imaging.exif_text(b"DJI\x00 "), imaging.exif_text(" FC6310\x00"), imaging.exif_text(42)) == (
        "DJI", "FC6310", None)
