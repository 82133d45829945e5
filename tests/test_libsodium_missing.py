"""Without libsodium the command says so in one line (exit 2) instead of a traceback."""

from __future__ import annotations

import json
import subprocess
import sys

from cli_support import check_result

# libsodium's sonames do not open and find_library (the fallback, also pysodium's) finds nothing.
_NO_SODIUM = """
import ctypes, ctypes.util, sys
_real, _cdll = ctypes.util.find_library, ctypes.CDLL
class _CDLL(_cdll):
    def __init__(self, name, *a, **k):
        if name is not None and "sodium" in name:
            raise OSError(name + ": hidden by the test")
        super().__init__(name, *a, **k)
ctypes.CDLL = _CDLL
ctypes.util.find_library = lambda name: None if "sodium" in name else _real(name)
sys.argv = ["solvency", "demo"]
from solvency.cli.main import main
main()
"""


def test_missing_libsodium_is_one_clear_line() -> None:
    result = subprocess.run(
        [sys.executable, "-c", _NO_SODIUM], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines == [
        "error: libsodium >= 1.0.18 is required (Debian/Ubuntu: apt-get install libsodium23)"
    ]
    assert "Traceback" not in result.stderr


def test_library_import_raises_the_specific_error() -> None:
    code = _NO_SODIUM.replace(
        "from solvency.cli.main import main\nmain()",
        "from solvency.errors import LibsodiumMissingError\n"
        "try:\n    import solvency.crypto.group\nexcept LibsodiumMissingError as e:\n"
        "    print('missing:', e)\n    sys.exit(0)\nsys.exit(1)",
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("missing: libsodium >= 1.0.18 is required")


def test_missing_libsodium_with_json_is_one_object() -> None:
    code = _NO_SODIUM.replace(
        'sys.argv = ["solvency", "demo"]', 'sys.argv = ["solvency", "demo", "--json"]'
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2 and result.stderr == ""
    doc = check_result(json.loads(result.stdout))
    assert doc["status"] == "error" and doc["error"].startswith("libsodium >= 1.0.18 is required")
