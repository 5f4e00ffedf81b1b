"""Field photos: check an upload from a phone and re-encode it for storage (pure: stdlib and Pillow only).

`process(data)` takes the uploaded bytes and returns a display copy and a thumbnail, both plain JPEG with no
metadata at all (a phone photo's EXIF carries the GPS position, the device and often the owner's name), plus
what was read from the EXIF before it was dropped: when the photo was taken and where. Anything that is not a
JPEG, PNG or WEBP photo of sane size is refused with an `ImageRefused` whose code and parameters the Django
layer translates; no other exception leaves `process` for bad input, whatever the bytes are.

The format is decided by content, never by a file name. Sizes are checked before decoding: the byte count
first, then width x height from the header (decompression bombs). JPEGs are decoded with reduced-size DCT
(`draft`), so a 12-megapixel photo is decoded at half size, still at least the display size.

The steps are public, for drone photos (`dudao.drone.aerial`) to go the same way with their own limits, formats
and refusal class: `check_size`, `open_image`, `decode`, `orient`, `thumbnail` and `encode_jpeg`, with `fit`,
`content_format` and the EXIF readers `exif_orientation`, `exif_taken_at`, `gps_position` and `exif_text`.
"""

import datetime as dt
import hashlib
import io
import math
import re
import struct
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from PIL import Image, ImageCms

MAX_BYTES = 20 * 1024 * 1024  # bigger uploads refused before decoding
MAX_PIXELS = 50_000_000  # width*height limit checked from the header before decoding (decompression bombs)
DISPLAY_EDGE = 1600  # long edge of the stored display copy
THUMB_EDGE = 320  # long edge of the thumbnail

ACCEPTED = ("JPEG", "PNG", "WEBP")
DISPLAY_QUALITY = 82
THUMB_QUALITY = 80
OPTIMIZE = True  # optimised Huffman tables: ~9% smaller display copies for ~4 ms more per photo
# Resampling. A JPEG decoded by reduced-size DCT is left less than 2x too big; Pillow's BILINEAR (a tent filter
# whose support scales with the reduction, so antialiased) then does as well as LANCZOS in half the time. Measured
# on the synthetic 12-megapixel photos of bench/photo_ingest.py, against full decode + LANCZOS, before encoding:
# half-size DCT + LANCZOS 44.4 dB PSNR in 50 ms, + BICUBIC 45.0 dB in 40 ms, + BILINEAR 44.5 dB in 24 ms; the
# DCT scaling is the bigger difference. Everything else (PNG screenshots with text, WEBP, the thumbnail) gets
# LANCZOS after an integer pre-reduction (reducing_gap).
DRAFTED_RESAMPLE = Image.Resampling.BILINEAR
RESAMPLE = Image.Resampling.LANCZOS
REDUCING_GAP = 2.0
BACKGROUND = (255, 255, 255)  # transparent pixels are composited onto white
MIB = 1024 * 1024

# What Pillow raises for damaged or hostile input, while identifying, decoding or reading EXIF (found by fuzzing
# truncated and mutated JPEG/PNG/WEBP files). UnidentifiedImageError is an OSError. Pillow reports damaged EXIF
# with warnings.warn(UserWarning) and carries on, which raises wherever warnings are errors (python -W error).
# Not a bare `except Exception`: a bug in this module should still surface as itself.
PILLOW_ERRORS: tuple[type[BaseException], ...] = (
    OSError, SyntaxError, ValueError, TypeError, IndexError, KeyError, EOFError, struct.error, zlib.error,
    Image.DecompressionBombError, Image.DecompressionBombWarning, UserWarning,
)
# Formats Pillow can identify that are not pictures someone could mean to upload (vector, metadata, video
# headers, scientific-data stubs): content recognised as one of these is "not_image", not "unsupported_format".
# IPTC in particular matches any bytes starting 0x1C, so random data would otherwise be called an image.
NOT_PICTURES = frozenset({"BUFR", "EPS", "GRIB", "HDF5", "IPTC", "MPEG", "WMF"})

MESSAGES = {
    "too_large": "The upload is {size_mb} MB; the limit is {max_mb} MB.",
    "empty": "The upload is empty.",
    "not_image": "The upload is not a picture.",
    "unsupported_format": "{format} pictures are not accepted; send a JPEG, PNG or WEBP photo.",
    "too_many_pixels": "The picture is {width} x {height} pixels; the limit is {max_mp} megapixels.",
    "corrupt": "The picture is damaged or incomplete and cannot be read.",
}

# EXIF tags (CIPA DC-008)
ORIENTATION = 0x0112
DATETIME = 0x0132
EXIF_IFD = 0x8769
GPS_IFD = 0x8825
DATETIME_ORIGINAL, DATETIME_DIGITIZED = 0x9003, 0x9004
OFFSET_TIME, OFFSET_TIME_ORIGINAL, OFFSET_TIME_DIGITIZED = 0x9010, 0x9011, 0x9012
GPS_LATITUDE_REF, GPS_LATITUDE, GPS_LONGITUDE_REF, GPS_LONGITUDE, GPS_STATUS = 1, 2, 3, 4, 9

TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
EXIF_TIME = re.compile(r"(\d{4}):(\d{2}):(\d{2})[ T](\d{2}):(\d{2}):(\d{2})")
EXIF_OFFSET = re.compile(r"([+-])(\d{2}):(\d{2})")


class ImageRefused(Exception):
    """An upload that is not kept; `code` and `params` are for the translated message (see MESSAGES)."""

    def __init__(self, code: str, **params: Any):
        super().__init__(MESSAGES.get(code, code).format(**params))
        self.code = code
        self.params = params


@dataclass(frozen=True)
class Processed:
    display: bytes  # JPEG, long edge <= display_edge (never upscaled), EXIF orientation applied, no metadata
    thumb: bytes  # JPEG, long edge <= thumb_edge, made from the display copy
    width: int  # of display
    height: int
    source_format: str  # "JPEG", "PNG" or "WEBP" as detected from content
    source_width: int  # of the upload (after orientation)
    source_height: int
    sha256: str  # hex digest of the uploaded bytes
    taken_at: dt.datetime | None  # EXIF DateTimeOriginal (or DateTime); aware if the EXIF gives the offset
    lat: float | None  # WGS-84 decimal degrees (S/W negative)
    lon: float | None


def process(data: bytes, *, max_bytes: int = MAX_BYTES, max_pixels: int = MAX_PIXELS,
            display_edge: int = DISPLAY_EDGE, thumb_edge: int = THUMB_EDGE) -> Processed:
    """Check the upload and re-encode it; raises ImageRefused (and nothing else) for any unacceptable bytes."""
    check_size(data, max_bytes)
    sha256 = hashlib.sha256(data).hexdigest()
    image = open_image(data, ACCEPTED, max_pixels=max_pixels)
    source_format = content_format(image)
    width, height = image.size
    display = decode(image, display_edge, max_pixels=max_pixels)
    taken_at, lat, lon = read_exif(image)  # after decode's load(): a PNG's EXIF chunk may follow the pixels
    orientation = exif_orientation(image)
    display = orient(display, orientation)
    if orientation >= 5:
        width, height = height, width
    thumb = thumbnail(display, thumb_edge)
    return Processed(
        display=encode_jpeg(display, DISPLAY_QUALITY), thumb=encode_jpeg(thumb, THUMB_QUALITY),
        width=display.width, height=display.height, source_format=source_format,
        source_width=width, source_height=height, sha256=sha256, taken_at=taken_at, lat=lat, lon=lon,
    )


def read_exif(image: Image.Image) -> tuple[dt.datetime | None, float | None, float | None]:
    """(taken_at, lat, lon) from the image's EXIF; None for whatever is absent, implausible or unreadable.

    Never raises for damaged EXIF: the time and the position are read independently, so a garbled GPS block
    still leaves the time. For a PNG whose EXIF chunk follows the pixels, call `image.load()` first.
    """
    exif = _exif(image)
    if exif is None:
        return None, None, None
    try:
        taken_at = exif_taken_at(exif)
    except PILLOW_ERRORS:
        taken_at = None
    try:
        lat, lon = gps_position(exif.get_ifd(GPS_IFD))
    except PILLOW_ERRORS:
        lat = lon = None
    return taken_at, lat, lon


# --- opening ------------------------------------------------------------------------------------------------

Refusal = Callable[..., Exception]  # called as refused(code, **params): ImageRefused, or a caller's own class


def check_size(data: bytes, max_bytes: int, *, refused: Refusal = ImageRefused) -> None:
    """Refuse, before anything is read, bytes over max_bytes ("too_large") or none at all ("empty")."""
    if len(data) > max_bytes:
        raise refused("too_large", size_mb=round(len(data) / MIB, 1), max_mb=round(max_bytes / MIB))
    if not data:
        raise refused("empty")


def open_image(data: bytes, formats: Iterable[str], *, max_pixels: int | None, refused: Refusal = ImageRefused,
               pillow_check: bool = True, claimed: Callable[[bytes], bool] | None = None) -> Image.Image:
    """The image identified from content as one of `formats` (Pillow format names; a JPEG with an MPF preview
    opens as "MPO"): header read, pixels not yet decoded. Raises `refused(code, **params)` with

    - "not_image" / "unsupported_format" (format=...) when no accepted format reads the header: whatever fails
      here, before any pixel is decoded, is not "corrupt", since Pillow's plugins raise OSError("Truncated File
      Read") and the like from header parsing for HTML behind a PNG signature just as for a damaged header;
    - "corrupt" instead when `claimed(data)` says the bytes are meant to be an accepted format (a HEIF ftyp box);
    - "too_many_pixels" (width, height, max_mp) when width x height from the header is over `max_pixels` (not
      checked when None: a file accepted before, opened again).

    `pillow_check`: also apply Pillow's own decompression-bomb check (Image.open's: an error above ~179
    megapixels, a warning above ~89, which may be set to raise), for limits below it; off for limits above it,
    where the header is read without it.
    """
    accepted = list(formats)
    image: Image.Image | None
    if pillow_check:
        try:
            image = Image.open(io.BytesIO(data), formats=accepted)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            # Pillow's limit fired in Image.open before we could see the size: read the header again without it
            header = identify(data, accepted)
            width, height = (header.size if header is not None else _webp_canvas(data)) or (0, 0)
            limit = max_pixels if max_pixels is not None else Image.MAX_IMAGE_PIXELS or 0
            raise refused("too_many_pixels", width=width, height=height,
                          max_mp=round(limit / 1_000_000)) from exc
        except PILLOW_ERRORS:  # UnidentifiedImageError, or a plugin's header parsing failed
            image = None
    else:
        image = identify(data, accepted)
    if image is None:
        if claimed is not None and claimed(data):
            raise refused("corrupt")
        other = identify(data, [name for name in Image.ID if name not in (*accepted, "MPO")])  # MPO: a JPEG
        if other is None or other.format in NOT_PICTURES:
            raise refused("not_image")
        raise refused("unsupported_format", format=other.format)
    width, height = image.size
    if max_pixels is not None and width * height > max_pixels:
        raise refused("too_many_pixels", width=width, height=height, max_mp=round(max_pixels / 1_000_000))
    return image


def identify(data: bytes, formats: Iterable[str]) -> Image.Image | None:
    """What Image.open does (header only) minus its decompression-bomb check: the first plugin that accepts the
    bytes among `formats` and reads their header, else None."""
    Image.init()
    prefix = data[:16]
    for name in formats:
        if name not in Image.OPEN:
            continue
        factory, accept = Image.OPEN[name]
        try:  # some accept() functions raise for a prefix shorter than they expect
            accepted = accept(prefix) if accept is not None else True
            if accepted and not isinstance(accepted, str):  # a str is Pillow's "almost, but..." warning
                return factory(io.BytesIO(data), "")
        except PILLOW_ERRORS:
            continue
    return None


def content_format(image: Image.Image) -> str:
    """The opened image's format as reported to callers: "JPEG" for an MPO (a phone JPEG with a depth map)."""
    return "JPEG" if image.format == "MPO" else str(image.format)


def _webp_canvas(data: bytes) -> tuple[int, int] | None:
    """Width and height from a WEBP header: needed because Pillow's WEBP plugin runs the decompression-bomb
    check inside its own header parsing, so `identify` cannot get the size of a WEBP bomb from Pillow."""
    if len(data) < 30 or data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        return None
    chunk = data[12:16]
    if chunk == b"VP8X":
        return 1 + int.from_bytes(data[24:27], "little"), 1 + int.from_bytes(data[27:30], "little")
    if chunk == b"VP8L" and data[20] == 0x2F:
        bits = int.from_bytes(data[21:25], "little")
        return 1 + (bits & 0x3FFF), 1 + ((bits >> 14) & 0x3FFF)
    if chunk == b"VP8 " and data[23:26] == b"\x9d\x01\x2a":
        return int.from_bytes(data[26:28], "little") & 0x3FFF, int.from_bytes(data[28:30], "little") & 0x3FFF
    return None


# --- pixels -------------------------------------------------------------------------------------------------

def fit(size: tuple[int, int], edge: int) -> tuple[int, int]:
    """`size` scaled down (never up) so that its long edge is at most `edge`."""
    width, height = size
    long = max(width, height)
    if long <= edge:
        return width, height
    return max(1, round(width * edge / long)), max(1, round(height * edge / long))


def decode(image: Image.Image, edge: int, *, max_pixels: int, refused: Refusal = ImageRefused,
           errors: tuple[type[BaseException], ...] = PILLOW_ERRORS) -> Image.Image:
    """The opened image's pixels as an RGB picture in sRGB whose long edge is at most `edge` (never upscaled),
    EXIF orientation not yet applied (`orient`).

    A JPEG is decoded by reduced-size DCT at 1/2, 1/4 or 1/8 scale, the smallest still >= the target size, and
    resized from there (DRAFTED_RESAMPLE); anything else is resized from the full decode (RESAMPLE after an integer
    pre-reduction). Transparent pixels are composited onto white; the embedded colour profile is converted to sRGB.
    A decoding failure among `errors` raises refused("corrupt"), a decompression bomb refused("too_many_pixels")
    with the header's size. The image is left loaded, not closed: its EXIF (a PNG's may follow the pixels) can
    be read now, and closing it is the caller's.
    """
    width, height = image.size  # before draft() shrinks it
    size = fit(image.size, edge)
    icc_profile = image.info.get("icc_profile")
    try:
        box = None
        if image.format in ("JPEG", "MPO") and size != image.size:
            drafted = image.draft("RGB", size)
            box = drafted[1] if drafted else None
        image.load()
        if box is not None:
            picture = _rgb_or_rgba(image).resize(size, DRAFTED_RESAMPLE, box=box)
        else:
            picture = _rgb_or_rgba(image).resize(size, RESAMPLE, reducing_gap=REDUCING_GAP)
        picture = _flatten(picture)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise refused("too_many_pixels", width=width, height=height,
                      max_mp=round(max_pixels / 1_000_000)) from exc
    except errors as exc:
        raise refused("corrupt") from exc
    # per pixel, so the same before or after `orient` turns the picture
    return _to_srgb(picture, icc_profile)


def orient(picture: Image.Image, orientation: int) -> Image.Image:
    """The picture turned and/or mirrored upright for an EXIF orientation (1-8; 1 and unknown values: as is).
    With orientation >= 5 width and height swap."""
    return picture.transpose(TRANSPOSE[orientation]) if orientation in TRANSPOSE else picture


def thumbnail(picture: Image.Image, edge: int) -> Image.Image:
    """A decoded picture resized (never up) to a long edge of at most `edge` (RESAMPLE, integer pre-reduction)."""
    return picture.resize(fit(picture.size, edge), RESAMPLE, reducing_gap=REDUCING_GAP)


def _rgb_or_rgba(image: Image.Image) -> Image.Image:
    """RGB, or RGBA when the image has transparency (resized premultiplied, flattened afterwards)."""
    mode = image.mode
    if mode == "RGBA":
        return image
    if mode in ("LA", "La", "PA", "RGBa") or "transparency" in image.info:  # incl. a PNG tRNS colour or index
        return image.convert("RGBA")
    if mode == "RGB":
        return image
    if mode == "I" or mode.startswith("I;16"):  # 16-bit grey PNG: scale 0..65535 into 0..255, don't clip
        return image.convert("F").point(lambda v: v / 257).convert("RGB")
    return image.convert("RGB")  # L, 1, P, CMYK, YCbCr, LAB, HSV


def _flatten(image: Image.Image) -> Image.Image:
    if image.mode != "RGBA":
        return image
    flat = Image.new("RGB", image.size, BACKGROUND)
    flat.paste(image, mask=image.getchannel("A"))
    return flat


def _to_srgb(image: Image.Image, icc_profile: Any) -> Image.Image:
    """Pixels converted from the upload's embedded colour profile (e.g. an iPhone's Display P3) to sRGB, so the
    profile can be dropped without dulling the colours; left as they are if the profile is unusable."""
    if not icc_profile or not isinstance(icc_profile, bytes):
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
        if source.profile.xcolor_space.strip() != "RGB":
            return image
        converted = ImageCms.profileToProfile(image, source, ImageCms.createProfile("sRGB"), outputMode="RGB")
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError, AttributeError):
        return image
    return converted if isinstance(converted, Image.Image) else image


def encode_jpeg(image: Image.Image, quality: int, *, optimize: bool = OPTIMIZE) -> bytes:
    """Baseline JPEG with no metadata: nothing is passed for exif/icc_profile/xmp, and `info` is emptied
    because Pillow's JPEG writer falls back to image.info["comment"], which resize/convert copy over."""
    image.info = {}
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality, optimize=optimize)
    return buffer.getvalue()


# --- EXIF ---------------------------------------------------------------------------------------------------

def _exif(image: Image.Image) -> Image.Exif | None:
    try:
        exif = image.getexif()
    except PILLOW_ERRORS:
        return None
    return exif or None


def exif_orientation(image: Image.Image) -> int:
    """The EXIF Orientation (1-8), 1 when absent, out of range or unreadable."""
    exif = _exif(image)
    value = exif.get(ORIENTATION) if exif is not None else None
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def exif_text(value: Any) -> str | None:
    """An EXIF ASCII value as str, stripped of NUL padding and spaces; None if it is not text."""
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    return value.strip("\x00 ") if isinstance(value, str) else None


def exif_taken_at(exif: Image.Exif) -> dt.datetime | None:
    """DateTimeOriginal, else DateTimeDigitized, else DateTime: naive, aware when the matching OffsetTime is
    given; None if none is a valid time. May raise PILLOW_ERRORS for a damaged Exif IFD."""
    ifd = exif.get_ifd(EXIF_IFD)
    for source, time_tag, offset_tag in ((ifd, DATETIME_ORIGINAL, OFFSET_TIME_ORIGINAL),
                                         (ifd, DATETIME_DIGITIZED, OFFSET_TIME_DIGITIZED),
                                         (exif, DATETIME, OFFSET_TIME)):
        text = exif_text(source.get(time_tag))
        match = EXIF_TIME.fullmatch(text) if text else None
        if not match:
            continue
        year, month, day, hour, minute, second = (int(part) for part in match.groups())
        try:
            taken = dt.datetime(year, month, day, hour, minute, second)  # naive unless an offset follows
        except ValueError:  # "0000:00:00 00:00:00" and the like
            continue
        offset = exif_text(ifd.get(offset_tag))
        sign = EXIF_OFFSET.fullmatch(offset) if offset else None
        if sign and int(sign[2]) < 24 and int(sign[3]) < 60:
            delta = dt.timedelta(hours=int(sign[2]), minutes=int(sign[3]))
            taken = taken.replace(tzinfo=dt.timezone(delta if sign[1] == "+" else -delta))
        return taken
    return None


def _degrees(value: Any) -> float | None:
    """Degrees, minutes, seconds (EXIF rationals) as decimal degrees."""
    if not isinstance(value, tuple | list) or not 1 <= len(value) <= 3:
        return None
    total = 0.0
    for part, unit in zip(value, (1, 60, 3600), strict=False):
        if isinstance(part, tuple) and len(part) == 2:  # (numerator, denominator)
            part = part[0] / part[1] if part[1] else math.nan
        number = float(part)
        if not math.isfinite(number) or number < 0:
            return None
        total += number / unit
    return total


def gps_position(gps: dict[int, Any]) -> tuple[float | None, float | None]:
    """(lat, lon) from a GPS IFD, or (None, None): both or neither. A void fix (GPSStatus "V") and the 0, 0
    that some phones write when they have no fix count as absent."""
    if not gps or exif_text(gps.get(GPS_STATUS)) == "V":
        return None, None
    lat, lon = _degrees(gps.get(GPS_LATITUDE)), _degrees(gps.get(GPS_LONGITUDE))
    lat_ref, lon_ref = exif_text(gps.get(GPS_LATITUDE_REF)), exif_text(gps.get(GPS_LONGITUDE_REF))
    if lat is None or lon is None or lat_ref not in ("N", "S") or lon_ref not in ("E", "W"):
        return None, None
    if lat > 90 or lon > 180 or (lat == 0 and lon == 0):
        return None, None
    return (-lat if lat_ref == "S" else lat), (-lon if lon_ref == "W" else lon)
