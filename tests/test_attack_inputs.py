"""Issue 7, attacker's list: inputs built to fool a person or hang the tool (PROTOCOL 2.1, 8.5).

Each test fails on the code before the fix:
- user ids that look the same but are different strings (composed and decomposed ``café``,
  a zero-width space, a right-to-left override, an inner byte-order mark) were two users;
- ``build /dev/zero`` never returned (the whole input was hashed before any check);
- an interrupted ``prove --all`` could not be resumed without ``--force``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from cli_support import make_keys, ok, run, write_csv
from hypothesis import given
from hypothesis import strategies as st

from solvency.cli.progress import ProgressBar
from solvency.cli.prove_cmd import open_tree, prove_all
from solvency.crypto import derive
from solvency.epoch.builder import build_epoch
from solvency.errors import InvalidParameterError, InvalidUserIdError, MalformedInputError
from solvency.files import formats, signing
from solvency.files.ledger import MAX_LINE_BYTES, AssetSpec, LedgerError, iter_ledger
from solvency.files.secure_io import NotARegularFileError

CAFE_NFC = "caf\u00e9"
CAFE_NFD = "cafe\u0301"
# (the id a cheating exchange adds, the id it imitates, what the refusal names)
LOOKALIKES = {
    "decomposed cafe": (CAFE_NFD, CAFE_NFC, "not in Unicode NFC"),
    "zero-width space": ("ali\u200bce", "alice", "format character U+200B"),
    "right-to-left override": ("\u202eecila", "alice", "format character U+202E"),
    "inner byte-order mark": ("ali\ufeffce", "alice", "format character U+FEFF"),
}


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_keys(tmp_path_factory.mktemp("keys") / "keys")


def _build(ledger: Path, out: Path, keys: Path, *extra: object) -> object:
    return run(
        "build", ledger, "--epoch", "e1", "--out", out, "--keys", keys, "--workers", "1",
        "--asset", "BTC:8", *extra,
    )  # fmt: skip


@pytest.mark.parametrize("case", list(LOOKALIKES))
def test_lookalike_user_id_is_refused_with_row_and_column(
    case: str, keys: Path, tmp_path: Path
) -> None:
    evil, honest, words = LOOKALIKES[case]
    assert evil != honest  # two different strings: before the fix, two different users
    ledger = write_csv(
        tmp_path / "ledger.csv", ["user_id", "BTC"], [[honest, "1"], ["bob", "2"], [evil, "3"]]
    )
    out = tmp_path / "out"
    result = _build(ledger, out, keys)
    assert result.exit_code == 2, result.output  # type: ignore[attr-defined]
    lines = result.stderr.splitlines()  # type: ignore[attr-defined]
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    assert "row 4, column user_id" in lines[0] and words in lines[0], lines[0]
    assert not out.exists()


@pytest.mark.parametrize("case", list(LOOKALIKES))
def test_lookalike_user_id_is_refused_by_every_reader(case: str) -> None:
    evil, honest, words = LOOKALIKES[case]
    derive.check_user_id(honest)
    # The one check: a derivation, and a proof file claiming that id, refuse it alike.
    with pytest.raises(InvalidUserIdError, match=re.escape(words)):
        derive.user_secret(bytes(32), evil)
    with pytest.raises(InvalidParameterError):
        derive.leaf_id(evil, bytes(32))
    golden = Path(__file__).parent / "vectors" / "golden-v1" / "proofs" / "alice.json"
    doc = json.loads(golden.read_text(encoding="utf-8"))
    doc["user_id"] = evil
    with pytest.raises(MalformedInputError, match=re.escape(words)):
        formats.InclusionProofFile.loads(json.dumps(doc, sort_keys=True).encode())


@pytest.mark.parametrize(
    ("uid", "words"),
    [
        ("a\u200db", "format character U+200D"),  # zero-width joiner
        ("a\u2066b\u2069", "format character U+2066"),  # bidi isolate
        ("a\u00adb", "format character U+00AD"),  # soft hyphen
        ("a\u3164b", "invisible (default-ignorable) character U+3164"),  # Hangul filler
        ("a\ufe0fb", "invisible (default-ignorable) character U+FE0F"),  # variation selector
        ("a\u034fb", "invisible (default-ignorable) character U+034F"),  # grapheme joiner
        ("a\u00a0b", "space character U+00A0"),  # no-break space looks like a space
        ("a\ue000b", "private-use character U+E000"),
        ("a\U000e0041b", "format character U+E0041"),  # tag letter
        ("a\x85b", "control character U+0085"),
        ("\ufeffalice", "format character U+FEFF"),
        ("Ko\u0308ln", "not in Unicode NFC"),
    ],
)
def test_invisible_and_unnormalised_ids_are_refused(uid: str, words: str) -> None:
    with pytest.raises(InvalidUserIdError, match=re.escape(words)):
        derive.check_user_id(uid)


@given(st.text(min_size=1, max_size=40))
def test_check_user_id_never_normalises(uid: str) -> None:
    """An accepted id is returned exactly as given, and is already NFC: nothing is changed."""
    try:
        raw = derive.check_user_id(uid)
    except InvalidUserIdError:
        return
    assert raw == uid.encode("utf-8")
    assert unicodedata.normalize("NFC", uid) == uid


def test_ordinary_ids_are_accepted() -> None:
    for uid in ("alice", CAFE_NFC, "Köln", "ü-Ω-用户", "bob@example.com", "John Smith", "😀"):
        assert derive.check_user_id(uid) == uid.encode("utf-8")


def test_prove_refuses_a_lookalike_id_on_the_command_line(keys: Path, tmp_path: Path) -> None:
    ledger = write_csv(tmp_path / "ledger.csv", ["user_id", "BTC"], [[CAFE_NFC, "1"]])
    ok(*["build", ledger, "--epoch", "e1", "--out", tmp_path / "out", "--keys", keys],
       *["--workers", "1", "--asset", "BTC:8", "-q"])  # fmt: skip
    result = run(
        "prove", tmp_path / "out", "--user", CAFE_NFD, "--out", tmp_path / "p.json",
        "--keys", keys,
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    assert "not in Unicode NFC" in result.stderr
    assert not (tmp_path / "p.json").exists()


# --- inputs that are not regular files, and ledgers that must fail at their first bad row ---


def _build_in_subprocess(ledger: Path, out: Path, keys: Path) -> subprocess.CompletedProcess[str]:
    """``solvency build`` in a child process; the timeout only guards against a hang (the old
    code read /dev/zero forever), it is not a speed target."""
    args = ["build", str(ledger), "--epoch", "e1", "--out", str(out), "--keys", str(keys)]
    args += ["--asset", "BTC:8", "--workers", "1", "-q"]
    code = "import sys; from solvency.cli.main import main; sys.argv[0] = 'solvency'; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize("kind", ["/dev/zero", "folder", "fifo"])
def test_build_refuses_a_non_regular_ledger_before_reading(
    kind: str, keys: Path, tmp_path: Path
) -> None:
    if kind == "/dev/zero":
        ledger = Path("/dev/zero")
    elif kind == "folder":
        ledger = tmp_path / "ledger-folder"
        ledger.mkdir()
    else:
        ledger = tmp_path / "ledger.fifo"
        os.mkfifo(ledger)  # nobody writes to it: opening it for reading would block
    out = tmp_path / "out"
    done = _build_in_subprocess(ledger, out, keys)
    assert done.returncode == 2, done.stderr
    errors = [line for line in done.stderr.splitlines() if "rror" in line]
    assert len(errors) == 1, done.stderr
    assert f"{ledger}: is " in errors[0] and "not a regular file" in errors[0], errors[0]
    assert not out.exists()


@pytest.mark.parametrize("kind", ["/dev/zero", "folder", "fifo"])
def test_library_refuses_a_non_regular_ledger(kind: str, tmp_path: Path) -> None:
    if kind == "/dev/zero":
        ledger = Path("/dev/zero")
    elif kind == "folder":
        ledger = tmp_path
    else:
        ledger = tmp_path / "ledger.fifo"
        os.mkfifo(ledger)
    with pytest.raises(NotARegularFileError, match="not a regular ledger file"):
        list(iter_ledger(ledger, [AssetSpec("BTC", 8)]))
    with pytest.raises(NotARegularFileError):
        build_epoch(ledger, [AssetSpec("BTC", 8)], bytes(32), "e1", tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_a_bad_row_2_fails_without_reading_the_rest(keys: Path, tmp_path: Path) -> None:
    """A 1 TiB (sparse) ledger whose row 2 is bad: refused at row 2 at once. The old code
    hashed the whole file before parsing it."""
    ledger = tmp_path / "huge.csv"
    with open(ledger, "wb") as fh:
        fh.write(b"user_id,BTC\nalice,-1\nbob,1\n")
        fh.seek(1 << 40)
        fh.write(b"\n")
    out = tmp_path / "out"
    done = _build_in_subprocess(ledger, out, keys)
    assert done.returncode == 2, done.stderr
    assert "row 2, column BTC" in done.stderr and "negative" in done.stderr, done.stderr
    assert not out.exists()


def test_the_ledger_is_hashed_in_the_same_read_that_checks_it(tmp_path: Path) -> None:
    """The digest fed by ``iter_ledger`` is SHA-256 of the whole file, byte for byte."""
    ledger = tmp_path / "l.csv"
    ledger.write_bytes(b"\xef\xbb\xbfuser_id,BTC\r\nalice,1.5\r\nbob,0\r\n")
    digest = hashlib.sha256()
    rows = list(iter_ledger(ledger, [AssetSpec("BTC", 8)], digest=digest))
    assert [r.user_id for r in rows] == ["alice", "bob"]
    assert digest.hexdigest() == hashlib.sha256(ledger.read_bytes()).hexdigest()


def test_an_overlong_line_is_refused_before_the_rest_of_it_is_read(tmp_path: Path) -> None:
    ledger = tmp_path / "l.csv"
    with open(ledger, "wb") as fh:
        fh.write(b"user_id,BTC\nalice,1")
        fh.seek(1 << 40)  # a 1 TiB line of zero bytes: never read whole
        fh.write(b"\n")
    with pytest.raises(LedgerError, match=f"row 2: longer than {MAX_LINE_BYTES} bytes"):
        list(iter_ledger(ledger, [AssetSpec("BTC", 8)]))


# --- an interrupted prove --all resumes ---------------------------------------------------------


@pytest.fixture
def built(keys: Path, tmp_path: Path) -> Path:
    rows = [[f"user{i}", f"{i}.5"] for i in range(6)] + [[CAFE_NFC, "2"]]
    ledger = write_csv(tmp_path / "ledger.csv", ["user_id", "BTC"], rows)
    ok(*["build", ledger, "--epoch", "e1", "--out", tmp_path / "out", "--keys", keys],
       *["--workers", "1", "--asset", "BTC:8", "-q"])  # fmt: skip
    return tmp_path / "out"


def _prove_all(epoch_dir: Path, out: Path, keys: Path, *extra: str) -> object:
    return run("prove", epoch_dir, "--all", "--out", out, "--keys", keys, "-q", *extra)


def test_interrupted_prove_all_resumes(built: Path, keys: Path, tmp_path: Path) -> None:
    full = tmp_path / "full"
    ok("prove", built, "--all", "--out", full, "--keys", keys, "-q")
    expected = {p.name: p.read_bytes() for p in full.iterdir()}
    assert len(expected) == 7
    # What an interrupted run leaves: some complete files (each is written atomically).
    part = tmp_path / "part"
    part.mkdir(mode=0o700)
    for name in sorted(expected)[:3]:
        (part / name).write_bytes(expected[name])
    before = {name: (part / name).stat().st_mtime_ns for name in sorted(expected)[:3]}
    result = _prove_all(built, part, keys)
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert {p.name: p.read_bytes() for p in part.iterdir()} == expected
    # The complete files were kept, not rewritten.
    assert {n: (part / n).stat().st_mtime_ns for n in before} == before


def test_prove_all_refuses_only_a_file_that_differs(
    built: Path, keys: Path, tmp_path: Path
) -> None:
    out = tmp_path / "proofs"
    ok("prove", built, "--all", "--out", out, "--keys", keys, "-q")
    victim = sorted(out.iterdir())[2]
    good = victim.read_bytes()
    victim.write_bytes(good.replace(b'"user_secret": "', b'"user_secret": "0', 1)[:-1])
    result = _prove_all(built, out, keys)
    assert result.exit_code == 2, result.output  # type: ignore[attr-defined]
    assert str(victim) in result.stderr and "differs" in result.stderr  # type: ignore[attr-defined]
    assert victim.read_bytes() != good  # left as it was for the operator to look at
    forced = _prove_all(built, out, keys, "--force")
    assert forced.exit_code == 0, forced.output  # type: ignore[attr-defined]
    assert victim.read_bytes() == good


class _InterruptAfter(ProgressBar):
    """A progress bar that presses Ctrl-C once ``n`` proofs are written."""

    def __init__(self, n: int) -> None:
        super().__init__(False)
        self.n = n

    def update(self, label: str, done: int, total: int) -> None:
        if done >= self.n:
            raise KeyboardInterrupt


def test_prove_all_really_interrupted_then_rerun_finishes(
    built: Path, keys: Path, tmp_path: Path
) -> None:
    full = tmp_path / "full"
    ok("prove", built, "--all", "--out", full, "--keys", keys, "-q")
    expected = {p.name: p.read_bytes() for p in full.iterdir()}
    out = tmp_path / "proofs"
    master = signing.load_master_secret(keys / "master.key")
    with open_tree(built) as store, pytest.raises(KeyboardInterrupt):
        prove_all(store, master, out, False, _InterruptAfter(3))
    assert 0 < len(list(out.iterdir())) < len(expected)  # interrupted part way
    result = _prove_all(built, out, keys)
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert {p.name: p.read_bytes() for p in out.iterdir()} == expected


def test_fast_user_id_screen_equals_the_per_character_rule() -> None:
    """``check_user_id``'s fast screen (``str.isprintable`` and one regex) refuses exactly the
    code points its readable per-character rule (``_forbidden_kind``) names, for every code
    point of this Python's Unicode database."""
    differ = [
        cp
        for cp in range(0x110000)
        if ((not chr(cp).isprintable()) or bool(derive._IGNORABLE_RE.search(chr(cp))))
        != (derive._forbidden_kind(chr(cp)) is not None)
    ]
    assert differ == []
