"""The week's poster of the green and red lists for WeChat groups: a PNG 1080 pixels wide (WeChat shows images of
that width at full sharpness on a phone), as tall as the lists need, in Noto Sans CJK SC (fonts-noto-cjk, the
font the bulletins use: it has the rare characters of village names, such as 䃎)."""

import io

from django.utils.translation import gettext as _
from PIL import Image, ImageDraw, ImageFont

from dudao.bulletins.content import cjk_font_file
from dudao.portal import content, texts

WIDTH = 1080
MARGIN = 56
INK = "#1d1d1d"
MUTED = "#5a5a5a"
PAPER = "#ffffff"


def font(size: int) -> ImageFont.FreeTypeFont:
    path, index = cjk_font_file()
    return ImageFont.truetype(path, size, index=index)


def _wrap(text: str, face: ImageFont.FreeTypeFont, width: int) -> list[str]:
    """Lines of at most ``width`` pixels, broken between any two characters (Chinese has no spaces)."""
    lines, line = [], ""
    for char in text:
        if face.getlength(line + char) > width and line:
            lines.append(line)
            line = char.lstrip()
        else:
            line += char
    return [*lines, line] if line else lines


def poster(campaign, week: content.Week) -> bytes:
    title_face, head_face, body_face, small_face = font(54), font(40), font(32), font(26)
    ops: list[tuple] = []  # (kind, y, payload)
    y = MARGIN
    for line in _wrap(campaign.name, title_face, WIDTH - 2 * MARGIN):
        ops.append(("text", y, line, title_face, INK))
        y += 70
    ops.append(("text", y, texts.week_label(week.week), head_face, MUTED))
    y += 64
    figures = _("%(ranked)s ranked: %(green)s %(green_label)s, %(yellow)s %(yellow_label)s, %(red)s %(red_label)s") % {
        "ranked": week.ranked, "green": week.counts["green"], "yellow": week.counts["yellow"],
        "red": week.counts["red"], "green_label": week.styles["green"].label,
        "yellow_label": week.styles["yellow"].label, "red_label": week.styles["red"].label}
    for line in _wrap(figures, body_face, WIDTH - 2 * MARGIN):
        ops.append(("text", y, line, body_face, INK))
        y += 46
    y += 20
    for tier in content.LISTED:
        style = week.styles[tier]
        ops.append(("band", y, style.colour, style.ink, _("%(label)s list") % {"label": style.label}, head_face))
        y += 80
        if not week.lists[tier]:
            ops.append(("text", y, _("No village."), body_face, MUTED))
            y += 46
        for town in week.lists[tier]:
            names = "、".join(f"{v.name}（{v.position}）" for v in town.villages)
            for line in _wrap(f"{town.name}：{names}", body_face, WIDTH - 2 * MARGIN):
                ops.append(("text", y, line, body_face, INK))
                y += 46
            y += 8
        y += 24
    note = _("Published %(date)s. Every village's result: %(path)s") % {
        "date": week.round.published_at.date().isoformat() if week.round.published_at else "",
        "path": "/public/"}
    for line in _wrap(note, small_face, WIDTH - 2 * MARGIN):
        ops.append(("text", y, line, small_face, MUTED))
        y += 38
    height = y + MARGIN
    image = Image.new("RGB", (WIDTH, height), PAPER)
    draw = ImageDraw.Draw(image)
    for op in ops:
        if op[0] == "text":
            _kind, top, text, face, colour = op
            draw.text((MARGIN, top), text, font=face, fill=colour)
        else:
            _kind, top, colour, ink, text, face = op
            draw.rectangle((0, top, WIDTH, top + 64), fill=colour)
            draw.text((MARGIN, top + 8), text, font=face, fill=ink)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
