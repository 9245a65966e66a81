"""Wrong-attempt limits, pure: a few failures within a window lock a locker bank or a case out for a while."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class AttemptPolicy:
    max_failures: int = 5
    window_seconds: float = 15 * 60
    lockout_seconds: float = 15 * 60


@dataclass(frozen=True, slots=True)
class Verdict:
    allowed: bool
    retry_after: float = 0.0
    failures_left: int = 0


def judge(failures: Sequence[float], now: float, policy: AttemptPolicy) -> Verdict:
    """`failures` are the times of wrong attempts. Locked out when `max_failures` of them fall within one
    window and the last of those is less than `lockout_seconds` ago."""
    recent = sorted(t for t in failures if t > now - max(policy.window_seconds, policy.lockout_seconds))
    for index in range(len(recent) - policy.max_failures + 1):
        burst = recent[index : index + policy.max_failures]
        if burst[-1] - burst[0] <= policy.window_seconds and now - burst[-1] < policy.lockout_seconds:
            return Verdict(False, retry_after=policy.lockout_seconds - (now - burst[-1]))
    in_window = [t for t in recent if t > now - policy.window_seconds]
    return Verdict(True, failures_left=max(0, policy.max_failures - len(in_window)))
