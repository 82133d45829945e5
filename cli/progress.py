"""A one-line progress bar on stderr for long work (build, prove --all, demo).

It is drawn only when a person is watching: not with --json or --quiet, and not when stderr
is not a terminal (logs and pipes get no carriage-return noise).
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

_WIDTH = 30
# Redraw at most this often; a bar updated per item would cost more than the items.
_MIN_INTERVAL = 0.1


class ProgressBar:
    """``update(label, done, total)`` redraws; a new label finishes the previous line."""

    def __init__(self, enabled: bool, stream: TextIO | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled
        self._label: str | None = None
        self._last = 0.0

    @classmethod
    def for_command(cls, as_json: bool, quiet: bool, stream: TextIO | None = None) -> ProgressBar:
        out = stream if stream is not None else sys.stderr
        return cls(not as_json and not quiet and _isatty(out), out)

    def update(self, label: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        if label != self._label:
            self._finish_line()
            self._label = label
        now = time.monotonic()
        if done < total and now - self._last < _MIN_INTERVAL:
            return
        self._last = now
        filled = _WIDTH if total <= 0 else min(_WIDTH, _WIDTH * done // total)
        bar = "#" * filled + "." * (_WIDTH - filled)
        self.stream.write(f"\r{label:<8} [{bar}] {done}/{total}")
        self.stream.flush()

    def close(self) -> None:
        self._finish_line()

    def _finish_line(self) -> None:
        if self.enabled and self._label is not None:
            self.stream.write("\n")
            self.stream.flush()
        self._label = None

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
