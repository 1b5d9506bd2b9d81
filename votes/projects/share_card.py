"""The picture a chat app shows for a link to a project's public page (Open Graph image): 1200 × 630 PNG, drawn
with Pillow (already used for photos). The title and place are written when a CJK font is installed (Noto CJK,
WenQuanYi, or `YISHI_CARD_FONT`); without one the card shows the brand and the works' progress only, and the
words travel in og:title and og:description."""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

WIDTH, HEIGHT = 1200, 630
BRAND = (29, 78, 137)
BRAND_DARK = (18, 54, 97)
PAPER = (255, 255, 255)
DONE = (46, 139, 87)
TODO = (200, 210, 222)
FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
)


@dataclass(frozen=True, slots=True)
class Card:
    """What the card says: all plain text, public (the page it stands for is)."""

    title: str
    place: str  # "幸福里社区 · 3-2"
    status: str  # "已通过 — 公示中", or the works' stage
    done: int  # milestones reached
    steps: int  # milestones in all


def font_path() -> str | None:
    chosen = os.environ.get("YISHI_CARD_FONT", "").strip()
    for path in ((chosen,) if chosen else ()) + FONTS:
        if Path(path).is_file():
            return path
    return None


def _fit(draw: ImageDraw.ImageDraw, text: str, path: str, size: int, width: int) -> tuple[ImageFont.FreeTypeFont, str]:
    """The font at `size` (down to 60 %) and the text, cut with "…" if it still does not fit on one line."""
    for step in range(size, int(size * 0.6) - 1, -4):
        font = ImageFont.truetype(path, step)
        if draw.textlength(text, font=font) <= width:
            return font, text
    font = ImageFont.truetype(path, int(size * 0.6))
    while text and draw.textlength(text + "…", font=font) > width:
        text = text[:-1]
    return font, text + "…"


@lru_cache(maxsize=64)
def render(card: Card) -> bytes:
    """The card as PNG bytes; the same card always gives the same bytes (kept for the process)."""
    image = Image.new("RGB", (WIDTH, HEIGHT), PAPER)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, WIDTH, 150), fill=BRAND)
    draw.rounded_rectangle((60, 35, 140, 115), radius=16, fill=PAPER)
    draw.rectangle((0, HEIGHT - 24, WIDTH, HEIGHT), fill=BRAND_DARK)
    # The works' progress: one block per milestone, reached ones filled.
    steps = max(card.steps, 1)
    gap, left, right, top = 12, 60, WIDTH - 60, 470
    block = (right - left - gap * (steps - 1)) / steps
    for i in range(steps):
        x = left + i * (block + gap)
        draw.rounded_rectangle((x, top, x + block, top + 56), radius=10, fill=DONE if i < card.done else TODO)
    path = font_path()
    if path is not None:
        mark = ImageFont.truetype(path, 56)
        draw.text((100, 75), "议", font=mark, fill=BRAND, anchor="mm")
        font, text = _fit(draw, "议事 Yishi", path, 48, 900)
        draw.text((170, 75), text, font=font, fill=PAPER, anchor="lm")
        font, text = _fit(draw, card.title, path, 72, WIDTH - 120)
        draw.text((60, 200), text, font=font, fill=(20, 24, 31))
        font, text = _fit(draw, card.place, path, 40, WIDTH - 120)
        draw.text((60, 310), text, font=font, fill=(74, 85, 104))
        font, text = _fit(draw, card.status, path, 40, WIDTH - 120)
        draw.text((60, 380), text, font=font, fill=BRAND)
        font, text = _fit(draw, f"{card.done} / {card.steps}", path, 36, 300)
        draw.text((60, 545), text, font=font, fill=(74, 85, 104))
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
