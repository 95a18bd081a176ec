"""The generic handlers every contract gets without vendor code.

Rule: a handler imports `contracts`, `mockserver.engine` and `mockserver.storage` only, and sees
nothing but the `Call` it is given (its `VendorContext` included).

An operation is served, in this order, by its vendor module's own handler, the resource handler
`x-resources` gives it, the token endpoint, the lifecycle handler `x-lifecycles` gives it, or
its documented example; operations below a resource's item path first check that item exists.
"""

from __future__ import annotations

from mockserver.engine.call import Handler
from mockserver.engine.contract import Contract, Operation
from mockserver.handlers.examples import documented_example
from mockserver.handlers.resources import guarded, resource_handler
from mockserver.handlers.runs import lifecycle_handler
from mockserver.handlers.tokens import issue_token

__all__ = ["handlers_for"]


def handlers_for(contract: Contract, own: dict[str, Handler]) -> dict[str, Handler]:
    """operationId -> handler for every operation; `own` are a vendor module's handlers."""
    return {operation_id: guarded(contract, operation, own.get(operation_id)
                                  or resource_handler(contract, operation)
                                  or generic_handler(contract, operation))
            for operation_id, operation in contract.operations.items()}


def generic_handler(contract: Contract, operation: Operation) -> Handler:
    """The handler of an operation no resource or vendor module claims."""
    if operation is contract.token_operation():
        return issue_token
    return lifecycle_handler(contract, operation) or documented_example
