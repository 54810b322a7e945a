"""The drawing process's side of the pipe: answers in order, and a failure is an answer."""

from __future__ import annotations

import io

from bot.payments.qr import qr_png
from bot.payments.qr_worker import ANSWER, DRAWN, FAILED, REQUEST, serve


def _requests(*payloads: str) -> io.BytesIO:
    frames = b""
    for number, payload in enumerate(payloads, start=10):
        body = payload.encode()
        frames += REQUEST.pack(number, len(body)) + body
    return io.BytesIO(frames)


def _answers(stream: bytes) -> list[tuple[int, int, int, bytes]]:
    answers, at = [], 0
    while at < len(stream):
        number, status, nanoseconds, size = ANSWER.unpack_from(stream, at)
        at += ANSWER.size
        answers.append((number, status, nanoseconds, stream[at : at + size]))
        at += size
    return answers


def test_each_payload_is_answered_in_order_and_one_too_long_for_a_qr_code_fails() -> None:
    too_long = "x" * 8000  # more than a version 40 symbol holds
    answers = io.BytesIO()

    serve(_requests("first", too_long, "third"), answers)

    first, failed, third = _answers(answers.getvalue())
    assert (first[0], first[1], first[3]) == (10, DRAWN, qr_png("first"))
    assert (failed[0], failed[1], failed[3]) == (11, FAILED, b"")
    assert (third[0], third[1], third[3]) == (12, DRAWN, qr_png("third"))
    assert first[2] > 0  # the CPU it took, for the bench's figure


def test_it_stops_when_its_input_ends_even_mid_frame() -> None:
    answers = io.BytesIO()

    serve(io.BytesIO(REQUEST.pack(1, 10)[:5]), answers)

    assert answers.getvalue() == b""
