"""Drone photos: read what a drone recorded and re-encode the photo for display (pure: stdlib, Pillow, pillow-heif).

`process(data)` takes one uploaded file (a 20-megapixel JPEG from a DJI-class drone, or HEIC) and returns what
was read from it — capture time, WGS-84 position, altitude, the DJI XMP fields (altitude above the take-off
point, gimbal pitch and yaw), make and model — with a display copy and a thumbnail, both plain JPEG with no
metadata. The original bytes are the evidence and are kept by the caller as they came; `sha256` names them.

Bad input is refused with an `AerialRefused` whose code and parameters the Django layer translates (the same
codes as `dudao.photos.imaging.ImageRefused`); no other exception leaves `process` for bad input. Damaged
metadata does not refuse a photo whose pixels decode: it is recorded in `metadata_problems` ("exif_corrupt",
"xmp_corrupt") and whatever could still be read is kept. A photo without a usable position comes back with
`lat`/`lon` None (the "place by hand" list); a position outside the county is the placement's business
(`dudao.drone.placement` finds no village for it), not a refusal here.

The format is decided by content, never by a file name. Sizes are checked before decoding: the byte count
first, then width x height from the header (pixel floods). JPEGs are decoded with reduced-size DCT (`draft`):
a 5472x3648 drone photo is decoded at 1/2 (2736x1824) and then resized to the display size, which is what
makes ingesting hundreds of them affordable. HEIF has no reduced decoding and is decoded in full.
"""

import datetime as dt
import hashlib
import math
import re
import struct
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from xml.parsers import expat

import pillow_heif
from PIL import Image

from dudao.photos import imaging
from dudao.photos.imaging import PILLOW_ERRORS

# One thread that hashes the original while the pixels decode: both release the GIL, so the SHA-256 of a 6 MB
# photo (~3 ms) costs nothing beside the decode it overlaps (bench/drone_ingest.py).
_HASHER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dudao-sha256")

MAX_BYTES = 60 * 1024 * 1024  # bigger uploads refused before decoding
MAX_PIXELS = 120_000_000  # width*height limit checked from the header before decoding (pixel floods)
DISPLAY_EDGE = 2048  # long edge of the display copy (<=, never upscaled)
THUMB_EDGE = 320  # long edge of the thumbnail, made from the display copy

ACCEPTED = ("JPEG", "HEIF")  # Pillow format names; a JPEG with an MPF preview opens as "MPO" and counts as JPEG
HEIF_BRANDS = (b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs", b"mif1", b"msf1")  # ftyp
DISPLAY_QUALITY = imaging.DISPLAY_QUALITY
THUMB_QUALITY = imaging.THUMB_QUALITY
# Unlike field photos, the display copy is written without optimised Huffman tables: they make it ~10% smaller
# but cost ~7 ms of the ~125 ms a 20-megapixel photo takes, and the original kept beside it is 20x its size.
DISPLAY_OPTIMIZE = False
MAX_XMP_BYTES = 4 * 1024 * 1024  # a JPEG's XMP segment holds at most 64 KiB; HEIF's XMP item is not bounded
MAX_TEXT = 100  # make and model are cut to this many characters
# pillow-heif reports libheif decoding failures as ValueError (in PILLOW_ERRORS) or, for "some other error",
# RuntimeError (its documented exceptions)
DECODE_ERRORS: tuple[type[BaseException], ...] = (*PILLOW_ERRORS, RuntimeError)

MESSAGES = {
    **imaging.MESSAGES,
    "unsupported_format": "{format} pictures are not accepted; send the drone's JPEG or HEIC photo.",
}

# EXIF tags (CIPA DC-008) beyond those imaging.py reads
MAKE, MODEL = 0x010F, 0x0110
GPS_ALTITUDE_REF, GPS_ALTITUDE = 5, 6
# TIFF field types and their sizes in bytes (TIFF 6.0; 13 = IFD; 16-18 from BigTIFF, which Pillow also reads)
TIFF_TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4,
                   16: 8, 17: 8, 18: 8}

XMP_HEADER = b"http://ns.adobe.com/xap/1.0/\x00"  # how a JPEG APP1 segment says it holds the XMP packet
# Keys come out as "prefix:Name" with these prefixes whatever prefix the file declared for the namespace, so
# "drone-dji:RelativeAltitude" is found even in a packet that binds DJI's namespace to another prefix.
XMP_PREFIXES = {
    "http://www.dji.com/drone-dji/1.0/": "drone-dji",
    "http://ns.adobe.com/tiff/1.0/": "tiff",
    "http://ns.adobe.com/exif/1.0/": "exif",
    "http://ns.adobe.com/xap/1.0/": "xmp",
    "http://ns.adobe.com/xap/1.0/mm/": "xmpMM",
    "http://purl.org/dc/elements/1.1/": "dc",
    "http://ns.adobe.com/camera-raw-settings/1.0/": "crs",
    "http://ns.google.com/photos/1.0/panorama/": "GPano",
}
# Structure, not values: rdf:Description, rdf:about, rdf:Seq/li, xml:lang, x:xmpmeta and x:xmptk
XMP_SKIPPED = frozenset({"http://www.w3.org/1999/02/22-rdf-syntax-ns#", "http://www.w3.org/XML/1998/namespace",
                         "adobe:ns:meta/"})
XML_DECLARATION = re.compile(r"\A\s*<\?xml\s[^>]*\?>")
NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)")

# Plausible ranges: outside them a value is treated as absent, not as a fact about the flight
ALTITUDE_RANGE = (-1000.0, 10000.0)  # metres; DJI's service ceiling is 6000 m above sea level
PITCH_RANGE = (-180.0, 180.0)  # degrees; -90 is straight down
YAW_RANGE = (-180.0, 360.0)  # degrees from north; DJI writes -180..180, some tools 0..360

pillow_heif.register_heif_opener()


class AerialRefused(Exception):
    """An upload that is not kept; `code` and `params` are for the translated message (see MESSAGES)."""

    def __init__(self, code: str, **params: Any):
        super().__init__(MESSAGES.get(code, code).format(**params))
        self.code = code
        self.params = params


class XmpCorrupt(ValueError):
    """An XMP packet that is not well-formed XML, or declares a DOCTYPE/entities (never expanded)."""


@dataclass(frozen=True)
class Aerial:
    sha256: str  # hex digest of the uploaded bytes (the original, kept as evidence)
    source_format: str  # "JPEG" or "HEIF", detected from content
    width: int  # of the original, after EXIF orientation
    height: int
    taken_at: dt.datetime | None  # EXIF DateTimeOriginal (or DateTime): naive camera time, aware given an offset
    lat: float | None  # WGS-84 decimal degrees (S/W negative); both or neither
    lon: float | None
    altitude_m: float | None  # EXIF GPSAltitude (below sea level if GPSAltitudeRef = 1), else XMP AbsoluteAltitude
    relative_altitude_m: float | None  # XMP drone-dji:RelativeAltitude: height above the take-off point
    gimbal_pitch: float | None  # XMP drone-dji:GimbalPitchDegree (-90 = looking straight down)
    gimbal_yaw: float | None  # XMP drone-dji:GimbalYawDegree (degrees from north)
    make: str  # EXIF Make (else XMP tiff:Make), "" if absent
    model: str  # EXIF Model (else XMP tiff:Model), "" if absent
    display: bytes  # JPEG, long edge <= DISPLAY_EDGE (never upscaled), orientation applied, no metadata; b"" when
    #                 process(with_display=False)
    thumb: bytes  # JPEG, long edge <= THUMB_EDGE, made from the display copy (or decoded for it), no metadata
    metadata_problems: tuple[str, ...]  # "exif_corrupt", "xmp_corrupt": the photo is still accepted


def process(data: bytes, *, max_bytes: int = MAX_BYTES, max_pixels: int = MAX_PIXELS,
            with_display: bool = True) -> Aerial:
    """Read the drone photo's metadata and re-encode it; raises AerialRefused (and nothing else) for bad bytes.

    ``with_display=False`` is the ingest of a batch: metadata and the thumbnail only, decoded at the smallest
    scale the thumbnail allows (``display`` is then b""); the display copy follows when someone first opens the
    photo (``display_copy``)."""
    imaging.check_size(data, max_bytes, refused=AerialRefused)
    hashing = _HASHER.submit(_sha256, data)
    image = _open(data, max_pixels)
    source_format = imaging.content_format(image)
    width, height = image.size

    exif, exif_corrupt = _read_exif(image)  # from the header: no pixel is decoded yet
    xmp, xmp_corrupt = _read_image_xmp(image)
    display, orientation = _decode(image, max_pixels, DISPLAY_EDGE if with_display else THUMB_EDGE)
    if orientation >= 5:
        width, height = height, width
    thumb = imaging.thumbnail(display, THUMB_EDGE) if with_display else display

    sha256 = hashing.result()
    lat, lon = exif["lat"], exif["lon"]
    if lat is None or lon is None:
        lat, lon = _xmp_position(xmp)
    altitude = exif["altitude"]
    if altitude is None:
        altitude = _xmp_number(xmp, "drone-dji:AbsoluteAltitude", ALTITUDE_RANGE)
    return Aerial(
        sha256=sha256, source_format=source_format, width=width, height=height, taken_at=exif["taken_at"],
        lat=lat, lon=lon, altitude_m=altitude,
        relative_altitude_m=_xmp_number(xmp, "drone-dji:RelativeAltitude", ALTITUDE_RANGE),
        gimbal_pitch=_xmp_number(xmp, "drone-dji:GimbalPitchDegree", PITCH_RANGE),
        gimbal_yaw=_xmp_number(xmp, "drone-dji:GimbalYawDegree", YAW_RANGE),
        make=exif["make"] or _cut(xmp.get("tiff:Make")), model=exif["model"] or _cut(xmp.get("tiff:Model")),
        display=imaging.encode_jpeg(display, DISPLAY_QUALITY, optimize=DISPLAY_OPTIMIZE) if with_display else b"",
        thumb=imaging.encode_jpeg(thumb, THUMB_QUALITY),
        metadata_problems=(("exif_corrupt",) if exif_corrupt else ()) + (("xmp_corrupt",) if xmp_corrupt else ()),
    )


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_xmp(data: bytes) -> dict[str, str]:
    """The simple properties of an XMP packet as {"prefix:Name": "value"}, {} when there is no packet.

    `data` is the packet itself (as Pillow gives it in `image.info["xmp"]`, with or without the JPEG segment's
    "http://ns.adobe.com/xap/1.0/" header), or a whole JPEG file, whose XMP APP1 segment is then found. Both
    forms DJI writes are read: attributes of rdf:Description (drone-dji:RelativeAltitude="+50.20") and elements
    holding only text (<drone-dji:RelativeAltitude>+50.20</drone-dji:RelativeAltitude>); lists (rdf:Seq, Bag,
    Alt) are skipped. Values are returned as written, stripped of surrounding white space.

    Raises XmpCorrupt for a packet that is not well-formed XML (truncated, wrong encoding), is too big, or has a
    DOCTYPE: XMP never needs one, and refusing it means no entity is ever declared, let alone expanded.
    """
    if data.startswith(b"\xff\xd8"):
        packet = _jpeg_xmp_segment(data)
        if packet is None:
            return {}
    else:
        packet = data.removeprefix(XMP_HEADER)
    packet = _utf8(packet).rstrip(b"\x00 \t\r\n")  # writers pad the packet; Pillow's getxmp strips NUL too
    if not packet:
        return {}
    if len(packet) > MAX_XMP_BYTES:
        raise XmpCorrupt(f"XMP packet of {len(packet)} bytes")
    return _XmpReader().read(packet)


# --- opening and decoding ---------------------------------------------------------------------------------------

def _open(data: bytes, max_pixels: int | None) -> Image.Image:
    """The image identified from content as JPEG or HEIF (header read, pixels not yet decoded), width x height
    checked against max_pixels (None: a photo accepted before, not checked again).

    Opened without Pillow's own decompression-bomb check (which warns above ~89 megapixels, below our limit).
    libheif reads the whole box structure when opening: a HEIC cut short or damaged fails to open, and its ftyp
    box says clearly enough what it was meant to be (unlike a 3-byte JPEG signature): "corrupt".
    """
    return imaging.open_image(data, ACCEPTED, max_pixels=max_pixels, refused=AerialRefused, pillow_check=False,
                              claimed=_heif_signature)


def _heif_signature(data: bytes) -> bool:
    return data[4:8] == b"ftyp" and data[8:12] in HEIF_BRANDS


def display_copy(data: bytes, *, max_pixels: int = MAX_PIXELS) -> bytes:
    """The display copy of a photo already accepted by ``process`` (JPEG, no metadata, <= DISPLAY_EDGE)."""
    display, _orientation = _decode(_open(data, None), max_pixels, DISPLAY_EDGE)
    return imaging.encode_jpeg(display, DISPLAY_QUALITY, optimize=DISPLAY_OPTIMIZE)


def _decode(image: Image.Image, max_pixels: int, edge: int) -> tuple[Image.Image, int]:
    """The RGB picture at most ``edge`` pixels long, EXIF orientation applied and converted to sRGB, and that
    orientation. Closes the image: frees the decoded pixels (60 MB for a 20-megapixel HEIF) before encoding."""
    try:
        picture = imaging.decode(image, edge, max_pixels=max_pixels, refused=AerialRefused, errors=DECODE_ERRORS)
        # pillow-heif applies HEIF's own rotation and reports EXIF orientation 1, so this is a no-op for HEIF
        orientation = imaging.exif_orientation(image)
    finally:
        image.close()
    return imaging.orient(picture, orientation), orientation


# --- EXIF -------------------------------------------------------------------------------------------------------

def _read_exif(image: Image.Image) -> tuple[dict[str, Any], bool]:
    """The EXIF fields (absent ones None) and whether the EXIF block is damaged.

    Pillow skips what it cannot read with a warning and carries on (or raises, where warnings are errors), so
    damage is judged from the block's structure (`_tiff_damaged`) as well as from what Pillow raised. Each field
    is read on its own: a garbled GPS block still leaves the time, make and model.
    """
    fields: dict[str, Any] = {"taken_at": None, "lat": None, "lon": None, "altitude": None, "make": "", "model": ""}
    raw = image.info.get("exif")
    damaged = isinstance(raw, bytes) and _tiff_damaged(raw)
    try:
        exif = image.getexif()
    except PILLOW_ERRORS:
        return fields, True
    if not exif:
        return fields, damaged
    try:
        fields["taken_at"] = imaging.exif_taken_at(exif)
    except PILLOW_ERRORS:
        damaged = True
    try:
        fields["make"], fields["model"] = _cut(exif.get(MAKE)), _cut(exif.get(MODEL))
    except PILLOW_ERRORS:
        damaged = True
    try:
        gps = exif.get_ifd(imaging.GPS_IFD)
        fields["lat"], fields["lon"] = imaging.gps_position(gps)
        fields["altitude"] = _altitude(gps)
    except PILLOW_ERRORS:
        damaged = True
    return fields, damaged


def _tiff_damaged(raw: bytes) -> bool:
    """Whether an EXIF block (TIFF structure after b"Exif\\0\\0") is broken where we read it: a bad header, or an
    IFD (0th, Exif, GPS) or value that lies outside the block, an unknown field type, or IFDs in a loop."""
    tiff = raw.removeprefix(b"Exif\x00\x00")
    order = {b"II": "<", b"MM": ">"}.get(tiff[:2])
    if order is None or len(tiff) < 8 or struct.unpack_from(order + "H", tiff, 2)[0] != 42:
        return True
    pending, seen = [struct.unpack_from(order + "I", tiff, 4)[0]], set()
    while pending:
        offset = pending.pop()
        if offset in seen or offset < 8 or offset + 2 > len(tiff):
            return True
        seen.add(offset)
        (count,) = struct.unpack_from(order + "H", tiff, offset)
        if offset + 2 + 12 * count + 4 > len(tiff):  # the entries and the next-IFD offset
            return True
        for k in range(count):
            tag, kind, number, value = struct.unpack_from(order + "HHII", tiff, offset + 2 + 12 * k)
            unit = TIFF_TYPE_SIZES.get(kind)
            if unit is None or (unit * number > 4 and value + unit * number > len(tiff)):
                return True
            if tag in (imaging.EXIF_IFD, imaging.GPS_IFD):
                pending.append(value)
    return False


def _altitude(gps: dict[int, Any]) -> float | None:
    """GPSAltitude in metres, negative when GPSAltitudeRef says below sea level."""
    value = _rational(gps.get(GPS_ALTITUDE))
    if value is None:
        return None
    ref = gps.get(GPS_ALTITUDE_REF)
    if isinstance(ref, bytes):
        ref = ref[0] if ref else 0
    if ref == 1:
        value = -value
    return value if ALTITUDE_RANGE[0] <= value <= ALTITUDE_RANGE[1] else None


def _rational(value: Any) -> float | None:
    if isinstance(value, tuple | list) and len(value) == 2:  # (numerator, denominator)
        value = value[0] / value[1] if value[1] else math.nan
    try:
        number = float(value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    return number if math.isfinite(number) else None


def _cut(value: Any) -> str:
    text = imaging.exif_text(value)
    return text[:MAX_TEXT] if text else ""


# --- XMP --------------------------------------------------------------------------------------------------------

def _read_image_xmp(image: Image.Image) -> tuple[dict[str, str], bool]:
    packet = image.info.get("xmp")
    if isinstance(packet, str):
        packet = packet.encode("utf-8")
    if not isinstance(packet, bytes):
        return {}, False
    try:
        return read_xmp(packet), False
    except XmpCorrupt:
        return {}, True


def _utf8(packet: bytes) -> bytes:
    """The packet in UTF-8. XMP may also be UTF-16 or UTF-32 with a byte order mark: decoded here, so that
    trailing padding can be stripped character-wise, and its XML declaration dropped (it names the old encoding).
    """
    for bom, codec in ((b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"),
                       (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if packet.startswith(bom):
            try:
                text = packet.decode(codec)
            except UnicodeError as exc:
                raise XmpCorrupt(f"not {codec}: {exc}") from exc
            return XML_DECLARATION.sub("", text.rstrip("\x00 \t\r\n"), count=1).encode("utf-8")
    return packet


def _jpeg_xmp_segment(data: bytes) -> bytes | None:
    """The XMP packet of a JPEG's APP1 segment, None if there is none before the image data starts."""
    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in (0x01, 0xD8) or 0xD0 <= marker <= 0xD7:  # markers without a length
            pos += 2
            continue
        if marker in (0xDA, 0xD9):  # start of scan, end of image: metadata segments come before
            return None
        length = int.from_bytes(data[pos + 2:pos + 4], "big")
        segment = data[pos + 4:pos + 2 + length]
        if marker == 0xE1 and segment.startswith(XMP_HEADER):
            return segment[len(XMP_HEADER):]
        pos += 2 + max(length, 2)
    return None


class _XmpReader:
    """One expat pass over a packet. expat, not ElementTree: its handlers let a DOCTYPE be refused the moment it
    starts, and namespace processing gives each name's namespace URI, mapped to the XMP_PREFIXES prefix."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}
        self.prefixes: dict[str, str] = {}
        self.stack: list[list[Any]] = []  # [key or None, text parts, has child elements]

    def read(self, packet: bytes) -> dict[str, str]:
        parser = expat.ParserCreate(namespace_separator=" ")
        parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        parser.StartDoctypeDeclHandler = self._refuse
        parser.EntityDeclHandler = self._refuse
        parser.ExternalEntityRefHandler = self._refuse_external
        parser.StartNamespaceDeclHandler = self._namespace
        parser.StartElementHandler = self._start
        parser.EndElementHandler = self._end
        parser.CharacterDataHandler = self._text
        try:
            parser.Parse(packet, True)
        except expat.ExpatError as exc:
            raise XmpCorrupt(str(exc)) from exc
        except (UnicodeError, ValueError, RecursionError) as exc:
            raise XmpCorrupt(str(exc)) from exc
        return self.values

    def _refuse(self, *args: Any) -> None:
        raise XmpCorrupt("a DOCTYPE or entity declaration in an XMP packet")

    def _refuse_external(self, *args: Any) -> int:
        raise XmpCorrupt("an external entity reference in an XMP packet")

    def _namespace(self, prefix: str | None, uri: str | None) -> None:
        if uri:
            self.prefixes.setdefault(uri, prefix or "")

    def _key(self, name: str) -> str | None:
        """"prefix:Local" for a namespaced name, None for structure (rdf, xml, x) and names without namespace."""
        uri, _, local = name.rpartition(" ")
        if not uri or uri in XMP_SKIPPED:
            return None
        prefix = XMP_PREFIXES.get(uri) or self.prefixes.get(uri) or uri
        return f"{prefix}:{local}"

    def _start(self, name: str, attributes: dict[str, str]) -> None:
        for attribute, value in attributes.items():
            key = self._key(attribute)
            if key is not None:
                self.values[key] = value.strip()
        if self.stack:
            self.stack[-1][2] = True
        self.stack.append([self._key(name), [], False])

    def _end(self, name: str) -> None:
        key, parts, has_children = self.stack.pop()
        text = "".join(parts).strip()
        if key is not None and not has_children and text:
            self.values[key] = text

    def _text(self, data: str) -> None:
        if self.stack:
            self.stack[-1][1].append(data)


def _xmp_number(xmp: dict[str, str], key: str, bounds: tuple[float, float]) -> float | None:
    """A decimal XMP value ("+50.20", "-90.0") within bounds, else None."""
    text = xmp.get(key, "")
    if not NUMBER.fullmatch(text):
        return None
    number = float(text)
    return number if bounds[0] <= number <= bounds[1] else None


def _xmp_position(xmp: dict[str, str]) -> tuple[float | None, float | None]:
    """(lat, lon) from DJI's XMP (drone-dji:GpsLatitude, and GpsLongitude or the GpsLongtitude some firmware
    spells), for a photo whose EXIF has no usable position; (None, None) unless both are there and plausible."""
    lat = _xmp_number(xmp, "drone-dji:GpsLatitude", (-90.0, 90.0))
    lon = _xmp_number(xmp, "drone-dji:GpsLongitude", (-180.0, 180.0))
    if lon is None:
        lon = _xmp_number(xmp, "drone-dji:GpsLongtitude", (-180.0, 180.0))
    if lat is None or lon is None or (lat == 0 and lon == 0):
        return None, None
    return lat, lon
