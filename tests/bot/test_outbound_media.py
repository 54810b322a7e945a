"""PIX QR images are drawn in a worker process and still scan back to the payload."""

from __future__ import annotations

import asyncio
import io
import os
import signal
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
from PIL import Image
from pyzbar.pyzbar import decode

from bot import outbound_media
from bot.channels.base import OutboundMessage
from bot.payments.pix import PixCharge, build_brcode, txid_for
from tests.support.harness import running_quita
from tests.support.processes import niceness, qr_drawing_processes, resident_megabytes
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
async def drawing() -> AsyncIterator[set[int]]:
    """The drawing processes that were there before the test (other tests may leave one
    running: it belongs to no event loop, and only the app's shutdown stops it)."""
    await outbound_media.shutdown()
    yield set(qr_drawing_processes())
    await outbound_media.shutdown()  # no drawing process outlives the test


async def test_qr_drawn_in_the_worker_process_scans_to_the_payload(
    drawing: set[int], caplog: pytest.LogCaptureFixture
) -> None:
    payload = _payload(1)

    message = await outbound_media.materialize(OutboundMessage(text="Pix", qr_payload=payload))

    assert message.image_png is not None
    assert _scan(message.image_png) == [payload]
    assert not [r for r in caplog.records if "QR drawing process" in r.getMessage()]  # no fallback


async def test_drawing_works_again_after_the_app_stopped_the_process(drawing: set[int]) -> None:
    first, second = _payload(2), _payload(3)
    assert _scan(await outbound_media.qr_image_async(first)) == [first]

    await outbound_media.shutdown()

    assert _scan(await outbound_media.qr_image_async(second)) == [second]
    assert outbound_media.qr_image(second) == await outbound_media.qr_image_async(second)


async def test_the_drawing_process_reports_the_cpu_each_new_qr_took_there(
    drawing: set[int],
) -> None:
    """Its CPU is not in this process's: the bench adds it up to show what QR codes cost."""
    payload = _payload(4)
    before = outbound_media.drawing_seconds_elsewhere()

    await outbound_media.qr_image_async(payload)
    drawn = outbound_media.drawing_seconds_elsewhere()
    await outbound_media.qr_image_async(payload)  # from the cache: nothing drawn

    assert drawn > before
    assert outbound_media.drawing_seconds_elsewhere() == drawn


def _started_since(earlier: set[int]) -> list[int]:
    return [pid for pid in qr_drawing_processes() if pid not in earlier]


async def test_start_has_the_drawing_process_up_before_the_first_code(drawing: set[int]) -> None:
    """Its start-up is not what the first agreement's debtor waits for."""
    before = outbound_media.drawing_seconds_elsewhere()

    await outbound_media.start()
    up = _started_since(drawing)
    await outbound_media.qr_image_async(_payload(6))

    assert len(up) == 1
    assert outbound_media.drawing_seconds_elsewhere() > before  # drawn there, not in a thread
    assert _started_since(drawing) == up  # by the process start() had ready


async def test_codes_are_drawn_at_the_lowest_cpu_priority(drawing: set[int]) -> None:
    """The drawing process shares a core with PostgreSQL's server: it must not hold up the
    statements events wait for. This process keeps its own priority."""
    await outbound_media.qr_image_async(_payload(5))

    (process,) = _started_since(drawing)
    assert niceness(process) == outbound_media.DRAWING_NICENESS == 19
    assert niceness(os.getpid()) == 0


async def test_the_server_starts_the_drawing_process_before_any_agreement(
    drawing: set[int], sqlite_url: str
) -> None:
    async def up() -> bool:
        return bool(_started_since(drawing))

    async with running_quita(sqlite_url, seed=False):
        await eventually(up)
    assert not _started_since(drawing)  # and stops it with the rest


async def test_the_drawing_process_loads_only_what_drawing_needs(drawing: set[int]) -> None:
    """A multiprocessing worker re-imported the app's command line: ~105 MB and ~1 s."""
    await outbound_media.start()

    (process,) = _started_since(drawing)

    assert resident_megabytes(process) < 50


async def test_when_the_drawing_process_dies_threads_draw_instead(
    drawing: set[int], caplog: pytest.LogCaptureFixture
) -> None:
    await outbound_media.start()
    (process,) = _started_since(drawing)
    os.kill(process, signal.SIGKILL)
    payload = _payload(7)

    png = await outbound_media.qr_image_async(payload)

    assert _scan(png) == [payload]
    assert any("drawing in threads" in record.getMessage() for record in caplog.records)
    assert not _started_since(drawing)  # none started again

    await outbound_media.shutdown()  # the app's next start tries a process again
    await outbound_media.start()
    assert _started_since(drawing)


async def test_an_event_loop_after_another_uses_the_same_process(drawing: set[int]) -> None:
    """Tests and tools run one loop after another: the process belongs to none of them."""
    await asyncio.to_thread(asyncio.run, outbound_media.qr_image_async(_payload(8)))
    (process,) = _started_since(drawing)
    before = outbound_media.drawing_seconds_elsewhere()

    await outbound_media.qr_image_async(_payload(9))

    assert _started_since(drawing) == [process]
    assert outbound_media.drawing_seconds_elsewhere() > before
