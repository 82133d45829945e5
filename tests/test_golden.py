"""Issue 7 item 5: the golden epoch made by an older release keeps verifying, and is really checked.

``tests/vectors/golden-v1`` was made once by solvency 0.1.0 (commit 2391ba5, see
``make_golden_v1.sh``): root, signature, public key, three user proofs, the auditor's tree and
liabilities. This release must verify all of it, through the library and through the command
line (exit 0). And the check must be real: a flipped byte in EACH golden file fails it. Every
value of every JSON file is changed in turn, keeping the file parseable (a hex digit, a decimal
digit, an integer, a character of a string), plus a raw byte flip of each file; in the tree
database a byte of each kind of stored value (commitment, hash, range proof, padding seed) is
flipped in place, plus the file header.
"""

from __future__ import annotations

import hmac
import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cli_support import run

from solvency.circuits.inclusion import verify_inclusion
from solvency.circuits.liabilities import verify_liabilities
from solvency.circuits.parameters import check_root_parameters
from solvency.epoch.audit import audit_tree
from solvency.epoch.store import EpochStore
from solvency.errors import SolvencyError, VerificationError
from solvency.files import formats, signing

GOLDEN = Path(__file__).parent / "vectors" / "golden-v1"
USERS = ("alice", "bob", "carol")
JSON_FILES = ("root.json", "liabilities.json", *(f"proofs/{u}.json" for u in USERS))
ALL_FILES = (*JSON_FILES, "root.json.sig", "signing.pub", "tree.sqlite")


@pytest.fixture
def golden(tmp_path: Path) -> Path:
    """A private copy of the golden epoch, free to be damaged."""
    return Path(shutil.copytree(GOLDEN, tmp_path / "golden-v1"))


# --- verification through the library --------------------------------------------------------


def verify_root(d: Path) -> formats.RootFile:
    """Signature over the exact bytes of root.json, then the root's parameters."""
    root_bytes = (d / "root.json").read_bytes()
    key = signing.VerifyingKey.from_pem((d / "signing.pub").read_bytes())
    key.verify(signing.decode_signature((d / "root.json.sig").read_bytes()), root_bytes)
    root = formats.RootFile.loads(root_bytes)
    check_root_parameters(root)
    return root


def verify_user(d: Path, user: str) -> None:
    root = verify_root(d)
    proof = formats.InclusionProofFile.loads((d / "proofs" / f"{user}.json").read_bytes())
    if proof.user_id != user:
        raise VerificationError(f"the proof is for {proof.user_id!r}, not {user!r}")
    if (proof.epoch, proof.assets, proof.height, proof.root) != (
        root.epoch,
        root.assets,
        root.height,
        root.root,
    ):
        raise VerificationError("the proof does not belong to the signed root")
    verify_inclusion(
        proof.user_id,
        proof.balances,
        proof.user_secret,
        proof.position,
        proof.path,
        root.root.hash,
        root.root.commitments,
        root.epoch,
        root.assets,
    )


def verify_liabilities_file(d: Path) -> None:
    root = verify_root(d)
    liab = formats.LiabilitiesFile.loads((d / "liabilities.json").read_bytes())
    if liab.epoch != root.epoch or not hmac.compare_digest(liab.root_hash, root.root.hash):
        raise VerificationError("the liabilities are for another root")
    if liab.assets != root.assets:
        raise VerificationError("the liabilities list other assets")
    verify_liabilities(
        root.root.commitments,
        [t.units for t in liab.totals],
        [t.blinding for t in liab.totals],
        [t.symbol for t in liab.totals],
    )


def verify_tree(d: Path) -> None:
    root = verify_root(d)
    with EpochStore.open(d / "tree.sqlite", readonly=True) as store:
        if (store.epoch, store.height) != (root.epoch, root.height):
            raise VerificationError("the tree is for another epoch or height")
        report = audit_tree(store, root.root.hash, root.root.commitments)
    if report.nodes != store_nodes(d):
        raise VerificationError("the audit did not walk every node")


def store_nodes(d: Path) -> int:
    with EpochStore.open(d / "tree.sqlite", readonly=True) as store:
        return store.count_nodes()


def verify_everything(d: Path) -> None:
    verify_root(d)
    for u in USERS:
        verify_user(d, u)
    verify_liabilities_file(d)
    verify_tree(d)


#: The library check that reads each file (the root, key and signature are read by all).
CHECK: dict[str, Callable[[Path], None]] = {
    "root.json": verify_everything,
    "root.json.sig": verify_everything,
    "signing.pub": verify_everything,
    "liabilities.json": verify_liabilities_file,
    "tree.sqlite": verify_tree,
    **{f"proofs/{u}.json": (lambda d, u=u: verify_user(d, u)) for u in USERS},  # type: ignore[misc]
}


def test_golden_epoch_verifies_through_the_library() -> None:
    verify_everything(GOLDEN)
    root = formats.RootFile.loads((GOLDEN / "root.json").read_bytes())
    # Made by the older release named in make_golden_v1.sh, not by this one.
    assert root.epoch == "golden-2026-01" and root.tool == "solvency 0.1.0"


# --- verification through the command line ---------------------------------------------------


def cli_checks(d: Path) -> dict[str, list[object]]:
    """One command per golden file that reads it (argument lists for ``solvency``)."""
    root = ["--root", d / "root.json", "--pubkey", d / "signing.pub"]
    checks: dict[str, list[object]] = {
        f"proofs/{u}.json": ["verify", d / "proofs" / f"{u}.json", *root, "--user", u]
        for u in USERS
    }
    audit = ["audit", d / "root.json", "--pubkey", d / "signing.pub", "--workers", "1"]
    checks["liabilities.json"] = [*audit, "--liabilities", d / "liabilities.json"]
    checks["tree.sqlite"] = [*checks["liabilities.json"], "--tree", d / "tree.sqlite"]
    for name in ("root.json", "root.json.sig", "signing.pub"):
        checks[name] = checks["tree.sqlite"]
    return checks


def test_golden_epoch_verifies_through_the_cli() -> None:
    for name, args in cli_checks(GOLDEN).items():
        result = run(*args)
        assert result.exit_code == 0, f"{name}: {result.output}"
        assert "VERIFIED" in result.output, result.output


# --- every golden file is really checked --------------------------------------------------------


def _leaves(doc: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    if isinstance(doc, dict):
        for k in sorted(doc):
            yield from _leaves(doc[k], (*path, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield from _leaves(v, (*path, i))
    else:
        yield path, doc


def _changed(value: Any) -> Any:
    """The same kind of value with one character or unit changed: still parseable JSON."""
    if isinstance(value, bool) or value is None:
        raise AssertionError(f"no golden value is {value!r}")
    if isinstance(value, int):
        return value + 1
    assert isinstance(value, str) and value
    last = value[-1]
    if last in "0123456789abcdef":
        # A hex or decimal digit: another digit of the same alphabet.
        swap = "1" if last == "0" else "0"
        return value[:-1] + swap
    return value[:-1] + ("x" if last != "x" else "y")


def _set(doc: Any, path: tuple[Any, ...], value: Any) -> None:
    for key in path[:-1]:
        doc = doc[key]
    doc[path[-1]] = value


def _value_flips() -> list[tuple[str, tuple[Any, ...]]]:
    cases = []
    for name in JSON_FILES:
        doc = json.loads((GOLDEN / name).read_text(encoding="utf-8"))
        # root.json's "totals" is null (not published): there is no value in it to change.
        cases += [(name, path) for path, v in _leaves(doc) if v is not None]
    return cases


VALUE_FLIPS = _value_flips()


@pytest.mark.parametrize(
    ("name", "path"), VALUE_FLIPS, ids=[f"{n}:{'.'.join(map(str, p))}" for n, p in VALUE_FLIPS]
)
def test_each_value_of_each_json_file_is_checked(
    golden: Path, name: str, path: tuple[Any, ...]
) -> None:
    doc = json.loads((golden / name).read_text(encoding="utf-8"))
    value = doc
    for key in path:
        value = value[key]
    _set(doc, path, _changed(value))
    # Written as the tools write it (sorted keys, indent 2): only the value differs.
    (golden / name).write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n", "utf-8")
    with pytest.raises(SolvencyError):
        CHECK[name](golden)


def _flip_at(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("name", ALL_FILES)
def test_a_raw_byte_flip_in_each_file_fails_library_and_cli(golden: Path, name: str) -> None:
    path = golden / name
    size = path.stat().st_size
    # The middle of each text file is inside a value; SQLite's magic string is read on open.
    offset = 0 if name == "tree.sqlite" else size // 2
    _flip_at(path, offset)
    with pytest.raises(SolvencyError):
        CHECK[name](golden)
    result = run(*cli_checks(golden)[name])
    assert result.exit_code in (1, 2), f"{name}: {result.output}"
    assert "VERIFIED" not in result.stdout


def _stored_values(d: Path) -> dict[str, bytes]:
    """One stored value of each kind in the tree database, read through the store."""
    with EpochStore.open(d / "tree.sqlite", readonly=True) as store:
        node = next(n for n in store.iter_level_nodes(1) if n.proof is not None)
        padding = next(
            (lv, n.index)
            for lv in range(store.height + 1)
            for n in store.iter_level_nodes(lv)
            if store.pad_seed(lv, n.index) is not None
        )
        seed = store.pad_seed(*padding)
        assert node.proof is not None and seed is not None
        return {
            "commitment": node.commitments[0],
            "hash": node.hash,
            "range proof": node.proof,
            "padding seed": seed,
        }


@pytest.mark.parametrize("kind", ["commitment", "hash", "range proof", "padding seed"])
def test_a_flip_inside_each_kind_of_stored_tree_value_fails(golden: Path, kind: str) -> None:
    value = _stored_values(golden)[kind]
    data = (golden / "tree.sqlite").read_bytes()
    assert data.count(value) == 1, "the value must be stored once, in place"
    _flip_at(golden / "tree.sqlite", data.index(value) + len(value) // 2)
    with pytest.raises(SolvencyError):
        verify_tree(golden)
    result = run(*cli_checks(golden)["tree.sqlite"])
    assert result.exit_code in (1, 2), result.output
    assert "VERIFIED" not in result.stdout


@pytest.mark.parametrize("name", ["root.json.sig", "signing.pub"])
def test_a_parseable_change_to_the_signature_or_key_fails(golden: Path, name: str) -> None:
    """The signature stays 128 hex digits and the key stays base64 PEM, so both still parse:
    the check that fails is the signature's, not the parser's."""
    path = golden / name
    text = path.read_text(encoding="ascii")
    if name == "root.json.sig":
        i = 64  # a hex digit in the middle of the signature
        text = text[:i] + ("1" if text[i] == "0" else "0") + text[i + 1 :]
        signing.decode_signature(text.encode())  # still a well-formed signature file
    else:
        body = text.splitlines()[1]  # the base64 line: 12 bytes of header, then the key
        i = len(body) - 6  # inside the last bytes of the 32-byte key
        swapped = body[:i] + ("A" if body[i] != "A" else "B") + body[i + 1 :]
        text = text.replace(body, swapped)
    path.write_text(text, encoding="ascii")
    with pytest.raises(SolvencyError):
        verify_root(golden)
    result = run(*cli_checks(golden)[name])
    # A changed signature parses and fails to verify (exit 1); a changed key may no longer be
    # a point (bad input, exit 2) or be another key (exit 1).
    assert result.exit_code in ((1,) if name == "root.json.sig" else (1, 2)), result.output
    assert "VERIFIED" not in result.stdout
