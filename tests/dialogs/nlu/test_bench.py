"""Throughput of `understand()` (≥ 5,000 messages/s on one core: see `make bench`)."""

from __future__ import annotations

from typing import Any

from dialogs.nlu import understand
from tests.dialogs.nlu.dataset import TODAY, load


def test_understand_throughput(benchmark: Any) -> None:
    messages = [(example.text, example.locale) for example in load()]

    def run() -> int:
        return sum(
            understand(text, locale, today=TODAY).intent != "unknown" for text, locale in messages
        )

    understood = benchmark(run)
    assert understood > len(messages) * 0.9
