"""QR images of PIX payloads, for channels that can send a picture (Telegram, WhatsApp, web).

The symbol is segno's (`bot.payments.qr_masks` picks its data mask faster, with segno's
rules); Pillow writes the PNG. segno's own PNG writer builds every scanline in Python (~2.5
ms of a code's time); Pillow scales and compresses in C (~1 ms), pixel for pixel the same
image.
"""

from __future__ import annotations

import io

from PIL import Image, ImageOps

from bot.payments.qr_masks import qr_modules

__all__ = ["qr_png"]

# Level M is what banks print on PIX codes; a fixed level keeps the image the same size for
# every installment instead of segno picking a higher level when it happens to fit.
_ERROR_LEVEL = "m"
_QUIET_ZONE_MODULES = 4
# zlib's default level: level 9 spent a third of the PNG's time for an image 10 % smaller.
_PNG_COMPRESSION = 6
_LIGHT, _DARK = 255, 0
_GREY_OF_MODULE = bytes(_LIGHT if module == 0 else _DARK for module in range(256))


def qr_png(payload: str, scale: int = 8) -> bytes:
    """Render `payload` as a PNG QR code (error level M, 4-module border), black on white,
    one bit per pixel."""
    if scale < 1:
        raise ValueError("scale must be at least 1")
    rows = qr_modules(payload, _ERROR_LEVEL)
    width = len(rows)
    symbol = Image.frombytes("L", (width, width), b"".join(rows).translate(_GREY_OF_MODULE))
    framed = ImageOps.expand(symbol, border=_QUIET_ZONE_MODULES, fill=_LIGHT)
    side = framed.width * scale
    image = framed.resize((side, side), Image.Resampling.NEAREST)
    out = io.BytesIO()
    image.convert("1", dither=Image.Dither.NONE).save(
        out, format="PNG", compress_level=_PNG_COMPRESSION
    )
    return out.getvalue()
