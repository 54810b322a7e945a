"""The QR drawing process: `python -m bot.payments.qr_worker NICENESS`.

It reads requests from stdin and writes their PNGs to stdout, in order, until stdin ends:
when the app closes it, or when the app's process ends in any way (a SIGKILL included), so
it never outlives the app. It imports only what drawing needs (~22 MB; a multiprocessing
worker re-imported the app's whole command line: ~105 MB and ~1 s of CPU).
`bot.outbound_media` is the other end.

Frames: a request is `REQUEST` (its number, the payload's length) and the payload in UTF-8;
an answer is `ANSWER` (the request's number, status, the CPU nanoseconds it took, the PNG's
length) and the PNG. A payload that cannot be drawn is answered `FAILED` with no PNG; the
app then draws it itself, where the real error is raised.
"""

from __future__ import annotations

import os
import signal
import struct
import sys
import time
from typing import BinaryIO

from bot.payments.qr import qr_png

__all__ = ["ANSWER", "DRAWN", "FAILED", "REQUEST", "serve"]

REQUEST = struct.Struct(">QI")
ANSWER = struct.Struct(">QBQI")
DRAWN, FAILED = 0, 1


def serve(requests: BinaryIO, answers: BinaryIO) -> None:
    """Answer every request in order, until the requests end."""
    while len(header := requests.read(REQUEST.size)) == REQUEST.size:
        number, size = REQUEST.unpack(header)
        payload = requests.read(size)
        began = time.thread_time_ns()
        try:
            png, status = qr_png(payload.decode()), DRAWN
        except Exception:  # the app draws it again, where the error is raised and logged
            png, status = b"", FAILED
        spent = time.thread_time_ns() - began
        answers.write(ANSWER.pack(number, status, spent, len(png)) + png)
        answers.flush()


def main() -> None:
    # Ctrl-C reaches the whole process group; the app ends this process by closing stdin.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    niceness = int(sys.argv[1])
    os.nice(max(0, niceness - os.nice(0)))
    serve(sys.stdin.buffer, sys.stdout.buffer)


if __name__ == "__main__":
    main()
