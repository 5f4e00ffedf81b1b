"""The public copy of an exposure item's photo (dudao.exposure.imaging, pure): every block of a marked region is one
flat colour, so the region's original pixels are gone; pixels outside it are unchanged (within JPEG's tolerance);
the JPEG carries no metadata (no EXIF, no GPS) even when the source did; regions outside 0..1, empty, too many or
not numbers are refused with a code."""

import io
import random

import pytest
from PIL import Image, ImageChops, ImageStat
from tests.test_photo_imaging import encode, phone_jpeg

from dudao.exposure import imaging
from dudao.exposure.imaging import Region, RegionRefused, check_regions, destroy, public_copy


def noise(size=(400, 300), seed=7) -> Image.Image:
    """A picture whose every pixel differs from its neighbours: a flat block can only come from destroy()."""
    rng = random.Random(seed)
    return Image.frombytes("RGB", size, bytes(rng.randrange(256) for _ in range(size[0] * size[1] * 3)))


def variance(image: Image.Image, box) -> float:
    return max(ImageStat.Stat(image.crop(box)).var)


def test_every_block_of_a_region_is_one_flat_colour_and_nothing_else_changes():
    source = noise()
    region = Region(0.25, 0.2, 0.5, 0.4)  # 200 x 120 pixels at (100, 60)
    out = destroy(source, [region])
    box = region.box(*source.size)
    assert box == (100, 60, 300, 180)
    blocks = list(imaging.blocks(box))
    assert imaging.block_size(box) == 25  # 200 / 8 blocks along the long edge
    assert len(blocks) == 8 * 5
    for block in blocks:
        assert variance(out, block) == 0, block  # flat: the original pixels are gone
        assert variance(source, block) > 1000, block  # they were noise
        colour = out.getpixel(block[:2])
        assert all(channel % imaging.QUANTUM == 0 or channel == 255 for channel in colour)
    outside = ImageChops.difference(source, out)
    outside.paste((0, 0, 0), box)
    assert outside.getbbox() is None  # not one pixel outside the region changed


def test_small_regions_still_get_blocks_of_at_least_16_pixels():
    out = destroy(noise(), [Region(0.0, 0.0, 0.1, 0.1)])  # 40 x 30
    box = (0, 0, 40, 30)
    assert imaging.block_size(box) == imaging.MIN_BLOCK
    assert [variance(out, b) for b in imaging.blocks(box)] == [0, 0, 0, 0, 0, 0]


def test_the_public_copy_is_a_new_jpeg_without_metadata_with_the_region_destroyed():
    source = phone_jpeg((400, 300))  # EXIF with GPS, a comment and a colour profile
    assert Image.open(io.BytesIO(source)).getexif().get_ifd(0x8825) != {}  # the source has a GPS position
    data, width, height = public_copy(source, [Region(0.5, 0.5, 0.5, 0.5)])
    assert data[:2] == b"\xff\xd8"
    assert b"Exif" not in data and b"GPS" not in data and b"SecretComment" not in data and b"ICC_PROFILE" not in data
    image = Image.open(io.BytesIO(data))
    assert image.getexif() == {}
    assert (width, height) == image.size


def test_outside_the_regions_the_public_copy_keeps_the_picture_within_jpeg_tolerance():
    smooth = Image.linear_gradient("L").resize((320, 240)).convert("RGB")
    data, _w, _h = public_copy(encode(smooth, "JPEG", quality=95), [Region(0.75, 0.75, 0.25, 0.25)])
    out = Image.open(io.BytesIO(data)).convert("RGB")
    difference = ImageChops.difference(smooth, out).crop((0, 0, 224, 168))  # clear of the region's 8x8 blocks
    assert max(hi for _lo, hi in difference.getextrema()) <= 8


def test_the_region_of_the_public_copy_differs_from_the_original_and_is_near_flat():
    source = noise((320, 240), seed=11)
    data, _w, _h = public_copy(encode(source, "PNG"), [Region(0.0, 0.0, 0.5, 0.5)])
    out = Image.open(io.BytesIO(data)).convert("RGB")
    inner = (4, 4, 16, 16)  # inside the first 20-pixel block, away from the JPEG's edges with the next
    assert variance(out, inner) < 40  # the block's flat colour, give or take JPEG's ringing
    assert variance(source, inner) > 3000


@pytest.mark.parametrize(("raw", "code", "params"), [
    ("0,0,1,1", "not_list", {}),
    ([[0.1, 0.1, 0.2]], "not_numbers", {"number": 1}),
    ([[0.1, 0.1, 0.2, 0.2], ["a", 0, 0.1, 0.1]], "not_numbers", {"number": 2}),
    ([[0.1, 0.1, float("nan"), 0.2]], "not_numbers", {"number": 1}),
    ([[True, 0.1, 0.2, 0.2]], "not_numbers", {"number": 1}),
    ([[-0.1, 0.1, 0.2, 0.2]], "outside", {"number": 1}),
    ([[0.9, 0.1, 0.2, 0.2]], "outside", {"number": 1}),
    ([[0.1, 1.2, 0.2, 0.2]], "outside", {"number": 1}),
    ([[0.1, 0.1, 0.0, 0.2]], "empty", {"number": 1}),
    ([[0.1, 0.1, 0.2, -0.2]], "empty", {"number": 1}),
    ([[0.1, 0.1, 0.2, 0.2]] * 21, "too_many", {"count": 21, "max": 20}),
])
def test_bad_regions_are_refused_with_a_code(raw, code, params):
    with pytest.raises(RegionRefused) as info:
        check_regions(raw)
    assert (info.value.code, info.value.params) == (code, params)


def test_good_regions_are_kept_and_a_rectangle_to_the_edge_passes():
    assert check_regions([[0, 0, 1, 1], {"x": 0.5, "y": 0.25, "w": 0.5, "h": 0.75}, [0.5, 0.5, 0.5000000001, 0.5]]) == [
        Region(0.0, 0.0, 1.0, 1.0), Region(0.5, 0.25, 0.5, 0.75), Region(0.5, 0.5, 0.5, 0.5)]
    assert check_regions([]) == []
    assert len(check_regions([[0.1, 0.1, 0.2, 0.2]] * 20)) == 20
