"""Where the work runs: in this process, on a local process pool, or on a Dask cluster.

Every expensive phase (leaf commitments, node range proofs) is cut into independent tasks
that are pure functions of their arguments, so the result never depends on the number of
workers or on the executor. Any ``concurrent.futures.Executor`` will do; this module makes
the usual ones:

- ``workers=1``: run in this process (no pickling, easiest to debug);
- ``workers=N`` (default: every core): a ``ProcessPoolExecutor``;
- ``scheduler="tcp://host:8786"``: a dask.distributed ``Client.get_executor(pure=False)``.
  With Dask's default ``pure=True``, tasks with equal arguments would be merged into one.

``run_tasks`` keeps a bounded number of tasks in flight, so memory stays bounded however
many tasks there are, and yields results in submission order.
"""

from __future__ import annotations

import os
import signal
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from solvency.errors import InvalidParameterError

T = TypeVar("T")
R = TypeVar("R")


def default_workers() -> int:
    """The cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


class InlineExecutor(Executor):
    """Runs each task at submission, in this process."""

    def submit(self, fn: Callable[..., R], /, *args: Any, **kwargs: Any) -> Future[R]:
        future: Future[R] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # handed to the caller through the future
            future.set_exception(exc)
        return future


@dataclass(frozen=True)
class Workers:
    """An executor and how many tasks it runs at once (to size the number in flight)."""

    executor: Executor
    slots: int
    description: str


@contextmanager
def _dask_executor(address: str) -> Iterator[Workers]:
    try:
        from distributed import Client
    except ImportError as exc:
        raise InvalidParameterError(
            "--scheduler needs dask.distributed: pip install 'solvency[dask]'"
        ) from exc
    try:
        client = Client(address, timeout="10s")
    except OSError as exc:
        raise InvalidParameterError(f"cannot reach the Dask scheduler at {address}") from exc
    try:
        slots = max(1, sum(client.nthreads().values()))
        yield Workers(client.get_executor(pure=False), slots, f"dask at {address}, {slots} threads")
    finally:
        client.close()


@contextmanager
def _pool(workers: int) -> Iterator[Workers]:
    # Ctrl-C reaches the whole process group. Workers ignore it, so that only this process
    # stops: it cancels the queued tasks and waits for the running ones (one chunk each).
    # A worker killed by SIGINT mid-task could otherwise leave the pool's shutdown hanging.
    pool = ProcessPoolExecutor(max_workers=workers, initializer=_ignore_sigint)
    try:
        yield Workers(pool, workers, f"{workers} local processes")
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@contextmanager
def _inline() -> Iterator[Workers]:
    yield Workers(InlineExecutor(), 1, "this process")


@contextmanager
def wrap_executor(executor: Executor, slots: int) -> Iterator[Workers]:
    """Use a caller's executor (any ``concurrent.futures.Executor``); we do not shut it down."""
    if slots < 1:
        raise InvalidParameterError("slots must be at least 1")
    yield Workers(executor, slots, f"{type(executor).__name__}, {slots} slots")


def make_workers(
    workers: int | None = None, scheduler: str | None = None
) -> AbstractContextManager[Workers]:
    """A context manager giving the executor for ``--workers`` / ``--scheduler``."""
    if scheduler is not None:
        if workers is not None:
            raise InvalidParameterError("give either --workers or --scheduler, not both")
        return _dask_executor(scheduler)
    count = default_workers() if workers is None else workers
    if count < 1:
        raise InvalidParameterError("--workers must be at least 1")
    if count == 1:
        return _inline()
    return _pool(count)


def run_tasks(workers: Workers, fn: Callable[[T], R], tasks: Iterable[T]) -> Iterator[R]:
    """``map(fn, tasks)`` on the workers, in order, with at most 2 tasks per slot pending.

    The tasks iterable is consumed lazily, so a stream of tasks read from disk never sits
    in memory whole.
    """
    limit = 2 * workers.slots + 1
    pending: deque[Future[R]] = deque()
    for task in tasks:
        pending.append(workers.executor.submit(fn, task))
        if len(pending) >= limit:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()
