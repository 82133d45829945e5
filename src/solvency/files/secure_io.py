"""Files and folders with explicit modes, written atomically; inputs checked to be files.

The one place that decides who may read what the tools write (docs/PROTOCOL.md section 8.5):

    private folders  0700   (``private/``, key folders, proof folders)
    private files    0600   (tree database and its journals, liabilities, proofs, keys, ledgers)
    public folders   0755
    public files     0644   (root.json, its signature, public keys, log files)

Modes are set with ``fchmod``/``chmod`` after creation, so they hold whatever the umask is
(an umask only removes bits, and 000 would make a plain ``open`` 0666).

A file is written atomically: the bytes go to a temporary file in the same folder (``mkstemp``
creates it 0600), are fsynced, and the file is renamed (or, without ``overwrite``, hard-linked)
into place, and the folder entry is fsynced: readers and a crash never see half a file.

SQLite creates its database with a plain ``open`` (0644 minus the umask), and gives its
``-wal``, ``-shm`` and ``-journal`` files the database file's own mode. ``create_private_file``
makes the empty database file 0600 first, so SQLite (which accepts an empty file as an empty
database) and its journals inherit 0600.

Inputs: ``open_regular_file`` opens without blocking (a FIFO would otherwise hang ``open``),
then refuses anything that is not a regular file (a folder, ``/dev/zero``, a FIFO, a socket)
before a single byte is read.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path
from typing import BinaryIO

from solvency.errors import MalformedInputError, SolvencyError

PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600
PUBLIC_DIR_MODE = 0o755
PUBLIC_FILE_MODE = 0o644


class FileExistsRefusedError(SolvencyError, FileExistsError):
    """A file already exists and overwriting was not requested."""


class NotARegularFileError(MalformedInputError):
    """An input path names a folder, a device, a FIFO or a socket instead of a file."""


def make_dir(path: str | os.PathLike[str], *, private: bool) -> Path:
    """Create ``path`` and return it: the folder gets 0700 (``private``) or 0755, whatever the
    umask, and missing parents get 0755. An existing private folder is tightened to 0700; an
    existing public one is left as it is (it may be shared on purpose)."""
    p = Path(path)
    missing = []
    q = p
    while not q.exists() and q.parent != q:
        missing.append(q)
        q = q.parent
    for d in reversed(missing):
        mode = PRIVATE_DIR_MODE if (private and d == p) else PUBLIC_DIR_MODE
        try:
            d.mkdir(mode=mode)
        except FileExistsError:
            continue  # made meanwhile by another process: not ours to change
        os.chmod(d, mode)
    if not p.is_dir():
        raise NotARegularFileError(f"{p}: exists and is not a folder")
    if private:
        os.chmod(p, PRIVATE_DIR_MODE)
    return p


def create_private_file(path: str | os.PathLike[str]) -> Path:
    """Create an empty file with mode 0600 (refused if it exists), for SQLite to fill."""
    p = Path(path)
    fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    try:
        os.fchmod(fd, PRIVATE_FILE_MODE)
    finally:
        os.close(fd)
    return p


def open_private_writer(path: str | os.PathLike[str]) -> BinaryIO:
    """Open ``path`` for writing from the start, created or truncated, with mode 0600: for
    private files too large to build in memory first (a synthetic ledger)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE_MODE)
    try:
        os.fchmod(fd, PRIVATE_FILE_MODE)
        return os.fdopen(fd, "wb")
    except BaseException:
        os.close(fd)
        raise


def write_atomic(
    path: str | os.PathLike[str], data: bytes, *, private: bool, overwrite: bool = False
) -> None:
    """Write ``data`` to ``path`` atomically, mode 0600 (``private``) or 0644.

    Without ``overwrite`` an existing file is never replaced (FileExistsRefusedError), even
    one that appears while this runs.
    """
    write_file_atomic(
        path, data, mode=PRIVATE_FILE_MODE if private else PUBLIC_FILE_MODE, overwrite=overwrite
    )


def write_file_atomic(
    path: str | os.PathLike[str], data: bytes, *, mode: int, overwrite: bool = False
) -> None:
    """``write_atomic`` with an explicit ``mode`` (0600 or 0644)."""
    if not isinstance(data, bytes):
        raise MalformedInputError("file content: expected bytes")
    if mode not in (PRIVATE_FILE_MODE, PUBLIC_FILE_MODE):
        raise MalformedInputError(f"file mode {mode:o}: expected 600 or 644")
    target = Path(path)
    if not overwrite and target.exists():
        raise FileExistsRefusedError(f"{target}: already exists; refusing to overwrite it")
    import tempfile  # about 2 ms to import: only where a file is written

    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if overwrite:
            os.replace(tmp, target)
        else:
            # link() fails if the target appeared since the check above: no silent overwrite.
            try:
                os.link(tmp, target)
            except FileExistsError:
                raise FileExistsRefusedError(
                    f"{target}: already exists; refusing to overwrite it"
                ) from None
            os.unlink(tmp)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    fsync_dir(target.parent)


def set_private(path: str | os.PathLike[str]) -> None:
    """Make a file this process created (a finished SQLite copy) 0600."""
    os.chmod(path, PRIVATE_FILE_MODE)


def open_regular_file(path: str | os.PathLike[str], what: str = "") -> BinaryIO:
    """Open ``path`` for reading after checking, on the open descriptor, that it is a
    regular file; a folder, device, FIFO or socket is refused before anything is read."""
    name = os.fspath(path)
    what = f"{what} file" if what else "file"
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except IsADirectoryError:
        raise NotARegularFileError(f"{name}: is a directory, not a regular {what}") from None
    except FileNotFoundError:
        raise MalformedInputError(f"{name}: does not exist") from None
    except PermissionError:
        raise MalformedInputError(f"{name}: permission denied") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise NotARegularFileError(f"{name}: is {_kind(st.st_mode)}, not a regular {what}")
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def check_regular_file(path: str | os.PathLike[str], what: str = "") -> Path:
    """Refuse ``path`` unless it is a regular file (see ``open_regular_file``); return it."""
    with open_regular_file(path, what):
        pass
    return Path(path)


def fsync_dir(directory: Path) -> None:
    """Make a new folder entry durable; not every platform can open a folder."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"
