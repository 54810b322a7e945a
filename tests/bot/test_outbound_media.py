"""PIX QR images are drawn in a worker process and still scan back to the payload."""

from __future__ import annotations

import io
import os
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
from PIL import Image
from pyzbar.pyzbar import decode

from bot import outbound_media
from bot.channels.base import OutboundMessage
from bot.payments.pix import PixCharge, build_brcode, txid_for
from tests.support.harness import running_quita
from tests.support.processes import niceness, qr_drawing_processes
from tests.waiting import eventually


def _scan(png: bytes) -> list[str]:
    return [symbol.data.decode("utf-8") for symbol in decode(Image.open(io.BytesIO(png)))]


def _payload(n: int) -> str:
    """A payload no other test drew, so the cache cannot answer for the worker."""
    charge = PixCharge(
        "+5511998765432", "Loja Exemplo", "Campinas", Decimal("89.90"), txid_for(9000 + n, 1)
    )
    return build_brcode(charge)


@pytest.fixture
async def drawing() -> AsyncIterator[None]:
    yield
    await outbound_media.shutdown()  # no worker process outlives the test


async def test_qr_drawn_in_the_worker_process_scans_to_the_payload(
    drawing: None, caplog: pytest.LogCaptureFixture
) -> None:
    payload = _payload(1)

    message = await outbound_media.materialize(OutboundMessage(text="Pix", qr_payload=payload))

    assert message.image_png is not None
    assert _scan(message.image_png) == [payload]
    assert not [r for r in caplog.records if "QR process pool" in r.getMessage()]  # no fallback


async def test_drawing_works_again_after_the_app_stopped_the_pool(drawing: None) -> None:
    first, second = _payload(2), _payload(3)
    assert _scan(await outbound_media.qr_image_async(first)) == [first]

    await outbound_media.shutdown()

    assert _scan(await outbound_media.qr_image_async(second)) == [second]
    assert outbound_media.qr_image(second) == await outbound_media.qr_image_async(second)


async def test_the_drawing_process_reports_the_cpu_each_new_qr_took_there(drawing: None) -> None:
    """Its CPU is not in this process's: the bench adds it up to show what QR codes cost."""
    payload = _payload(4)
    before = outbound_media.drawing_seconds_elsewhere()

    await outbound_media.qr_image_async(payload)
    drawn = outbound_media.drawing_seconds_elsewhere()
    await outbound_media.qr_image_async(payload)  # from the cache: nothing drawn

    assert drawn > before
    assert outbound_media.drawing_seconds_elsewhere() == drawn


async def test_start_has_the_drawing_process_up_before_the_first_code(drawing: None) -> None:
    """Its start-up (imports, ~1 s of CPU) is not what the first agreement's debtor waits for."""
    before = outbound_media.drawing_seconds_elsewhere()

    await outbound_media.start()
    up = qr_drawing_processes()
    await outbound_media.qr_image_async(_payload(6))

    assert len(up) == 1
    assert outbound_media.drawing_seconds_elsewhere() > before  # drawn there, not in a thread
    assert qr_drawing_processes() == up  # by the process start() had ready


async def test_codes_are_drawn_at_the_lowest_cpu_priority(drawing: None) -> None:
    """The drawing process shares a core with PostgreSQL's server: it must not hold up the
    statements events wait for. This process keeps its own priority."""
    await outbound_media.qr_image_async(_payload(5))

    drawing_processes = qr_drawing_processes()
    assert drawing_processes
    assert {niceness(pid) for pid in drawing_processes} == {outbound_media.DRAWING_NICENESS}
    assert outbound_media.DRAWING_NICENESS == 19
    assert niceness(os.getpid()) == 0


async def test_the_server_starts_the_drawing_process_before_any_agreement(sqlite_url: str) -> None:
    async def up() -> bool:
        return bool(qr_drawing_processes())

    async with running_quita(sqlite_url, seed=False):
        await eventually(up)
    assert not qr_drawing_processes()  # and stops it with the rest
