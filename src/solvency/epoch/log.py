"""The exchange's append-only log of epochs on disk (docs/PROTOCOL.md section 9.4).

The log is the list ``D[n] = (d_0, ..., d_{n-1})`` of entries ``d_i =
logfiles.log_entry(root_json_i, sig_i)``, one per epoch, each epoch at most once, kept in a
directory:

    LOG_DIR/log.json               origin and the pinned Ed25519 public key (first append)
    LOG_DIR/entries/<i, 8 digits>  the bytes d_i
    LOG_DIR/checkpoint             the latest signed checkpoint (n, MTH(D[n])): the commit point
    LOG_DIR/checkpoints/<n>        every checkpoint ever published, kept beside it

An append is crash-safe with a single commit point, the atomic rename of the new
``checkpoint`` over the old one. Before it, the entry file ``entries/<n>`` is written (a file
past the checkpoint's size is not part of the log: readers ignore it, the next append
replaces it); after it, ``checkpoints/<n+1>`` is copied from ``checkpoint`` (restored by the
next append if the process died in between; readers list it from ``checkpoint`` meanwhile).
Killed at any point, the directory holds the old log or the new one. Every file is written
through ``secure_io.write_atomic`` (temporary file, fsync, rename, fsync of the directory);
appends take an exclusive ``flock`` on ``LOG_DIR/.lock``.

Opening a log re-checks it: the checkpoint's signature under the pinned key, every entry's
root signature, the epochs' uniqueness and ``MTH(D[n])`` against the checkpoint's root hash.

``SOLVENCY_LOG_TEST_PAUSE`` (seconds) makes ``append`` sleep between its steps, so the crash
test can kill it at every stage; unset, it does nothing.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from solvency.circuits import tlog
from solvency.errors import MalformedInputError, SolvencyError, VerificationError
from solvency.files import formats
from solvency.files.checkpoint import Checkpoint, SignedCheckpoint
from solvency.files.logfiles import (
    LogConfig,
    LogConsistencyProof,
    LogInclusionProof,
    log_entry,
    split_log_entry,
)
from solvency.files.secure_io import make_dir, write_atomic
from solvency.files.signing import SigningKey

CONFIG = "log.json"
CHECKPOINT = "checkpoint"
ENTRIES = "entries"
CHECKPOINTS = "checkpoints"
LOCK = ".lock"
PAUSE_ENV = "SOLVENCY_LOG_TEST_PAUSE"
DEFAULT_ORIGIN_PREFIX = "solvency-log/"


class EpochAlreadyLoggedError(SolvencyError):
    """The epoch is already in the log with the same root: nothing to append."""


class EpochRewriteError(VerificationError):
    """The epoch is already in the log with a different root: a log entry never changes."""


class LogCorruptedError(VerificationError):
    """The log directory does not match its own signed checkpoint."""


@dataclass(frozen=True)
class LoggedEpoch:
    """One entry: its index, epoch id, root.json bytes and root signature."""

    index: int
    epoch: str
    root_json: bytes
    signature: bytes

    @property
    def entry(self) -> bytes:
        return log_entry(self.root_json, self.signature)


@dataclass(frozen=True)
class EpochLog:
    """A log read from its directory and checked (``open``)."""

    directory: Path
    config: LogConfig | None
    checkpoint: SignedCheckpoint | None
    entries: tuple[LoggedEpoch, ...]
    tree: tlog.Tree

    @property
    def size(self) -> int:
        return len(self.entries)

    @property
    def origin(self) -> str | None:
        return self.config.origin if self.config is not None else None

    def find(self, epoch: str) -> LoggedEpoch | None:
        for e in self.entries:
            if e.epoch == epoch:
                return e
        return None

    def inclusion_proof(self, epoch: str) -> LogInclusionProof:
        """``PATH(m, D[n])`` for ``epoch`` against the latest checkpoint."""
        found = self.find(epoch)
        if found is None or self.config is None:
            raise MalformedInputError(f"{self.directory}: epoch {epoch!r} is not in the log")
        return LogInclusionProof(
            origin=self.config.origin,
            epoch=found.epoch,
            leaf_index=found.index,
            tree_size=self.size,
            root_signature=found.signature,
            path=tuple(self.tree.inclusion_path(found.index)),
        )

    def consistency_proof(self, first_size: int) -> LogConsistencyProof:
        """``PROOF(m, D[n])`` from ``first_size`` to the latest checkpoint's size."""
        if self.config is None:
            raise MalformedInputError(f"{self.directory}: the log is empty")
        if not isinstance(first_size, int) or not 0 <= first_size <= self.size:
            raise MalformedInputError(
                f"--from: the log has {self.size} entries; expected a size in 0..{self.size}"
            )
        return LogConsistencyProof(
            origin=self.config.origin,
            first_size=first_size,
            second_size=self.size,
            path=tuple(self.tree.consistency_path(first_size)),
        )

    def archived_checkpoints(self) -> dict[int, bytes]:
        """Every published checkpoint by size (``checkpoints/`` plus the current one)."""
        found: dict[int, bytes] = {}
        folder = self.directory / CHECKPOINTS
        if folder.is_dir():
            for p in folder.iterdir():
                if p.name.isdigit() and p.name == str(int(p.name)):
                    found[int(p.name)] = p.read_bytes()
        if self.checkpoint is not None:
            found[self.checkpoint.checkpoint.size] = self.checkpoint.to_bytes()
        return dict(sorted(found.items()))


def open_log(directory: Path) -> EpochLog:
    """Read and check the log in ``directory``; a directory without ``log.json`` is empty."""
    directory = Path(directory)
    config_path = directory / CONFIG
    if not config_path.exists():
        if (directory / CHECKPOINT).exists():
            raise LogCorruptedError(f"{directory}: a checkpoint without {CONFIG}")
        return EpochLog(directory, None, None, (), tlog.Tree([]))
    config = _read_config(config_path)
    cp_path = directory / CHECKPOINT
    if not cp_path.exists():
        return EpochLog(directory, config, None, (), tlog.Tree([]))
    checkpoint = SignedCheckpoint.from_bytes(cp_path.read_bytes(), str(cp_path))
    key = config.verifying_key()
    try:
        checkpoint.verify(key)
    except VerificationError as e:
        raise LogCorruptedError(f"{cp_path}: {e} (the key pinned in {CONFIG})") from None
    if checkpoint.checkpoint.origin != config.origin:
        raise LogCorruptedError(f"{cp_path}: origin differs from {CONFIG}'s")
    n = checkpoint.checkpoint.size
    entries: list[LoggedEpoch] = []
    seen: set[str] = set()
    for i in range(n):
        path = _entry_path(directory, i)
        if not path.exists():
            raise LogCorruptedError(f"{path}: entry {i} of the checkpoint's {n} is missing")
        root_json, sig = split_log_entry(path.read_bytes(), str(path))
        root = _read_root(root_json, str(path))
        try:
            key.verify(sig, root_json)
        except VerificationError:
            raise LogCorruptedError(f"{path}: the root is not signed by the log's key") from None
        if root.epoch in seen:
            raise LogCorruptedError(f"{path}: epoch {root.epoch!r} is in the log twice")
        seen.add(root.epoch)
        entries.append(LoggedEpoch(i, root.epoch, root_json, sig))
    tree = tlog.Tree([tlog.leaf_hash(e.entry) for e in entries])
    if tree.root() != checkpoint.checkpoint.root_hash:
        raise LogCorruptedError(
            f"{directory}: the entries do not hash to the checkpoint's root (size {n})"
        )
    return EpochLog(directory, config, checkpoint, tuple(entries), tree)


@dataclass(frozen=True)
class AppendResult:
    log: EpochLog
    entry: LoggedEpoch
    created: bool


def append_epoch(
    directory: Path,
    root_json: bytes,
    signature: bytes,
    key: SigningKey,
    origin: str | None = None,
) -> AppendResult:
    """Append the signed root of one epoch and publish the new checkpoint.

    Refused: a root whose signature does not verify under the log's key (EpochRewriteError's
    parent VerificationError), an epoch already in the log (EpochAlreadyLoggedError when the
    root is the same, EpochRewriteError when it changed), a key that is not the log's.
    """
    directory = Path(directory)
    root = _read_root(root_json, "root.json")
    public = key.verifying_key()
    make_dir(directory, private=False)
    with _locked(directory):
        log = open_log(directory)
        created = log.config is None
        if log.config is None:
            config = LogConfig(
                origin if origin is not None else DEFAULT_ORIGIN_PREFIX + public.fingerprint()[:16],
                public.raw,
            )
        else:
            config = log.config
            if origin is not None and origin != config.origin:
                raise MalformedInputError(
                    f"--origin: the log's origin is {config.origin!r}; it never changes"
                )
            if config.public_key != public.raw:
                raise MalformedInputError(
                    f"the signing key given is not the log's key (its fingerprint is "
                    f"{config.verifying_key().fingerprint()[:16]})"
                )
        try:
            config.verifying_key().verify(signature, root_json)
        except VerificationError:
            raise VerificationError(
                f"root.json of epoch {root.epoch!r} is not signed by the log's key"
            ) from None
        previous = log.find(root.epoch)
        if previous is not None:
            if previous.entry == log_entry(root_json, signature):
                raise EpochAlreadyLoggedError(
                    f"epoch {root.epoch!r} is already in the log (entry {previous.index}); "
                    "nothing appended"
                )
            raise EpochRewriteError(
                f"epoch {root.epoch!r} is already in the log (entry {previous.index}) with a "
                "different root: a logged epoch is never changed"
            )
        _clean(directory, log.size)
        if created:
            write_atomic(directory / CONFIG, config.dumps(), private=False, overwrite=True)
            _pause()
        if log.checkpoint is not None:
            _archive(directory, log.checkpoint)
        entry = LoggedEpoch(log.size, root.epoch, root_json, signature)
        make_dir(directory / ENTRIES, private=False)
        write_atomic(
            _entry_path(directory, entry.index), entry.entry, private=False, overwrite=True
        )
        _pause()
        tree = tlog.Tree([tlog.leaf_hash(e.entry) for e in (*log.entries, entry)])
        signed = SignedCheckpoint.sign(Checkpoint(config.origin, len(tree), tree.root()), key)
        # The commit point: until this rename the log is the old one.
        write_atomic(directory / CHECKPOINT, signed.to_bytes(), private=False, overwrite=True)
        _pause()
        _archive(directory, signed)
        _pause()
    return AppendResult(
        EpochLog(directory, config, signed, (*log.entries, entry), tree), entry, created
    )


# --- internals --------------------------------------------------------------------------------


def _entry_path(directory: Path, index: int) -> Path:
    return directory / ENTRIES / f"{index:08d}"


def _read_root(root_json: bytes, where: str) -> formats.RootFile:
    try:
        return formats.RootFile.loads(root_json)
    except MalformedInputError as e:
        raise MalformedInputError(f"{where}: {e}") from None


def _read_config(path: Path) -> LogConfig:
    try:
        return LogConfig.loads(path.read_bytes())
    except MalformedInputError as e:
        raise MalformedInputError(f"{path}: {e}") from None


def _archive(directory: Path, signed: SignedCheckpoint) -> None:
    """``checkpoints/<n>`` holds the checkpoint of size n; an existing copy must be identical."""
    folder = directory / CHECKPOINTS
    make_dir(folder, private=False)
    path = folder / str(signed.checkpoint.size)
    data = signed.to_bytes()
    if path.exists():
        if path.read_bytes() != data:
            raise LogCorruptedError(f"{path}: differs from the log's checkpoint of the same size")
        return
    write_atomic(path, data, private=False)


def _clean(directory: Path, size: int) -> None:
    """Remove what a killed append left: temporary files and entries past the checkpoint."""
    for folder in (directory, directory / ENTRIES, directory / CHECKPOINTS):
        if not folder.is_dir():
            continue
        for p in folder.iterdir():
            if p.name.startswith(".") and p.name.endswith(".tmp"):
                p.unlink()
    folder = directory / ENTRIES
    if folder.is_dir():
        for p in folder.iterdir():
            if p.name.isdigit() and int(p.name) >= size:
                p.unlink()


@contextlib.contextmanager
def _locked(directory: Path) -> Iterator[None]:
    fd = os.open(directory / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        os.fchmod(fd, 0o644)  # whatever the umask: the lock file is as public as the log
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _pause() -> None:
    delay = os.environ.get(PAUSE_ENV)
    if delay:
        time.sleep(float(delay))
