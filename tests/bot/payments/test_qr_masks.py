"""The fast mask choice draws exactly the symbol segno draws: every module, every mask."""

from __future__ import annotations

import random
import string
from decimal import Decimal

import segno
from hypothesis import given, settings
from hypothesis import strategies as st
from segno import encoder

from bot.payments.pix import PixCharge, build_brcode, txid_for
from bot.payments.qr_masks import qr_modules

LEVELS = ("l", "m", "q", "h")


def segno_rows(payload: str, error: str) -> tuple[bytes, ...]:
    code = segno.make(payload, error=error, micro=False, boost_error=False)
    return tuple(bytes(row) for row in code.matrix)


@settings(max_examples=150, deadline=None)
@given(payload=st.text(min_size=1, max_size=300), error=st.sampled_from(LEVELS))
def test_any_text_gets_segnos_symbol(payload: str, error: str) -> None:
    assert qr_modules(payload, error) == segno_rows(payload, error)


def test_every_mask_is_chosen_as_segno_chooses_it() -> None:
    """Texts of many sizes until each of the eight masks has been the best one, so the seven
    derived from mask 0 are all checked."""
    rng = random.Random(4)
    winners: set[int] = set()
    for _ in range(200):
        payload = "".join(
            rng.choices(string.ascii_letters + string.digits + " ", k=rng.randint(10, 200))
        )
        assert qr_modules(payload, "m") == segno_rows(payload, "m"), payload
        winners.add(segno.make(payload, error="m", micro=False, boost_error=False).mask)
        if len(winners) == 8:
            break
    assert winners == set(range(8))


def test_a_pix_code_gets_segnos_symbol() -> None:
    payload = build_brcode(
        PixCharge("+5511998765432", "Loja Exemplo", "Campinas", Decimal("89.90"), txid_for(7, 1))
    )

    assert qr_modules(payload, "m") == segno_rows(payload, "m")


def test_every_version_gets_segnos_symbol() -> None:
    """All 40 sizes: their error correction block structures and remainder bits differ."""
    level = encoder.normalize_errorlevel("m")

    def version_of(text: str) -> int:
        segments = encoder.prepare_data(text, None, None)
        return int(encoder.find_version(segments, level, eci=False, micro=False))

    longest = 1
    for version in range(1, 41):
        # the longest text that still fits in this version (binary search on the length)
        high = 2331  # bytes at level M in version 40
        while longest < high:
            middle = (longest + high + 1) // 2
            if version_of("a" * middle) <= version:
                longest = middle
            else:
                high = middle - 1
        payload = "a" * longest
        assert segno.make(payload, error="m", micro=False, boost_error=False).version == version
        assert qr_modules(payload, "m") == segno_rows(payload, "m"), version
