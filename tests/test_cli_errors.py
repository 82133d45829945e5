"""Bad input through the command line: one line, exit 2, and nothing left half-written.

Ledger refusals name the row and column (docs/PROTOCOL.md section 2); malformed proof, root,
signature and key files are refused before any check runs.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_support import Epoch, build_epoch, load, make_keys, ok, run, save, write_csv

HEADER = ["user_id", "BTC", "USDT"]
ASSETS = ("BTC:8", "USDT:6")
GOOD = [["alice", "1.5", "10"], ["bob", "0", "2.25"], ["carol", "0.00000001", "0"]]

# (rows, expected row, expected column or None for a whole-row problem)
LEDGER_CASES: dict[str, tuple[list[list[str]], int, str | None]] = {
    "too many decimals": ([*GOOD, ["dave", "0.123456789", "1"]], 5, "BTC"),
    "negative": ([*GOOD, ["dave", "1", "-2"]], 5, "USDT"),
    "exponent": ([["dave", "1e3", "1"], *GOOD], 2, "BTC"),
    "not a number": ([*GOOD[:1], ["dave", "1", "ten"], *GOOD[1:]], 3, "USDT"),
    "empty amount": ([*GOOD, ["dave", "", "1"]], 5, "BTC"),
    "padded amount": ([*GOOD, ["dave", " 1", "1"]], 5, "BTC"),
    "empty id": ([*GOOD, ["", "1", "1"]], 5, "user_id"),
    "duplicate id": ([*GOOD, ["bob", "1", "1"]], 5, "user_id"),
    "id with surrounding space": ([*GOOD, [" erin", "1", "1"]], 5, "user_id"),
    "id with a control character": ([*GOOD, ["er\x07in", "1", "1"]], 5, "user_id"),
    "id too long": ([*GOOD, ["x" * 257, "1", "1"]], 5, "user_id"),
    "total reaches 2^64": (
        [["big", "184467440737.09551615", "0"], ["more", "0.00000001", "0"]],
        3,
        "BTC",
    ),
    "wrong field count": ([*GOOD, ["dave", "1"]], 5, None),
}


def _keys(tmp: Path) -> Path:
    return make_keys(tmp / "keys")


def _build(ledger: Path, out: Path, keys: Path, *extra: object) -> object:
    return run(
        "build", ledger, "--epoch", "x", "--out", out, "--keys", keys, "--workers", "1",
        *[a for s in ASSETS for a in ("--asset", s)], *extra,
    )  # fmt: skip


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _keys(tmp_path_factory.mktemp("keys"))


@pytest.mark.parametrize("case", list(LEDGER_CASES))
def test_ledger_refusal_names_row_and_column_and_writes_nothing(
    case: str, keys: Path, tmp_path: Path
) -> None:
    rows, row, column = LEDGER_CASES[case]
    ledger = write_csv(tmp_path / "ledger.csv", HEADER, rows)
    out = tmp_path / "nested" / "epoch"
    result = _build(ledger, out, keys)
    assert result.exit_code == 2, result.output  # type: ignore[attr-defined]
    lines = result.stderr.splitlines()  # type: ignore[attr-defined]
    assert len(lines) == 1 and lines[0].startswith("error: ")
    where = f"row {row}, column {column}" if column else f"row {row}:"
    assert where in lines[0]
    assert not (tmp_path / "nested").exists()
    # A folder that existed is left as it was: empty.
    existing = tmp_path / "existing"
    existing.mkdir()
    again = _build(ledger, existing, keys, "--json")
    assert again.exit_code == 2  # type: ignore[attr-defined]
    assert json.loads(again.stdout)["status"] == "error"  # type: ignore[attr-defined]
    assert list(existing.iterdir()) == []


@pytest.mark.parametrize(
    ("header", "where"),
    [(["user_id", "BTC", "ETH"], "row 1, column 3"), (["user_id", "BTC"], "row 1:")],
)
def test_header_mismatch(header: list[str], where: str, keys: Path, tmp_path: Path) -> None:
    ledger = write_csv(tmp_path / "l.csv", header, [["a"] + ["1"] * (len(header) - 1)])
    result = _build(ledger, tmp_path / "out", keys)
    assert result.exit_code == 2  # type: ignore[attr-defined]
    assert where in result.stderr  # type: ignore[attr-defined]
    assert not (tmp_path / "out").exists()


def test_empty_ledger_and_not_utf8(keys: Path, tmp_path: Path) -> None:
    empty = write_csv(tmp_path / "empty.csv", HEADER, [])
    result = _build(empty, tmp_path / "out", keys)
    assert result.exit_code == 2  # type: ignore[attr-defined]
    assert "no user rows" in result.stderr  # type: ignore[attr-defined]
    latin = tmp_path / "latin.csv"
    latin.write_bytes(b"user_id,BTC,USDT\nalice,1,1\nzo\xeb,1,1\n")
    result = _build(latin, tmp_path / "out", keys)
    assert result.exit_code == 2  # type: ignore[attr-defined]
    assert "row 3: not UTF-8" in result.stderr  # type: ignore[attr-defined]
    assert not (tmp_path / "out").exists()


def test_refused_rerun_keeps_the_database(keys: Path, tmp_path: Path) -> None:
    ledger = write_csv(tmp_path / "l.csv", HEADER, GOOD)
    out = tmp_path / "e"
    assert _build(ledger, out, keys).exit_code == 0  # type: ignore[attr-defined]
    db = out / "private" / "epoch.sqlite"
    before = db.read_bytes()
    changed = write_csv(tmp_path / "l.csv", HEADER, [*GOOD, ["dave", "1", "1"]])
    result = _build(changed, out, keys)
    assert result.exit_code == 2  # type: ignore[attr-defined]
    assert "different ledger sha256" in result.stderr  # type: ignore[attr-defined]
    assert db.read_bytes() == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--asset", "BTC"], "missing ':'"),
        (["--asset", "BTC:19"], "decimals"),
        (["--asset", "BTC:8", "--asset", "BTC:8"], "appears twice"),
        ([], "name the assets"),
        (["--asset", "BTC:8", "--assets-config", "CONFIG"], "not both"),
        (["--asset", "BTC:8", "--epoch", "bad epoch!"], "epoch id"),
        (["--asset", "BTC:8", "--workers", "0"], "--workers"),
        (["--asset", "BTC:8", "--workers", "2", "--scheduler", "tcp://x:1"], "not both"),
        (["--asset", "BTC:8", "--master-key", "K"], "not both"),
    ],
)
def test_build_usage_errors(args: list[str], message: str, keys: Path, tmp_path: Path) -> None:
    ledger = write_csv(tmp_path / "l.csv", ["user_id", "BTC"], [["a", "1"]])
    btc = {"symbol": "BTC", "decimals": 8}
    config = save(
        tmp_path / "assets.json", {"format": "solvency-assets", "version": 1, "assets": [btc]}
    )
    args = [str(config) if a == "CONFIG" else a for a in args]
    if "--epoch" not in args:
        args += ["--epoch", "x"]
    result = run("build", ledger, "--out", tmp_path / "out", "--keys", keys, *args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert not (tmp_path / "out").exists()


def test_missing_keys_is_one_line(tmp_path: Path) -> None:
    ledger = write_csv(tmp_path / "l.csv", ["user_id", "BTC"], [["a", "1"]])
    result = run("build", ledger, "--epoch", "x", "--out", tmp_path / "o", "--asset", "BTC:8",
                 "--keys", tmp_path / "nokeys")  # fmt: skip
    assert result.exit_code == 2
    assert result.stderr.strip().startswith("error: ") and len(result.stderr.splitlines()) == 1
    assert "master.key" in result.stderr
    assert not (tmp_path / "o").exists()


def test_assets_config_file(keys: Path, tmp_path: Path) -> None:
    ledger = write_csv(tmp_path / "l.csv", ["user_id", "BTC"], [["a", "1"]])
    # version 2 is the margin config (docs/PROTOCOL.md section 10.1); 3 does not exist
    bad = save(tmp_path / "assets.json", {"format": "solvency-assets", "version": 3, "assets": []})
    result = run("build", ledger, "--epoch", "x", "--out", tmp_path / "o", "--keys", keys,
                 "--assets-config", bad)  # fmt: skip
    assert result.exit_code == 2 and "version 3 is not supported" in result.stderr
    good = save(bad, {"format": "solvency-assets", "version": 1,
                      "assets": [{"symbol": "BTC", "decimals": 8}]})  # fmt: skip
    ok("build", ledger, "--epoch", "x", "--out", tmp_path / "o", "--keys", keys,
       "--assets-config", good, "--workers", "1")  # fmt: skip


# --- malformed files given to verify and audit ----------------------------------------------


@pytest.fixture(scope="module")
def epoch(tmp_path_factory: pytest.TempPathFactory, keys: Path) -> Epoch:
    tmp = tmp_path_factory.mktemp("epoch")
    ledger = write_csv(tmp / "l.csv", ["user_id", "BTC"], [["a", "1"], ["b", "2"]])
    return build_epoch(tmp, ledger, ("BTC:8",), keys)


def _proof_edits() -> dict[str, object]:
    return {
        "bad JSON": "{not json",
        "not UTF-8": b"\xff\xfe",
        "wrong version": lambda d: d.update(version=2),
        "wrong format": lambda d: d.update(format="solvency-root"),
        "missing key": lambda d: d.pop("user_secret"),
        "unknown key": lambda d: d.update(extra=1),
        "amount disagrees with units": lambda d: d["balances"][0].update(amount="9.00000000"),
        "short path": lambda d: d["path"].pop(),
        "commitment not a point": lambda d: d["path"][0]["commitments"].__setitem__(0, "ff" * 32),
        "odd hex": lambda d: d["path"][0].update(hash="abc"),
    }


@pytest.mark.parametrize("case", list(_proof_edits()))
def test_malformed_proof_file_is_exit_2(case: str, epoch: Epoch, tmp_path: Path) -> None:
    edit = _proof_edits()[case]
    target = tmp_path / "p.json"
    if isinstance(edit, str):
        target.write_text(edit)
    elif isinstance(edit, bytes):
        target.write_bytes(edit)
    else:
        doc = load(epoch.proof_files()[0])
        edit(doc)  # type: ignore[operator]
        save(target, doc)
    result = run("verify", target, "--root", epoch.root_json, "--pubkey", epoch.pub)
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert "Traceback" not in result.output
    json_result = run("verify", target, "--root", epoch.root_json, "--pubkey", epoch.pub, "--json")
    assert json_result.exit_code == 2
    assert json.loads(json_result.stdout)["status"] == "error"


def test_wrong_version_message(epoch: Epoch, tmp_path: Path) -> None:
    doc = load(epoch.proof_files()[0])
    doc["version"] = 7
    result = run("verify", save(tmp_path / "p.json", doc), "--no-signature-check")
    assert "version 7 is not supported" in result.stderr


@pytest.mark.parametrize("which", ["root", "sig", "pubkey"])
def test_malformed_root_signature_or_key(which: str, epoch: Epoch, tmp_path: Path) -> None:
    root, sig, pub = tmp_path / "root.json", tmp_path / "root.json.sig", tmp_path / "k.pub"
    root.write_bytes(epoch.root_json.read_bytes())
    sig.write_bytes(epoch.sig.read_bytes())
    pub.write_bytes(epoch.pub.read_bytes())
    {"root": root, "sig": sig, "pubkey": pub}[which].write_text("garbage\n")
    result = run("verify", epoch.proof_files()[0], "--root", root, "--pubkey", pub)
    assert result.exit_code == 2, result.output
    assert len(result.stderr.splitlines()) == 1 and result.stderr.startswith("error: ")
    audit = run("audit", root, "--liabilities", epoch.liabilities, "--pubkey", pub)
    assert audit.exit_code == 2


def test_verify_usage(epoch: Epoch) -> None:
    proof, root, pub = epoch.proof_files()[0], epoch.root_json, epoch.pub
    cases = [
        (["--pubkey", pub], "--pubkey needs --root"),
        (["--root", root, "--sig", epoch.sig], "pass --pubkey"),
        (["--root", root, "--no-signature-check", "--sig", epoch.sig], "--sig needs --pubkey"),
        (["--root", root, "--pubkey", pub, "--no-signature-check"], "not both"),
    ]
    for args, message in cases:
        result = run("verify", proof, *args)
        assert result.exit_code == 2, (args, result.output)
        assert result.stderr.startswith("error: ") and len(result.stderr.splitlines()) == 1
        assert message in result.stderr, result.stderr
    missing = run("verify", root.parent / "nope.json", "--root", root, "--pubkey", pub)
    assert missing.exit_code == 2 and "does not exist" in missing.stderr


def test_prove_and_export_errors(epoch: Epoch, tmp_path: Path) -> None:
    assert run("prove", epoch.dir, "--out", tmp_path / "x", "--keys", epoch.keys).exit_code == 2
    both = run(
        "prove", epoch.dir, "--user", "a", "--all", "--out", tmp_path / "x", "--keys", epoch.keys
    )
    assert both.exit_code == 2
    not_epoch = run("prove", tmp_path, "--all", "--out", tmp_path / "x", "--keys", epoch.keys)
    assert not_epoch.exit_code == 2 and "no such tree database" in not_epoch.stderr
    tree = tmp_path / "t.sqlite"
    ok("export-tree", epoch.dir, "--out", tree)
    again = run("export-tree", epoch.dir, "--out", tree)
    assert again.exit_code == 2 and "already exists" in again.stderr
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"not a database at all" * 10)
    audit = run(
        "audit", epoch.root_json, "--liabilities", epoch.liabilities, "--tree", junk,
        "--pubkey", epoch.pub,
    )  # fmt: skip
    assert audit.exit_code == 2, audit.output
    assert len(audit.stderr.splitlines()) == 1


def test_audit_needs_totals(epoch: Epoch) -> None:
    result = run("audit", epoch.root_json)
    assert result.exit_code == 2 and "--liabilities" in result.output


def test_no_secret_in_any_output(epoch: Epoch, tmp_path: Path) -> None:
    master = (epoch.keys / "master.key").read_text().strip()
    liab = load(epoch.liabilities)
    blinding = liab["totals"][0]["blinding"]
    secret = load(epoch.proof_files()[0])["user_secret"]
    outputs = [
        run("build", epoch.ledger, "--epoch", "e1", "--out", epoch.dir, "--asset", "BTC:8",
            "--keys", epoch.keys, "--json").output,
        run("verify", epoch.proof_files()[0], "--root", epoch.root_json, "--pubkey", epoch.pub,
            "--json").output,
        run("audit", epoch.root_json, "--liabilities", epoch.liabilities, "--json").output,
        run("prove", epoch.dir, "--all", "--out", tmp_path / "p", "--keys", epoch.keys).output,
    ]  # fmt: skip
    for text in outputs:
        for s in (master, blinding, secret):
            assert s not in text


def test_interrupted_build_keeps_its_database_and_resumes(
    keys: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from solvency.cli import build_cmd
    from solvency.epoch import builder

    real = builder.build_epoch

    def interrupted(*args: object, **kwargs: object) -> object:
        def progress(phase: str, done: int, total: int) -> None:
            if phase == "proofs" and done > 0:
                raise KeyboardInterrupt

        kwargs["progress"] = progress
        return real(*args, **kwargs)  # type: ignore[arg-type]

    ledger = write_csv(tmp_path / "l.csv", HEADER, GOOD)
    out = tmp_path / "e"
    monkeypatch.setattr(build_cmd, "build_epoch", interrupted)
    result = _build(ledger, out, keys)
    assert result.exit_code == 130  # type: ignore[attr-defined]
    assert "rerun the same command to resume" in result.stderr  # type: ignore[attr-defined]
    assert (out / "private" / "epoch.sqlite").exists()
    assert not (out / "public").exists()
    monkeypatch.setattr(build_cmd, "build_epoch", real)
    assert _build(ledger, out, keys).exit_code == 0  # type: ignore[attr-defined]
    ok("audit", out / "public" / "root.json", "--liabilities", out / "private" / "liabilities.json")
