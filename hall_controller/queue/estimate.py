"""Wait-time estimates from live service rates.

Two views, averaged when both are available:

- capacity: the sum, over the open and unpaused windows that serve the service, of the share of the window
  it gets (its weight over the window's total weight); with the mean of the last few measured service
  times (the configured prior until there are any), a ticket with `ahead` tickets before it waits about
  ahead × service time / capacity. With no window open, the configured windows are assumed open (the hall
  is about to open), so the ticket still gets a figure.
- throughput: how many tickets of the service were called in the last half hour (at least
  `MIN_CALLS`), which sees what the capacity view misses — windows that prefer another service, priority
  tickets, no-shows: ahead ÷ calls per minute.

In the simulated day (simulation.py, seeds 1-6) averaging the two cut the mean absolute error from 7.9
to 7.0 minutes, against the capacity view alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from hall_controller.queue.config import QueueConfig

THROUGHPUT_MINUTES = 30.0
MIN_CALLS = 4


@dataclass(frozen=True, slots=True)
class Estimate:
    minutes: float
    service_minutes: float
    capacity: float
    calls_per_minute: float | None = None


def calls_per_minute(call_times: Sequence[float], now: float) -> float | None:
    """Calls in the last half hour per minute, or None with too few to tell (over at least 10 minutes)."""
    recent = [moment for moment in call_times if 0 <= now - moment <= THROUGHPUT_MINUTES * 60]
    if len(recent) < MIN_CALLS:
        return None
    span_minutes = max((now - min(recent)) / 60, 10.0)
    return len(recent) / span_minutes


def capacity(config: QueueConfig, service: str, open_windows: Iterable[int]) -> float:
    open_set = set(open_windows)
    serving = [window for window in config.windows if service in window.services]
    counted = [window for window in serving if window.number in open_set] or serving
    return sum(window.services[service] / sum(window.services.values()) for window in counted)


def mean_service_minutes(recent_seconds: Sequence[float], prior_minutes: float, window: int) -> float:
    samples = list(recent_seconds)[-window:]
    if not samples:
        return prior_minutes
    return sum(samples) / len(samples) / 60.0


def estimate_wait(
    config: QueueConfig,
    service: str,
    ahead: int,
    open_windows: Iterable[int],
    recent_service_seconds: Sequence[float],
    *,
    call_times: Sequence[float] = (),
    now: float | None = None,
) -> Estimate:
    settings = config.service(service)
    if settings is None:
        raise ValueError(f"unknown service {service!r}")
    minutes = mean_service_minutes(
        recent_service_seconds, settings.prior_service_minutes, config.estimate_window
    )
    servers = capacity(config, service, open_windows)
    if servers <= 0:
        raise ValueError(f"no window serves {service!r}")
    by_capacity = ahead * minutes / servers
    rate = calls_per_minute(call_times, now) if now is not None else None
    if rate is None:
        return Estimate(minutes=by_capacity, service_minutes=minutes, capacity=servers)
    by_throughput = ahead / rate
    return Estimate((by_capacity + by_throughput) / 2, minutes, servers, calls_per_minute=rate)


def mean_absolute_error(pairs: Iterable[tuple[float, float]]) -> float:
    """Mean |estimated - actual| over (estimated, actual) pairs; NaN for none."""
    errors = [abs(estimated - actual) for estimated, actual in pairs]
    return sum(errors) / len(errors) if errors else float("nan")
