"""Issue 7, attacker's list: inputs built to fool a person or hang the tool (PROTOCOL 2.1, 8.5).

Each test fails on the code before the fix:
- user ids that look the same but are different strings (composed and decomposed ``café``,
  a zero-width space, a right-to-left override, an inner byte-order mark) were two users;
- ``build /dev/zero`` never returned (the whole input was hashed before any check);
- an interrupted ``prove --all`` could not be resumed without ``--force``.
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

import pytest
from cli_support import make_keys, ok, run, write_csv
from hypothesis import given
from hypothesis import strategies as st

from solvency.crypto import derive
from solvency.errors import InvalidParameterError, InvalidUserIdError, MalformedInputError
from solvency.files import formats

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
