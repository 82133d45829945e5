"""A one-line progress bar on stderr for long work (build, prove --all, demo).

Each phase gets its own line with the count, the rate and the time left (the time it took,
once done); a resumed phase counts its rate from what this run did. It is drawn only when a
person is watching: not with --json or --quiet, and not when stderr is not a terminal (logs
and pipes get no carriage-return noise).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

_WIDTH = 30
# Redraw at most this often; a bar updated per item would cost more than the items.
_MIN_INTERVAL = 0.1


class ProgressBar:
    """``update(label, done, total)`` redraws; a new label finishes the previous line."""

    def __init__(
        self,
        enabled: bool,
        stream: TextIO | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled
        self._clock = clock
        self._label: str | None = None
        self._last = 0.0
        self._start = 0.0
        self._start_done = 0
        self._drawn = 0

    @classmethod
    def for_command(cls, as_json: bool, quiet: bool, stream: TextIO | None = None) -> ProgressBar:
        out = stream if stream is not None else sys.stderr
        return cls(not as_json and not quiet and _isatty(out), out)

    def update(self, label: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        now = self._clock()
        if label != self._label:
            self._finish_line()
            self._label = label
            self._start, self._start_done = now, done
        if done < total and now - self._last < _MIN_INTERVAL:
            return
        self._last = now
        filled = _WIDTH if total <= 0 else min(_WIDTH, _WIDTH * done // total)
        bar = "#" * filled + "." * (_WIDTH - filled)
        text = f"{label:<8} [{bar}] {done}/{total}"
        elapsed, made = now - self._start, done - self._start_done
        if elapsed > 0 and made > 0:
            rate = made / elapsed
            text += f"  {rate:.1f}/s" if rate < 100 else f"  {rate:.0f}/s"
            if done >= total:
                text += f"  {_clock_text(elapsed)} elapsed"
            else:
                text += f"  {_clock_text((total - done) / rate)} left"
        # Pad with spaces over whatever a longer previous draw left on the line.
        self.stream.write("\r" + text.ljust(self._drawn))
        self._drawn = len(text)
        self.stream.flush()

    def close(self) -> None:
        self._finish_line()

    def _finish_line(self) -> None:
        if self.enabled and self._label is not None:
            self.stream.write("\n")
            self.stream.flush()
        self._label = None
        self._drawn = 0

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _clock_text(seconds: float) -> str:
    """h:mm:ss or m:ss."""
    whole = int(seconds + 0.5)
    h, rest = divmod(whole, 3600)
    m, sec = divmod(rest, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
