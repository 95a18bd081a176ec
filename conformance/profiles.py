"""How much each profile generates: quick for a pre-commit hook, standard for CI, deep nightly."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["PROFILES", "Profile"]


@dataclass(frozen=True)
class Profile:
    """How many cases, runs and steps each family generates."""

    examples_per_operation: int
    negative_per_operation: int
    lifecycle_runs: int
    lifecycle_steps: int
    link_runs: int
    link_steps: int


PROFILES = {
    "quick": Profile(10, 10, 3, 12, 3, 4),
    "standard": Profile(40, 40, 8, 25, 10, 6),
    "deep": Profile(200, 200, 40, 50, 50, 10),
}
