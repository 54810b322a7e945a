"""`quita bench` judges each run against DESIGN.md's targets, in one line an operator can read."""

from __future__ import annotations

from bot.bench import SERVICE_TARGET, TELEGRAM_TARGET, Figures


def _figures(events: int, seconds: float, latency_ms: float) -> Figures:
    return Figures("run", events, seconds, [latency_ms] * events, cpu_seconds=seconds / 2)


def test_a_fast_run_with_low_tail_latency_meets_the_service_target() -> None:
    verdict = SERVICE_TARGET.verdict(_figures(2000, 1.0, 5.0))

    assert "MET" in verdict
    assert "2,000 events/s" in verdict


def test_a_slow_tail_misses_the_service_target_even_at_a_high_rate() -> None:
    verdict = SERVICE_TARGET.verdict(_figures(2000, 1.0, 25.0))

    assert "MISSED" in verdict


def test_the_telegram_verdict_counts_updates() -> None:
    verdict = TELEGRAM_TARGET.verdict(_figures(500, 1.0, 50.0))

    assert verdict.startswith("target: ≥ 1,000 updates/s")
    assert "MISSED" in verdict


def test_cpu_time_is_reported_per_event() -> None:
    assert "cpu  0.25 ms/event" in _figures(2000, 1.0, 5.0).line()
