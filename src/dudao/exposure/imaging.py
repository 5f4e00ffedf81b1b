"""The public copy of an exposure item's photo: the regions the editor marked (faces, plates, names, phone numbers)
destroyed in the pixels themselves, not hidden by the page. Pure: stdlib and Pillow only.

A region is a rectangle in normalised coordinates (x, y, w, h: fractions 0..1 of the width and height, from the
top left). `check_regions` refuses what is not one; `destroy` pixelates each region into coarse blocks of one flat
colour each (the block's mean, quantised to steps of QUANTUM per channel), at most BLOCKS_ALONG blocks along the
region's long edge and never smaller than MIN_BLOCK pixels: what the block held is gone, only a few dozen coarse
colours remain. `public_copy` reads a stored photo (a copy Dudao re-encoded already), destroys the regions and
encodes a new JPEG without any metadata (no EXIF, so no GPS).
"""

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from PIL import Image, ImageStat

from dudao.photos import imaging

MAX_REGIONS = 20
MIN_SIZE = 0.005  # a region narrower or lower than half a percent is a slip of the mouse, not a face
BLOCKS_ALONG = 8  # at most this many blocks along the region's long edge
MIN_BLOCK = 16  # pixels
QUANTUM = 16  # a block's colour is rounded to a multiple of this per channel
PIXEL_SLACK = 1e-6  # 0.2 + 0.4 is 0.6000000000000001: not a pixel more
TOLERANCE = 1e-6  # a rectangle drawn to the edge may end at 1.0000001 after rounding in the browser

MESSAGES = {
    "not_list": "The regions are not a list of rectangles.",
    "too_many": "{count} regions; at most {max} are accepted.",
    "not_numbers": "Region {number} is not four numbers x, y, width, height.",
    "outside": "Region {number} lies outside the photo.",
    "empty": "Region {number} has no width or no height.",
}


class RegionRefused(Exception):
    """Regions that cannot be applied; `code` and `params` are for the translated message (see MESSAGES)."""

    def __init__(self, code: str, **params: Any):
        super().__init__(MESSAGES[code].format(**params))
        self.code = code
        self.params = params


@dataclass(frozen=True)
class Region:
    x: float
    y: float
    w: float
    h: float

    def as_list(self) -> list[float]:
        return [round(self.x, 6), round(self.y, 6), round(self.w, 6), round(self.h, 6)]

    def box(self, width: int, height: int) -> tuple[int, int, int, int]:
        """The pixels it covers in a picture of this size (left, top, right, bottom; rounded outwards)."""
        left = max(0, math.floor(self.x * width + PIXEL_SLACK))
        top = max(0, math.floor(self.y * height + PIXEL_SLACK))
        right = min(width, math.ceil((self.x + self.w) * width - PIXEL_SLACK))
        bottom = min(height, math.ceil((self.y + self.h) * height - PIXEL_SLACK))
        return left, top, max(right, left + 1), max(bottom, top + 1)


def check_regions(raw: Any) -> list[Region]:
    """The rectangles of a list of [x, y, w, h] (or {"x", "y", "w", "h"}), each inside 0..1 and not empty; at most
    MAX_REGIONS. Raises RegionRefused, numbering the regions from 1."""
    if not isinstance(raw, list | tuple):
        raise RegionRefused("not_list")
    if len(raw) > MAX_REGIONS:
        raise RegionRefused("too_many", count=len(raw), max=MAX_REGIONS)
    regions = []
    for number, item in enumerate(raw, start=1):
        values = [item.get(k) for k in "xywh"] if isinstance(item, dict) else item
        if not isinstance(values, list | tuple) or len(values) != 4 or not all(
                isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in values):
            raise RegionRefused("not_numbers", number=number)
        x, y, w, h = (float(v) for v in values)
        if w < MIN_SIZE or h < MIN_SIZE:
            raise RegionRefused("empty", number=number)
        if x < -TOLERANCE or y < -TOLERANCE or x + w > 1 + TOLERANCE or y + h > 1 + TOLERANCE:
            raise RegionRefused("outside", number=number)
        x, y = max(0.0, x), max(0.0, y)
        regions.append(Region(x, y, min(w, 1 - x), min(h, 1 - y)))
    return regions


def block_size(box: tuple[int, int, int, int]) -> int:
    left, top, right, bottom = box
    return max(MIN_BLOCK, math.ceil(max(right - left, bottom - top) / BLOCKS_ALONG))


def blocks(box: tuple[int, int, int, int]) -> Iterable[tuple[int, int, int, int]]:
    """The region's blocks, from its top left corner; the last ones of a row or column may be narrower."""
    left, top, right, bottom = box
    size = block_size(box)
    for y in range(top, bottom, size):
        for x in range(left, right, size):
            yield x, y, min(x + size, right), min(y + size, bottom)


def _flat(mean: Sequence[float]) -> tuple[int, ...]:
    return tuple(min(255, int(round(value / QUANTUM)) * QUANTUM) for value in mean)


def destroy(image: Image.Image, regions: Iterable[Region]) -> Image.Image:
    """A new RGB picture: `image` with every block of every region filled with one flat, quantised colour."""
    out = image.convert("RGB")  # a copy, even when it is RGB already
    for region in regions:
        for block in blocks(region.box(out.width, out.height)):
            out.paste(_flat(ImageStat.Stat(out.crop(block)).mean), block)
    return out


def public_copy(data: bytes, regions: Iterable[Region], *, edge: int = imaging.DISPLAY_EDGE) -> tuple[bytes, int, int]:
    """The public JPEG of a stored photo with the regions destroyed, no metadata at all; with its width and
    height. Raises imaging.ImageRefused for bytes that are not a picture."""
    image = imaging.open_image(data, imaging.ACCEPTED, max_pixels=imaging.MAX_PIXELS)
    decoded = imaging.orient(imaging.decode(image, edge, max_pixels=imaging.MAX_PIXELS),
                             imaging.exif_orientation(image))
    out = destroy(decoded, regions)
    return imaging.encode_jpeg(out, imaging.DISPLAY_QUALITY), out.width, out.height
