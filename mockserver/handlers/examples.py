"""The fallback for an operation nothing else serves: its first documented example."""

from __future__ import annotations

from mockserver.engine.call import Call, Reply

__all__ = ["documented_example"]


def documented_example(call: Call) -> Reply:
    """The operation's success status with the contract's own example body."""
    status = call.operation.success_status()
    return Reply(status, call.operation.example(status))
