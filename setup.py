"""Builds the optional native Keccak-f[1600] (src/solvency/crypto/_keccakf.c) and the native
Pippenger over libdecaf (src/solvency/crypto/_decafmsm.c).

Project metadata lives in pyproject.toml; this file only adds the C extension. The
extension is optional: when no C compiler (or no Python headers) is available the build
warns and goes on, and solvency.crypto.keccak falls back to its pure-Python permutation.
"""

from __future__ import annotations

import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext


class OptionalBuildExt(build_ext):
    """build_ext that warns instead of failing when the extension cannot be compiled."""

    def run(self) -> None:
        try:
            super().run()
        except Exception as exc:  # no compiler at all: setuptools raises here
            self._warn(exc)

    def build_extension(self, ext: Extension) -> None:
        try:
            super().build_extension(ext)
        except Exception as exc:  # the compiler failed on this extension
            self._warn(exc)

    @staticmethod
    def _warn(exc: Exception) -> None:
        print(
            f"warning: native extension not built ({exc}); the pure-Python code is used",
            file=sys.stderr,
        )


setup(
    ext_modules=[
        Extension(
            "solvency.crypto._keccakf",
            sources=["src/solvency/crypto/_keccakf.c"],
            extra_compile_args=["-O2"],
            optional=True,
        ),
        # Variable-time Pippenger over libdecaf's points (the verifier's sum); it calls
        # libdecaf through pointers from group_decaf, so it needs no libdecaf headers.
        Extension(
            "solvency.crypto._decafmsm",
            sources=["src/solvency/crypto/_decafmsm.c"],
            extra_compile_args=["-O2"],
            optional=True,
        ),
    ],
    cmdclass={"build_ext": OptionalBuildExt},
)
