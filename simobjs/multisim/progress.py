"""The sweep's progress line: simulations done, running, failed and waiting.

On a terminal one line is redrawn in place (a daemon thread, every `interval`
seconds, and at each change); elsewhere nothing is drawn. A failure is always
printed on its own line, with its reason, as it happens.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import TextIO


class SweepProgress:
    def __init__(
        self,
        total: int,
        skipped: int = 0,
        stream: TextIO | None = None,
        show: bool = False,
        interval: float = 0.5,
    ) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.total = total
        self.skipped = skipped
        self.done = skipped
        self.failed = 0
        self.running: set[str] = set()
        self.show = show
        self.began = time.monotonic()
        self._width = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if show:
            self._thread = threading.Thread(
                target=self._loop, args=(interval,), name="multisim-progress", daemon=True
            )
            self._thread.start()

    def line(self) -> str:
        waiting = self.total - self.done - self.failed - len(self.running)
        parts = [f"{self.done}/{self.total} done"]
        if self.skipped:
            parts[0] += f" ({self.skipped} skipped)"
        parts += [
            f"{len(self.running)} running",
            f"{self.failed} failed",
            f"{max(waiting, 0)} waiting",
            f"{time.monotonic() - self.began:.1f} s",
        ]
        return "[multisim] " + " | ".join(parts)

    def started(self, id: str) -> None:
        with self._lock:
            self.running.add(id)
            self._draw()

    def finished(self, id: str, ok: bool, error: str = "") -> None:
        with self._lock:
            self.running.discard(id)
            if ok:
                self.done += 1
            else:
                self.failed += 1
                self._clear()
                print(f"multisim: {id} failed: {error}", file=self.stream, flush=True)
            self._draw()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
        with self._lock:
            self._clear()

    def _draw(self) -> None:
        if not self.show:
            return
        text = self.line()
        self.stream.write("\r" + text + " " * max(self._width - len(text), 0))
        self.stream.flush()
        self._width = len(text)

    def _clear(self) -> None:
        if self.show and self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self.stream.flush()
            self._width = 0

    def _loop(self, interval: float) -> None:
        while not self._stop.wait(interval):
            with self._lock:
                self._draw()
