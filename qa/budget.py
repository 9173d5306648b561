"""A request's time budget: work checks it between stages and stops once it has run out."""

from __future__ import annotations

import time
from dataclasses import dataclass

from qa.errors import OverBudget


@dataclass(frozen=True)
class Deadline:
    """`check(stage)` raises `OverBudget` once `budget_ms` have passed since `start()` (monotonic clock)."""

    at: float
    budget_ms: int

    @classmethod
    def start(cls, budget_ms: int) -> Deadline | None:
        """A deadline `budget_ms` from now; None (no budget) when `budget_ms` is 0 or less."""
        return cls(time.monotonic() + budget_ms / 1000, budget_ms) if budget_ms > 0 else None

    def remaining_s(self) -> float:
        return self.at - time.monotonic()

    def check(self, stage: str) -> None:
        if time.monotonic() > self.at:
            raise OverBudget(f"The request ran past its {self.budget_ms} ms time budget (stopped before "
                             f"{stage}); the server is busy or the question too broad. Retry in a moment.")


def check(deadline: Deadline | None, stage: str) -> None:
    """`deadline.check(stage)`, for an optional deadline."""
    if deadline is not None:
        deadline.check(stage)
