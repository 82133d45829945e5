"""Opening a native library (libsodium, libdecaf) through ctypes, quickly.

``ctypes.util.find_library`` runs ``ldconfig -p`` in a child process on Linux (about 10 ms a
call, measured here), which ``solvency verify`` would pay at every start. So the library is
opened by its soname first (``libdecaf.so.0``, ``libsodium.so.23``), which the dynamic loader
resolves without a child process, and ``find_library`` is only the fallback (another soname, a
non-standard location, macOS).
"""

from __future__ import annotations

import ctypes
from collections.abc import Sequence


def open_library(sonames: Sequence[str], name: str) -> ctypes.CDLL | None:
    """The library by one of ``sonames``, else by ``find_library(name)``; None if neither."""
    for soname in sonames:
        try:
            return ctypes.CDLL(soname)
        except OSError:
            continue
    from ctypes import util  # the fallback only: it spawns ldconfig

    found = util.find_library(name)
    if found is None:
        return None
    try:
        return ctypes.CDLL(found)
    except OSError:
        return None
