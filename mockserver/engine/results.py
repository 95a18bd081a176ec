"""Your own results: what a vendor's runs return, told by the config or by a test.

A vendor module names its result slots (`ResultSlot`: where in which operation's body the value
goes, e.g. Further AI's extraction rows); a value is checked against that place's schema when it
is set, and a contract-breaking one is refused (`ContractBreach`) unless the caller allows it.
Plain JSON values set by a test live in the store, so every worker process serves them; a
callable (computing results from a run's input) lives in this process and its output is checked
each time it is called.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from mockserver.engine.contract import Contract
from mockserver.engine.names import check_name
from mockserver.engine.strict import ContractBreach, value_problems
from mockserver.storage import Store, keys

__all__ = ["OwnResults", "ResultSlot"]


@dataclass(frozen=True)
class ResultSlot:
    """Where one kind of result goes: a JSON pointer into an operation's success body."""

    operation: str
    pointer: str
    description: str = ""


class OwnResults:
    """One vendor's own results: the config's, then a test's, by slot name."""

    def __init__(self, vendor: str, contract: Contract, slots: Mapping[str, ResultSlot],
                 store: Store, configured: Mapping[str, Any]) -> None:
        self.vendor = vendor
        self.contract = contract
        self.slots = dict(slots)
        self._store = store
        self._local: dict[str, Any] = {}
        self._configured = dict(self._checked(configured, allow_violation=False))

    def set(self, values: Mapping[str, Any], *, allow_violation: bool = False) -> None:
        """Runs started from now on return these (checked now; callables when called)."""
        checked = self._checked(values, allow_violation)
        stored = {name: value for name, value in checked.items() if not callable(value)}
        self._local.update({name: value for name, value in checked.items() if callable(value)})
        for name in stored:
            self._local.pop(name, None)

        def change(current: dict[str, Any] | None) -> dict[str, Any]:
            merged = {name: value for name, value in (current or {}).get("values", {}).items()
                      if name not in self._local}
            merged.update(stored)
            allowed = set((current or {}).get("allowed", []))
            allowed = allowed | set(stored) if allow_violation else allowed - set(stored)
            return {"values": merged, "allowed": sorted(allowed)}

        self._store.update(*keys.results(self.vendor), change)

    def forget(self) -> None:
        """Drop what tests set in this process (the store's part goes with the store)."""
        self._local.clear()

    def values(self) -> dict[str, Any]:
        """Every slot's value as of now: a test's over the config's (one store read)."""
        stored = self._store.get(*keys.results(self.vendor)) or {}
        return {**self._configured, **self._local, **stored.get("values", {})}

    def allows_violation(self) -> bool:
        """Did a test ask for contract-breaking results (the strict check lets them through)?"""
        stored = self._store.get(*keys.results(self.vendor)) or {}
        return bool(stored.get("allowed")) or any(
            getattr(value, "allow_violation", False) for value in self._local.values())

    def _checked(self, values: Mapping[str, Any], allow_violation: bool) -> dict[str, Any]:
        checked: dict[str, Any] = {}
        for name, value in values.items():
            check_name(f"{self.vendor} result", name, self.slots)
            if callable(value):
                checked[name] = _Checked(value, self._problems(name), allow_violation)
            else:
                if not allow_violation:
                    self._refuse(name, self._problems(name)(value))
                checked[name] = value
        return checked

    def _problems(self, name: str) -> Callable[[Any], list[str]]:
        slot = self.slots[name]
        operation = self.contract.operations[slot.operation]
        return lambda value: value_problems(operation, slot.pointer, value)

    def _refuse(self, name: str, problems: list[str]) -> None:
        if problems:
            raise ContractBreach(
                f"{self.vendor} {name} would break the contract: {'; '.join(problems)}. Pass "
                "allow_violation=True if the test wants a contract-breaking answer")


class _Checked:
    """A user's result function whose every output is checked against the contract."""

    def __init__(self, function: Callable[..., Any], problems: Callable[[Any], list[str]],
                 allow_violation: bool) -> None:
        self.function = function
        self.problems = problems
        self.allow_violation = allow_violation

    def __call__(self, *args: Any) -> Any:
        value = self.function(*args)
        found = [] if self.allow_violation else self.problems(value)
        if found:
            raise ContractBreach(f"{getattr(self.function, '__name__', 'the result function')} "
                                 f"returned a result that breaks the contract: "
                                 f"{'; '.join(found)}")
        return value
