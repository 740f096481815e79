"""Elevation thumbnails as real PNG files, drawn with zlib and struct only (no imaging library).

The picture is a simple front view: frame in the outside (or inside) colour, glass panes split by
mullions, one pane per ~900 mm of width, scaled to fit the requested size. A 300x300 image comes
out at a few KB, like the real ones.
"""

from __future__ import annotations

import struct
import zlib

MAX_SIDE = 4096

RAL_RGB = {
    "RAL 9016": (241, 240, 234), "RAL 9010": (241, 237, 225), "RAL 7016": (56, 62, 66),
    "RAL 9005": (14, 14, 16), "RAL 7021": (47, 50, 52), "RAL 7039": (108, 105, 96),
    "RAL 9007": (135, 133, 129), "RAL 8019": (61, 54, 53), "EV1": (192, 194, 196), "C33": (122, 92, 58),
}
GLASS_RGB = (176, 214, 232)
BACKGROUND_RGB = (255, 255, 255)
DIMENSION_RGB = (200, 30, 30)


def png_bytes(width: int, height: int, rows: list[bytes]) -> bytes:
    """Encode 8-bit RGB rows (each width*3 bytes) as a PNG file."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    raw = b"".join(b"\x00" + row for row in rows)  # filter type 0 on every scanline
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def render_elevation_png(width: int, height: int, *, elevation_width: float, elevation_height: float,
                         frame_color: str, with_dimensions: bool = False) -> bytes:
    """A front view of an elevation of the given size (mm), fitted into width x height pixels."""
    if not (1 <= width <= MAX_SIDE and 1 <= height <= MAX_SIDE):
        raise ValueError(f"thumbnail sides must be 1..{MAX_SIDE} pixels")
    margin = max(1, min(width, height) // 12)
    scale = min((width - 2 * margin) / max(elevation_width, 1), (height - 2 * margin) / max(elevation_height, 1))
    draw_w = max(1, int(elevation_width * scale))
    draw_h = max(1, int(elevation_height * scale))
    left = (width - draw_w) // 2
    top = (height - draw_h) // 2
    frame = max(1, int(70 * scale))
    panes = max(1, round(elevation_width / 900))
    frame_rgb = bytes(RAL_RGB.get(frame_color, (120, 120, 120)))
    background_rgb = bytes(BACKGROUND_RGB)

    # A row inside the drawing is runs of background, frame and glass pixels; glass gets a
    # vertical gradient (as rendered glazing does), so rows differ and sizes come out realistic.
    def kind(x: int) -> str:
        if not left <= x < left + draw_w:
            return "background"
        inside_frame = left + frame <= x < left + draw_w - frame
        on_mullion = any(abs(x - m) <= frame // 2 for m in mullions)
        return "glass" if inside_frame and not on_mullion else "frame"

    mullions = {left + draw_w * k // panes for k in range(1, panes)}
    runs: list[list] = []
    for x in range(width):
        k = kind(x)
        if runs and runs[-1][0] == k:
            runs[-1][1] += 1
        else:
            runs.append([k, 1])
    background_line = background_rgb * width
    frame_line = b"".join((background_rgb if k == "background" else frame_rgb) * n for k, n in runs)

    rows = []
    for y in range(height):
        if top + frame <= y < top + draw_h - frame:
            t = (y - top) / max(1, draw_h)
            shade = bytes(min(255, int(c + (255 - c) * 0.5 * t)) for c in GLASS_RGB)
            colors = {"background": background_rgb, "frame": frame_rgb, "glass": shade}
            rows.append(b"".join(colors[k] * n for k, n in runs))
        elif top <= y < top + draw_h:
            rows.append(frame_line)
        else:
            rows.append(background_line)
    if with_dimensions and top > 2:
        line = bytearray(background_line)
        for x in range(left, min(width, left + draw_w)):
            line[3 * x:3 * x + 3] = bytes(DIMENSION_RGB)
        rows[top // 2] = bytes(line)
    return png_bytes(width, height, rows)
