"""The QR image a debtor scans carries exactly the "copia e cola" text."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import pytest
import segno
from PIL import Image
from pyzbar.pyzbar import decode

from bot.payments.pix import PixCharge, build_brcode, qr_png, txid_for


def _scan(png: bytes) -> list[str]:
    return [symbol.data.decode("utf-8") for symbol in decode(Image.open(io.BytesIO(png)))]


def test_qr_png_decodes_back_to_the_payload() -> None:
    payload = build_brcode(
        PixCharge(
            key="+5511998765432",
            merchant_name="Loja Exemplo",
            merchant_city="Campinas",
            amount=Decimal("89.90"),
            txid=txid_for(7, 1),
        )
    )

    png = qr_png(payload)

    assert png.startswith(b"\x89PNG")
    assert _scan(png) == [payload]


def test_scale_changes_the_image_size_not_the_content() -> None:
    payload = build_brcode(
        PixCharge("123e4567-e12b-12d1-a456-426655440000", "Fulano de Tal", "BRASILIA", None)
    )

    small, large = qr_png(payload, scale=4), qr_png(payload, scale=8)

    assert Image.open(io.BytesIO(large)).size[0] == 2 * Image.open(io.BytesIO(small)).size[0]
    assert _scan(small) == _scan(large) == [payload]


@pytest.mark.parametrize("scale", [8, 3, 1])
def test_the_image_is_pixel_for_pixel_the_one_segno_draws(scale: int) -> None:
    payload = build_brcode(
        PixCharge("+5511998765432", "Loja Exemplo", "Campinas", Decimal("1234.56"), txid_for(3, 2))
    )
    segnos = io.BytesIO()
    segno.make(payload, error="m", micro=False, boost_error=False).save(
        segnos, kind="png", scale=scale, border=4
    )

    ours, theirs = Image.open(io.BytesIO(qr_png(payload, scale))), Image.open(segnos)

    assert ours.mode == theirs.mode == "1"
    assert ours.size == theirs.size
    assert ours.tobytes() == theirs.tobytes()


def test_drawing_speed(benchmark: Any) -> None:
    """What one PIX agreement's QR costs the outbox's drawing process (`make bench`)."""
    payloads = [
        build_brcode(PixCharge("+5511998765432", "Loja", "Campinas", Decimal(n), txid_for(n, 1)))
        for n in range(1, 21)
    ]

    images = benchmark(lambda: [qr_png(payload) for payload in payloads])

    assert _scan(images[-1]) == [payloads[-1]]
