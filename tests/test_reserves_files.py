"""The reserves file, its JSON form and schema, the ownership message and the balance snapshot
(docs/PROTOCOL.md 11.1-11.2): round trips and strict refusals naming row and column."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reserves_support import btc_row, custodial_row, eth_row, multisig_row, numbered

from solvency.errors import MalformedInputError, UnsupportedVersionError
from solvency.files import formats
from solvency.files.reserves import (
    ReservesFile,
    ReservesFileError,
    ownership_message,
    parse_ownership_message,
    read_snapshot,
)

ROOT = hashlib.sha256(b"root").digest()
MESSAGE = ownership_message("Test Exchange", "2026-01", ROOT)


def _file() -> ReservesFile:
    return ReservesFile(
        numbered(
            [
                btc_row(MESSAGE, "p2pkh"),
                multisig_row(MESSAGE, 2, 3, 2, "p2sh"),
                eth_row(MESSAGE),
                eth_row(MESSAGE, "USDT"),
                custodial_row(),
            ]
        )
    )


def test_message_format_and_round_trip() -> None:
    assert MESSAGE == (
        "solvency proof of reserves v1\nexchange: Test Exchange\nepoch: 2026-01\n"
        f"root: {ROOT.hex()}"
    )
    st_ = parse_ownership_message(MESSAGE)
    assert (st_.exchange, st_.epoch, st_.root_hash) == ("Test Exchange", "2026-01", ROOT)


@pytest.mark.parametrize(
    "bad",
    [
        MESSAGE + "\n",
        MESSAGE.replace("root: ", "root:  "),
        MESSAGE.replace(ROOT.hex(), ROOT.hex().upper()),
        MESSAGE.replace("v1", "v2"),
        MESSAGE.replace("Test Exchange", " Test Exchange"),
        MESSAGE.replace("Test Exchange", "Test\tExchange"),
        MESSAGE.replace("2026-01", "2026/01"),
    ],
)
def test_message_refusals(bad: str) -> None:
    with pytest.raises(MalformedInputError, match=r"message|exchange"):
        parse_ownership_message(bad)


def test_csv_and_json_round_trips_and_schema() -> None:
    f = _file()
    data = f.dumps_csv()
    assert data.startswith(b"# solvency-reserves v1\nasset,chain,address,balance,height,")
    back = ReservesFile.loads_csv(data)
    assert [r.to_json() for r in back.rows] == [r.to_json() for r in f.rows]
    assert [r.line for r in back.rows] == [3, 7, 11, 15, 19]
    doc = f.to_json()
    formats.check_shape(doc, "reserves-v1.json")
    again = ReservesFile.from_json(json.loads(json.dumps(doc)))
    assert again.to_json() == doc
    assert formats.load_schema("solvency-reserves")["title"].startswith("solvency reserves file")


def _csv_lines() -> list[str]:
    return _file().dumps_csv().decode().split("\n")


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (lambda t: t.replace("# solvency-reserves v1", "# solvency-reserves"), "line 1: expected"),
        (lambda t: t.replace("asset,chain", "asset,network"), "line 2: header must be exactly"),
        (lambda t: t.replace(",1.5,", ",1.5e3,", 1), r"row 1 \(line 3\), column balance"),
        (lambda t: t.replace(",1.5,", ",-1.5,", 1), r"row 1 \(line 3\), column balance"),
        (lambda t: t.replace(",900000,", ",0900000,", 1), r"row 1 \(line 3\), column height"),
        (lambda t: t.replace(",bip137,", ",BIP137,", 1), r"row 1 \(line 3\), column scheme"),
        (lambda t: t.replace("BTC,bitcoin", "btc,bitcoin", 1), r"row 1 \(line 3\), column asset"),
        (lambda t: t.replace("BTC,bitcoin,", "BTC,bitcoin, ", 1), "column address"),
        (lambda t: t + "BTC,bitcoin\n", r"row 6 \(line 20\): 2 fields, expected 10"),
        (lambda t: t.replace("\n", "\r\n"), "carriage returns"),
        (lambda t: "\ufeff" + t, "byte-order mark"),
        (lambda t: "\n".join(t.split("\n")[:2]) + "\n", "no rows"),
    ],
)
def test_csv_refusals_name_row_and_column(edit: object, match: str) -> None:
    text = _file().dumps_csv().decode()
    bad = edit(text)  # type: ignore[operator]
    with pytest.raises(MalformedInputError, match=match):
        ReservesFile.loads_csv(bad.encode(), "reserves.csv")


def test_empty_signature_piece_and_version_two_refused() -> None:
    f = _file()
    text = f.dumps_csv().decode()
    sig = f.rows[1].signatures[0]
    with pytest.raises(ReservesFileError, match="column signatures: empty"):
        ReservesFile.loads_csv(text.replace(sig + ";", sig + ";;").encode())
    with pytest.raises(UnsupportedVersionError, match="version 2 is not supported"):
        ReservesFile.loads_csv(text.replace("reserves v1", "reserves v2", 1).encode())
    with pytest.raises(UnsupportedVersionError, match="version 2 is not supported"):
        ReservesFile.from_json({**_file().to_json(), "version": 2})
    # "v01" is not read as version 1; a version of 5000 digits is refused, not a crash of int().
    with pytest.raises(ReservesFileError, match="line 1: expected '# solvency-reserves v1'"):
        ReservesFile.loads_csv(text.replace("reserves v1", "reserves v01", 1).encode())
    with pytest.raises(UnsupportedVersionError, match=r"version 9{5000} is not supported"):
        ReservesFile.loads_csv(text.replace("reserves v1", "reserves v" + "9" * 5000, 1).encode())
    with pytest.raises(MalformedInputError, match="not UTF-8"):
        ReservesFile.loads_csv(text.encode() + b"\xff")


def test_balance_units_follow_the_asset_decimals() -> None:
    row = replace(btc_row(MESSAGE, balance="1.123456789"), row=2)
    with pytest.raises(
        ReservesFileError, match=r"row 2, column balance: .*9 decimals, BTC allows 8"
    ):
        row.units(8)
    assert replace(row, balance="0.00000001").units(8) == 1


@settings(max_examples=30, deadline=None)
@given(
    balance=st.decimals(min_value=0, max_value=10**10, places=8, allow_nan=False).map(
        lambda d: f"{d:f}"
    ),
    exchange=st.text(
        st.characters(
            min_codepoint=33,
            max_codepoint=0x2FF,
            exclude_categories=("Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp"),
        ),
        min_size=1,
        max_size=64,
    ),
)
def test_round_trip_any_balance_and_exchange(balance: str, exchange: str) -> None:
    message = ownership_message(exchange, "e1", ROOT)
    f = ReservesFile(numbered([replace(btc_row(message), balance=balance, signatures=("AAAA",))]))
    back = ReservesFile.loads_csv(f.dumps_csv())
    assert back.rows[0].balance == balance
    assert parse_ownership_message(back.rows[0].message).exchange == exchange


def test_snapshot_parse_and_refusals() -> None:
    ok = b"asset,chain,address,balance,height\nBTC,bitcoin,1abc,1.5,900000\n"
    (row,) = read_snapshot(ok)
    assert (row.asset, row.address, row.balance, row.height, row.row, row.line) == (
        "BTC",
        "1abc",
        "1.5",
        900000,
        1,
        2,
    )
    with pytest.raises(ReservesFileError, match=r"row 2 \(line 3\): BTC at 1abc .* also in row 1"):
        read_snapshot(ok + b"BTC,bitcoin,1abc,2,900000\n")
    with pytest.raises(ReservesFileError, match=r"row 1 \(line 2\), column balance"):
        read_snapshot(ok.replace(b"1.5", b"1.5.0"))
    with pytest.raises(ReservesFileError, match="header must be exactly"):
        read_snapshot(b"address,balance\n")
