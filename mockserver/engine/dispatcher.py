"""Sends due webhook deliveries outside any request: over HTTP, or to in-process receivers.

Each attempt is signed when it is sent (the signature's timestamp is the real time, which is what
a receiver compares it with), journaled with its status, attempt number, latency and signature
header, and recorded on the delivery so that the queue retries or finishes it. A background
thread per process calls `tick` every `interval_seconds`; several processes may run one each,
since every delivery is claimed atomically before it is sent.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests

from contracts.signatures import sign
from mockserver.config import Webhooks
from mockserver.engine.clock import Clock
from mockserver.engine.deliveries import Attempt, Delivery, WebhookQueue
from mockserver.engine.journal import JournalEntry
from mockserver.storage import Store

__all__ = ["Dispatcher", "Receiver", "WebhookRequest"]

log = logging.getLogger("mockserver.webhooks")


@dataclass
class WebhookRequest:
    """A delivery as an in-process receiver gets it: the URL, the headers and the raw body."""

    url: str
    headers: dict[str, str]
    body: bytes
    delivery: Delivery | None = field(default=None, repr=False)

    def json(self) -> Any:
        return json.loads(self.body)


Receiver = Callable[[WebhookRequest], "int | None"]
"""An in-process receiver: returns the status it answers (None: 200); raising is no answer."""


class Dispatcher:
    """Sends one mock's due deliveries, in the calling thread (`send_due`) or a background one."""

    def __init__(self, queue: WebhookQueue, clock: Clock, store: Store, config: Webhooks) -> None:
        self.queue = queue
        self._clock = clock
        self._store = store
        self._config = config
        self.receivers: dict[str, Receiver] = {}
        """URL prefix -> in-process receiver; a delivery to a URL below it never leaves."""
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._users = 0
        self._lock = threading.Lock()

    def send_due(self) -> list[Delivery]:
        """Send every delivery due now that no other worker has taken; returns them as sent."""
        sent = []
        for due in self.queue.due(self._clock.now()):
            claimed = self.queue.claim(due.id, self._clock.now())
            if claimed is not None:
                sent.append(self._send(claimed))
        return sent

    def _send(self, delivery: Delivery) -> Delivery:
        body = delivery.body.encode()
        signature = sign(body, delivery.secret, int(time.time()))
        names = delivery.headers
        headers = {"Content-Type": "application/json", names["signature"]: signature,
                   names["id"]: delivery.webhook_id, names["event"]: delivery.event,
                   "User-Agent": "mockserver-webhooks"}
        number = len(delivery.attempts) + 1
        at = self._clock.now()
        started = time.perf_counter()
        status: int | None = None
        error: str | None = None
        try:
            status = self._post(delivery, headers, body)
        except Exception as failure:  # any receiver failure is an attempt without an answer
            error = f"{type(failure).__name__}: {failure}"
        latency = round((time.perf_counter() - started) * 1000, 3)
        attempt = Attempt(number=number, at=at, status=status, latency_ms=latency,
                          signature=signature, error=error)
        self._store.append_journal(JournalEntry(
            time=at, vendor=delivery.vendor, method="POST", path=delivery.url,
            operation=delivery.event, status=status or 0, verdict="conforms",
            identity=delivery.tenant, duration_ms=latency, kind="webhook",
            delivery=delivery.webhook_id, attempt=number, signature=signature, error=error,
        ).model_dump_json())
        return self.queue.record(delivery, attempt, self._clock.now())

    def _post(self, delivery: Delivery, headers: dict[str, str], body: bytes) -> int:
        for prefix, receiver in self.receivers.items():
            if delivery.url.startswith(prefix):
                answer = receiver(WebhookRequest(delivery.url, headers, body, delivery))
                return 200 if answer is None else int(answer)
        if not delivery.url.startswith(("http://", "https://")):
            raise ConnectionError(f"no receiver for {delivery.url} in this process")
        response = requests.post(delivery.url, data=body, headers=headers,
                                 timeout=self._config.timeout_seconds, allow_redirects=False)
        response.close()
        return response.status_code

    # -- the background thread ---------------------------------------------------------------

    def start(self, tick: Callable[[], object]) -> None:
        """Call `tick` every `interval_seconds` in a daemon thread until as many `stop`s."""
        with self._lock:
            self._users += 1
            if self._thread is not None:
                return
            self._stop.clear()
            self._thread = threading.Thread(target=self._loop, args=(tick,), daemon=True,
                                            name="mockserver-webhooks")
            self._thread.start()

    def stop(self) -> None:
        with self._lock:
            self._users = max(self._users - 1, 0)
            thread = self._thread
            if self._users or thread is None:
                return
            self._thread = None
            self._stop.set()
        thread.join(timeout=self._config.timeout_seconds + 1)

    def _loop(self, tick: Callable[[], object]) -> None:
        failing = False
        while not self._stop.wait(self._config.interval_seconds):
            try:
                tick()
            except Exception:  # a store away for a moment: try again at the next tick
                if not failing:  # once per outage, not five times a second
                    log.exception("webhook dispatch failed; retrying every tick")
                failing = True
            else:
                if failing:
                    log.warning("webhook dispatch works again")
                failing = False
