"""Progress bars on stderr for long work (build, prove --all, demo), drawn by ``tqdm``.

Each phase gets its own line with the count, the rate and the time left (the time it took,
once done); a resumed phase counts its rate from what this run did (tqdm's ``initial``). It is
drawn only when a person is watching: not with --json or --quiet, and not when stderr is not a
terminal (logs and pipes get no carriage-return noise).

Why tqdm (README, "Commands"): it shows the rate and the time left of a counter that a
callback advances, rates a resumed phase by this run's work, and has no dependencies.
click's ``progressbar`` shows no rate and wants to own the loop; rich draws the same for a
larger import. tqdm is imported only when a bar is drawn, so no command pays for it otherwise.
"""

from __future__ import annotations

import shutil
import sys
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from tqdm import tqdm

# Redraw at most this often; a bar updated per item would cost more than the items.
_MIN_INTERVAL = 0.1
_FORMAT = (
    "{desc:<8} {percentage:3.0f}%|{bar:30}| {n_fmt}/{total_fmt} [{elapsed}<{remaining}, {rate_fmt}]"
)


class ProgressBar:
    """``update(label, done, total)`` advances the bar of phase ``label``; a new label
    finishes the previous phase's line."""

    def __init__(self, enabled: bool, stream: TextIO | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled
        self._label: str | None = None
        self._bar: tqdm[Any] | None = None

    @classmethod
    def for_command(cls, as_json: bool, quiet: bool, stream: TextIO | None = None) -> ProgressBar:
        out = stream if stream is not None else sys.stderr
        return cls(not as_json and not quiet and _isatty(out), out)

    def update(self, label: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        if label != self._label or self._bar is None:
            self._finish_line()
            from tqdm import tqdm

            size = shutil.get_terminal_size()  # 80 x 24 when the terminal reports nothing
            self._label = label
            self._bar = tqdm(
                total=total,
                initial=done,
                desc=label,
                file=self.stream,
                bar_format=_FORMAT,
                mininterval=_MIN_INTERVAL,
                miniters=1,
                leave=True,
                # A terminal that reports no size (0 x 0, as some ptys do) still gets a bar:
                # tqdm would hide a bar below a screen height of 0.
                ncols=size.columns,
                nrows=size.lines,
            )
            return
        if total != self._bar.total:
            self._bar.total = total
        self._bar.update(done - self._bar.n)

    def close(self) -> None:
        self._finish_line()

    def _finish_line(self) -> None:
        if self._bar is not None:
            self._bar.close()
        self._bar = None
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
