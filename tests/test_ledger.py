"""Ledger reading (PROTOCOL section 2): exact amounts, round trips, and one test per refusal."""

from __future__ import annotations

import csv
import decimal
import json
from pathlib import Path

import pytest
from conftest import user_ids as allowed_user_ids
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from solvency.crypto.derive import check_user_id
from solvency.errors import MalformedInputError, UnsupportedVersionError
from solvency.files.ledger import (
    MAX_UNITS,
    AssetSpec,
    Ledger,
    LedgerError,
    LedgerRow,
    format_units,
    iter_ledger,
    load_asset_config,
    parse_amount,
    read_ledger,
    write_ledger,
)

BTC = AssetSpec("BTC", 8)
ETH = AssetSpec("ETH", 18)
USD = AssetSpec("USD", 0)
ASSETS = (BTC, ETH, USD)
HEADER = "user_id,BTC,ETH,USD\n"


def _write(tmp_path: Path, text: str | bytes, name: str = "ledger.csv") -> Path:
    p = tmp_path / name
    if isinstance(text, str):
        p.write_text(text, encoding="utf-8", newline="")
    else:
        p.write_bytes(text)
    return p


def _refused(
    tmp_path: Path, body: str | bytes, assets: tuple[AssetSpec, ...] = ASSETS
) -> LedgerError:
    path = _write(tmp_path, body)
    with pytest.raises(LedgerError) as info:
        read_ledger(path, assets)
    return info.value


def _parse_amount_naive(text: str, decimals: int) -> int:
    """Readable twin of parse_amount for well-formed input: exact decimal arithmetic."""
    ctx = decimal.Context(prec=100, traps=[decimal.Inexact, decimal.Rounded])
    scaled = ctx.multiply(decimal.Decimal(text), decimal.Decimal(10) ** decimals)
    if scaled != scaled.to_integral_value():
        raise ValueError("too many decimals")
    return int(scaled)


# --- strategies -------------------------------------------------------------------------------

decimals_st = st.one_of(st.sampled_from((0, 1, 8, 18)), st.integers(0, 18))
units_st = st.one_of(st.sampled_from((0, 1, MAX_UNITS, MAX_UNITS - 1)), st.integers(0, MAX_UNITS))

symbols_st = st.from_regex(r"\A[A-Z0-9][A-Z0-9._-]{0,15}\Z")
assets_st = st.lists(
    st.builds(AssetSpec, symbols_st, decimals_st),
    min_size=1,
    max_size=4,
    unique_by=lambda a: a.symbol,
).map(tuple)


def _valid_id(s: str) -> bool:
    try:
        check_user_id(s)
    except MalformedInputError:
        return False
    return True


user_ids_st = st.one_of(
    st.sampled_from(("alice", "bob@example.com", "ü-Ω-用户", "x" * 256, "€" * 85)),
    allowed_user_ids(1, 60),
).filter(_valid_id)


@st.composite
def ledgers(draw: st.DrawFn) -> tuple[tuple[AssetSpec, ...], list[LedgerRow]]:
    """A valid ledger: distinct ids, per-asset totals below 2^64, edge amounts included."""
    assets = draw(assets_st)
    ids = draw(st.lists(user_ids_st, min_size=1, max_size=8, unique=True))
    # Each user gets at most an equal share of 2^64 - 1, so totals stay in range; the share
    # itself (the largest allowed) is an edge value drawn often.
    share = MAX_UNITS // len(ids)
    amount = st.one_of(st.sampled_from((0, 1, share)), st.integers(0, share))
    rows = [
        LedgerRow(uid, tuple(draw(amount) for _ in assets), row=i + 2) for i, uid in enumerate(ids)
    ]
    return assets, rows


def _loose_amount(units: int, decimals: int, style: int) -> str:
    """Other spellings of the same amount that section 2 accepts (trailing zeros cut, etc.)."""
    canonical = format_units(units, decimals)
    if style == 1 and "." in canonical:
        trimmed = canonical.rstrip("0").rstrip(".")
        return trimmed
    if style == 2:
        return "00" + canonical
    return canonical


# --- round trips --------------------------------------------------------------------------------


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=ledgers(), style=st.integers(0, 2))
def test_csv_round_trip(
    tmp_path: Path, data: tuple[tuple[AssetSpec, ...], list[LedgerRow]], style: int
) -> None:
    assets, rows = data
    path = tmp_path / "rt.csv"
    # Written with the csv module directly (not write_ledger) and in a non-canonical spelling.
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["user_id", *(a.symbol for a in assets)])
        for r in rows:
            w.writerow(
                [
                    r.user_id,
                    *(
                        _loose_amount(u, a.decimals, style)
                        for u, a in zip(r.units, assets, strict=True)
                    ),
                ]
            )
    ledger = read_ledger(path, assets)
    assert ledger.rows == tuple(rows)
    assert ledger.assets == assets
    assert ledger.totals == tuple(sum(r.units[k] for r in rows) for k in range(len(assets)))


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=ledgers())
def test_write_ledger_round_trip(
    tmp_path: Path, data: tuple[tuple[AssetSpec, ...], list[LedgerRow]]
) -> None:
    assets, rows = data
    path = tmp_path / "w.csv"
    write_ledger(path, assets, rows)
    assert list(iter_ledger(path, assets)) == rows


@given(units=units_st, decimals=decimals_st)
@example(units=150_000_000, decimals=8)
@example(units=0, decimals=18)
@example(units=MAX_UNITS, decimals=0)
def test_format_units_and_parse_amount_are_inverse(units: int, decimals: int) -> None:
    text = format_units(units, decimals)
    assert parse_amount(text, decimals) == units
    assert parse_amount(text, decimals) == _parse_amount_naive(text, decimals)
    if decimals:
        assert len(text.split(".")[1]) == decimals
    else:
        assert text == str(units)


@given(
    whole=st.from_regex(r"\A[0-9]{1,12}\Z"),
    fraction=st.one_of(st.just(""), st.from_regex(r"\A[0-9]{1,18}\Z")),
    decimals=decimals_st,
)
def test_parse_amount_matches_naive_twin(whole: str, fraction: str, decimals: int) -> None:
    text = whole + ("." + fraction if fraction else "")
    if len(fraction) > decimals:
        with pytest.raises(MalformedInputError, match="decimals"):
            parse_amount(text, decimals)
        return
    expected = _parse_amount_naive(text, decimals)
    if expected > MAX_UNITS:
        with pytest.raises(MalformedInputError, match="2\\^64"):
            parse_amount(text, decimals)
        return
    units = parse_amount(text, decimals)
    assert units == expected
    assert format_units(units, decimals) == format_units(
        _parse_amount_naive(text, decimals), decimals
    )


def test_format_units_examples() -> None:
    assert format_units(150_000_000, 8) == "1.50000000"
    assert format_units(150_000_000, 0) == "150000000"
    assert format_units(1, 18) == "0." + "0" * 17 + "1"
    assert format_units(0, 2) == "0.00"


@pytest.mark.parametrize("bad", [-1, True, 1.0])
def test_format_units_refuses_non_units(bad: object) -> None:
    with pytest.raises(MalformedInputError):
        format_units(bad, 8)  # type: ignore[arg-type]


def test_parse_amount_refuses_more_than_2_64_units() -> None:
    assert parse_amount(str(MAX_UNITS), 0) == MAX_UNITS
    with pytest.raises(MalformedInputError, match="2\\^64"):
        parse_amount(str(MAX_UNITS + 1), 0)
    with pytest.raises(MalformedInputError, match="2\\^64"):
        parse_amount("1" + "0" * 5000, 0)  # huge: refused before int() is asked to parse it


def test_bom_and_crlf_are_accepted(tmp_path: Path) -> None:
    body = ("\ufeff" + HEADER + "alice,1.5,0.000000000000000001,7\r\nbob,0,0,0\r\n").encode("utf-8")
    ledger = read_ledger(_write(tmp_path, body), ASSETS)
    assert ledger.rows[0] == LedgerRow("alice", (150_000_000, 1, 7), row=2)
    assert ledger.rows[1].row == 3
    assert isinstance(ledger, Ledger)


def test_iter_ledger_streams_rows_before_a_late_error(tmp_path: Path) -> None:
    path = _write(tmp_path, HEADER + "a,1,1,1\nb,2,2,2\nc,x,3,3\n")
    it = iter_ledger(path, ASSETS)
    assert next(it).user_id == "a"
    assert next(it).user_id == "b"
    with pytest.raises(LedgerError) as info:
        next(it)
    assert (info.value.row, info.value.column) == (4, "BTC")


def test_quoted_ids_with_commas_are_data(tmp_path: Path) -> None:
    path = _write(tmp_path, HEADER + '"doe, jane",1,2,3\n')
    assert read_ledger(path, ASSETS).rows[0].user_id == "doe, jane"


def test_largest_total_is_accepted(tmp_path: Path) -> None:
    path = _write(tmp_path, "user_id,USD\na,9223372036854775808\nb,9223372036854775807\n")
    assert read_ledger(path, (USD,)).totals == (MAX_UNITS,)


def test_longest_user_id_is_accepted(tmp_path: Path) -> None:
    uid = "€" * 85 + "a"  # 256 UTF-8 bytes
    path = _write(tmp_path, f"user_id,USD\n{uid},1\n")
    assert read_ledger(path, (USD,)).rows[0].user_id == uid


# --- refusals: amounts --------------------------------------------------------------------------


def test_too_many_decimals(tmp_path: Path) -> None:
    e = _refused(tmp_path, HEADER + "a,1,1,1\nb,1,2,3\nc,1.123456789,0,0\n")
    assert (e.row, e.column) == (4, "BTC")
    assert str(e).endswith("ledger.csv row 4, column BTC: 1.123456789 has 9 decimals, BTC allows 8")


def test_fraction_on_zero_decimal_asset(tmp_path: Path) -> None:
    e = _refused(tmp_path, HEADER + "a,1,1,1.0\n")
    assert (e.row, e.column) == (2, "USD")
    assert "has 1 decimals, USD allows 0" in str(e)


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        ("-1", "negative"),
        ("-0.5", "negative"),
        ("1e5", "exponent"),
        ("1.5E-3", "exponent"),
        ("", "empty"),
        (" 1", "whitespace"),
        ("1 ", "whitespace"),
        ("+1", "sign"),
        ("abc", "not a decimal number"),
        ("1,5", "not a decimal number"),
        ("0x10", "not a decimal number"),
        ("1.", "not a decimal number"),
        (".5", "not a decimal number"),
        ("NaN", "not a decimal number"),
        ("inf", "not a decimal number"),
        ("١٢", "not a decimal number"),  # Arabic-Indic digits: int() would take them
        ("1_000", "not a decimal number"),
        ("18446744073709551616", "2^64"),
    ],
)
def test_malformed_amount(tmp_path: Path, amount: str, words: str) -> None:
    e = _refused(tmp_path, HEADER + f'a,0,0,0\nb,0,"{amount}",0\n')
    assert (e.row, e.column) == (3, "ETH")
    assert "row 3, column ETH" in str(e)
    assert words in str(e)


def test_total_reaching_2_64(tmp_path: Path) -> None:
    e = _refused(
        tmp_path,
        "user_id,BTC,USD\na,0,9223372036854775808\nb,0,1\nc,0,9223372036854775807\n",
        (BTC, USD),
    )
    assert (e.row, e.column) == (4, "USD")
    assert "USD total" in str(e)
    # No balance of any user appears in the message.
    assert "9223372036854775807" not in str(e) and "9223372036854775808" not in str(e)


# --- refusals: user ids -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("uid", "words"),
    [
        ("", "empty"),
        (" alice", "whitespace"),
        ("alice\t", "control character U+0009"),
        ("\u00a0alice", "space character U+00A0"),
        ("al\x07ice", "control character U+0007"),
        ("al\x7fice", "control character U+007F"),
        ("al\u2028ice", "line separator"),
        ("€" * 86, "258 UTF-8 bytes"),
    ],
)
def test_bad_user_id(tmp_path: Path, uid: str, words: str) -> None:
    e = _refused(tmp_path, HEADER + f'a,0,0,0\n"{uid}",1,1,1\n')
    assert (e.row, e.column) == (3, "user_id")
    assert "row 3, column user_id" in str(e)
    assert words in str(e)


def test_duplicate_user_id_names_earlier_row(tmp_path: Path) -> None:
    e = _refused(tmp_path, HEADER + "a,0,0,0\nb,0,0,0\nc,0,0,0\nb,1,1,1\n")
    assert (e.row, e.column) == (5, "user_id")
    assert "duplicate user id 'b' (first seen in row 3)" in str(e)


def test_ids_differing_only_in_case_are_distinct(tmp_path: Path) -> None:
    path = _write(tmp_path, HEADER + "Bob,0,0,0\nbob,0,0,0\n")
    assert [r.user_id for r in read_ledger(path, ASSETS).rows] == ["Bob", "bob"]


# --- refusals: structure ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "words"),
    [("a,1,2", "3 fields, expected 4"), ("a,1,2,3,4", "5 fields, expected 4"), ("", "empty line")],
)
def test_wrong_number_of_fields(tmp_path: Path, line: str, words: str) -> None:
    e = _refused(tmp_path, HEADER + f"x,0,0,0\n{line}\ny,0,0,0\n")
    assert (e.row, e.column) == (3, None)
    assert "row 3" in str(e) and words in str(e)


@pytest.mark.parametrize(
    ("header", "column", "words"),
    [
        ("user_id,ETH,BTC,USD", "BTC", "header says 'ETH', expected 'BTC'"),
        ("user_id,BTC,ETH,usd", "USD", "header says 'usd', expected 'USD'"),
        ("user,BTC,ETH,USD", "user_id", "expected 'user_id'"),
        ("user_id,BTC,ETH", None, "3 columns, expected 4"),
        ("user_id,BTC,ETH,USD,DOGE", None, "5 columns, expected 4"),
    ],
)
def test_header_mismatch(tmp_path: Path, header: str, column: str | None, words: str) -> None:
    e = _refused(tmp_path, header + "\na,0,0,0\n")
    assert (e.row, e.column) == (1, column)
    assert words in str(e)
    assert "user_id,BTC,ETH,USD" in str(e)  # the expected header is spelled out


def test_empty_file_and_header_only_are_refused(tmp_path: Path) -> None:
    e = _refused(tmp_path, "")
    assert "empty" in str(e)
    e = _refused(tmp_path, HEADER)
    assert "no user rows" in str(e)


def test_not_utf8_names_the_row(tmp_path: Path) -> None:
    body = HEADER.encode() + b"a,0,0,0\nb,0,0,0\n\xffc,0,0,0\n"
    e = _refused(tmp_path, body)
    assert e.row == 4
    assert "row 4" in str(e) and "not UTF-8" in str(e)


def test_latin1_file_is_refused(tmp_path: Path) -> None:
    e = _refused(tmp_path, (HEADER + "jos\u00e9,0,0,0\n").encode("latin-1"))
    assert e.row == 2


def test_bad_csv_quoting_names_the_row(tmp_path: Path) -> None:
    e = _refused(tmp_path, HEADER + 'a,0,0,0\n"b"x,0,0,0\n')
    assert e.row == 3 and "bad CSV" in str(e)


def test_asset_list_must_be_distinct_and_non_empty(tmp_path: Path) -> None:
    path = _write(tmp_path, "user_id,BTC,BTC\na,0,0\n")
    with pytest.raises(MalformedInputError, match="appears twice"):
        read_ledger(path, (BTC, AssetSpec("BTC", 2)))
    with pytest.raises(MalformedInputError, match="at least one"):
        read_ledger(path, ())


# --- AssetSpec and the asset config -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("BTC:8", AssetSpec("BTC", 8)),
        ("USDT.E:6", AssetSpec("USDT.E", 6)),
        ("1INCH:0", AssetSpec("1INCH", 0)),
        ("X:18", AssetSpec("X", 18)),
    ],
)
def test_asset_spec_parse(text: str, expected: AssetSpec) -> None:
    assert AssetSpec.parse(text) == expected


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("BTC", "missing ':'"),
        ("btc:8", "asset symbol 'btc'"),
        ("BTC:19", "0..18"),
        ("BTC:-1", "not an integer"),
        ("BTC:x", "not an integer"),
        ("BTC:", "not an integer"),
        (":8", "asset symbol ''"),
        ("ABCDEFGHIJKLMNOPQ:8", "1-16 characters"),
        ("-BTC:8", "starting with a letter or digit"),
        ("BTC :8", "asset symbol"),
    ],
)
def test_asset_spec_parse_refuses(text: str, words: str) -> None:
    with pytest.raises(MalformedInputError) as info:
        AssetSpec.parse(text)
    assert words in str(info.value)


def test_asset_spec_constructor_checks() -> None:
    with pytest.raises(MalformedInputError):
        AssetSpec("BTC", True)
    with pytest.raises(MalformedInputError):
        AssetSpec("BTC", 19)


def _config(tmp_path: Path, doc: object | str) -> Path:
    p = tmp_path / "assets.json"
    p.write_text(doc if isinstance(doc, str) else json.dumps(doc), encoding="utf-8")
    return p


def test_load_asset_config(tmp_path: Path) -> None:
    doc = {"format": "solvency-assets", "version": 1, "assets": [a.to_json() for a in ASSETS]}
    assert load_asset_config(_config(tmp_path, doc)) == ASSETS


@pytest.mark.parametrize(
    ("doc", "words"),
    [
        ({"format": "other", "version": 1, "assets": []}, "format"),
        ({"format": "solvency-assets", "version": 1}, "missing key 'assets'"),
        ({"format": "solvency-assets", "version": 1, "assets": [], "x": 1}, "unknown key 'x'"),
        ({"format": "solvency-assets", "version": 1, "assets": []}, "at least one"),
        (
            {"format": "solvency-assets", "version": True, "assets": []},
            "version must be an integer",
        ),
        (
            {
                "format": "solvency-assets",
                "version": 1,
                "assets": [{"symbol": "BTC", "decimals": True}],
            },
            "assets[0].decimals",
        ),
        (
            {
                "format": "solvency-assets",
                "version": 1,
                "assets": [{"symbol": "BTC", "decimals": 8, "x": 0}],
            },
            "assets[0]: unknown key 'x'",
        ),
        (
            {
                "format": "solvency-assets",
                "version": 1,
                "assets": [{"symbol": "BTC", "decimals": 8}] * 2,
            },
            "appears twice",
        ),
        ('{"format": "solvency-assets", "format": "solvency-assets"}', "duplicate key"),
        ("[", "not valid JSON"),
    ],
)
def test_load_asset_config_refuses(tmp_path: Path, doc: object, words: str) -> None:
    with pytest.raises(MalformedInputError) as info:
        load_asset_config(_config(tmp_path, doc))
    assert words in str(info.value)
    assert "assets.json" in str(info.value)


def test_load_asset_config_unsupported_version(tmp_path: Path) -> None:
    doc = {"format": "solvency-assets", "version": 2, "assets": []}
    with pytest.raises(UnsupportedVersionError):
        load_asset_config(_config(tmp_path, doc))
