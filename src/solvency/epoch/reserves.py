"""Proof of reserves for one epoch: the reserves file checked against the signed root, the
balance snapshot cross-check, and the solvency proof made and checked (docs/PROTOCOL.md 11).

``verify_reserves`` checks, stopping at the first failure (VerificationError naming the row):

1. every row's asset is an asset of the root (else bad input, naming the row);
2. no (asset, chain, address) appears twice (EVM addresses compared case-blind);
3. the rows of one chain share one snapshot (height and block hash);
4. every key-proven row's message is the ownership message of this exchange, epoch and
   root (section 11.1), and its signatures prove the address (``circuits.ownership``);
5. with a snapshot: every key-proven row has the snapshot's balance at the same height.

It returns per asset the key-proven total ``R_a`` and, apart, the custodial total.

``make_reserves_proof`` and ``verify_reserves_proof`` run ``circuits.coverage`` per asset on
``C_a`` from ``liability_commitments`` (the one place where a margin root's
``net_liability_commitment(E_a, F_a)`` plugs in) and bind the file to the epoch, the root hash,
the exchange and the reserves file's SHA-256.
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from dataclasses import dataclass

from solvency.circuits.collateral import net_liability_commitment, net_liability_opening
from solvency.circuits.coverage import CoverStatement, NotCoveredError, prove_cover, verify_cover
from solvency.circuits.ownership import (
    BITCOIN_CHAINS,
    CUSTODIAL,
    Ownership,
    address_key,
    check_ownership,
)
from solvency.crypto.group import Rng
from solvency.errors import MalformedInputError, VerificationError
from solvency.files import formats
from solvency.files.ledger import MAX_UNITS, AssetSpec, format_units, parse_amount
from solvency.files.reserves import (
    ReserveRow,
    ReservesFile,
    ReservesFileError,
    SnapshotRow,
    ownership_message,
    parse_ownership_message,
)
from solvency.files.reserves_proof import (
    LIABILITIES_NET,
    LIABILITIES_ROOT,
    AssetCover,
    ReservesProofFile,
)


@dataclass(frozen=True)
class AssetReserves:
    """One asset's totals: key-proven ``R_a`` and custodial (never part of ``R_a``)."""

    asset: AssetSpec
    proven_units: int
    custodial_units: int
    proven_rows: int
    custodial_rows: int

    def to_json(self) -> dict[str, object]:
        d = self.asset.decimals
        return {
            "symbol": self.asset.symbol,
            "proven": format_units(self.proven_units, d),
            "proven_units": str(self.proven_units),
            "custodial": format_units(self.custodial_units, d),
            "custodial_units": str(self.custodial_units),
            "proven_rows": self.proven_rows,
            "custodial_rows": self.custodial_rows,
        }


@dataclass(frozen=True)
class RowOutcome:
    row: ReserveRow
    ownership: Ownership
    units: int


@dataclass(frozen=True)
class ReservesReport:
    """What ``verify_reserves`` established."""

    exchange: str | None
    epoch: str
    root_hash: bytes
    assets: tuple[AssetReserves, ...]
    rows: tuple[RowOutcome, ...]
    #: With a snapshot: how many rows were compared, and snapshot rows the file does not list.
    snapshot_checked: int | None = None
    snapshot_extra: int | None = None


def _asset_map(root: formats.RootFile) -> dict[str, AssetSpec]:
    return {a.symbol: a for a in root.assets}


def verify_reserves(
    reserves: ReservesFile,
    root: formats.RootFile,
    snapshot: Sequence[SnapshotRow] | None = None,
) -> ReservesReport:
    """Check a reserves file against the (already signature-checked) root; see the module."""
    assets = _asset_map(root)
    units: list[int] = []
    for r in reserves.rows:
        if r.asset not in assets:
            raise ReservesFileError(
                f"{r.where}, column asset: {r.asset!r} is not an asset of epoch {root.epoch}'s root"
            )
        units.append(r.units(assets[r.asset].decimals))
    _check_unique(reserves.rows)
    _check_snapshots(reserves.rows)
    exchange = _exchange(reserves.rows)
    expected = (
        ownership_message(exchange, root.epoch, root.root.hash) if exchange is not None else ""
    )
    outcomes = tuple(
        RowOutcome(r, check_ownership(r, expected), u)
        for r, u in zip(reserves.rows, units, strict=True)
    )
    totals = []
    for a in root.assets:
        mine = [o for o in outcomes if o.row.asset == a.symbol]
        proven = [o.units for o in mine if o.ownership.key_proven]
        custodial = [o.units for o in mine if not o.ownership.key_proven]
        if sum(proven) > MAX_UNITS or sum(custodial) > MAX_UNITS:
            raise MalformedInputError(f"reserves of {a.symbol}: the total exceeds 2^64 - 1 units")
        totals.append(AssetReserves(a, sum(proven), sum(custodial), len(proven), len(custodial)))
    checked = extra = None
    if snapshot is not None:
        checked, extra = _check_against_snapshot(outcomes, snapshot, assets)
    return ReservesReport(
        exchange, root.epoch, root.root.hash, tuple(totals), outcomes, checked, extra
    )


def _check_unique(rows: Sequence[ReserveRow]) -> None:
    """No address counted twice: per (asset, chain, address); and on a Bitcoin chain, where an
    address holds one coin, per (chain, address) whatever the asset column says."""
    seen: dict[tuple[str, str, str], ReserveRow] = {}
    for r in rows:
        asset = "" if r.chain in BITCOIN_CHAINS and r.scheme != CUSTODIAL else r.asset
        key = (asset, r.chain, address_key(r.chain, r.address))
        if key in seen:
            raise VerificationError(
                f"{r.where}: duplicate address: {r.address} on {r.chain} is already in "
                f"{seen[key].where} as {seen[key].asset} (it would be counted twice)"
            )
        seen[key] = r


def _check_snapshots(rows: Sequence[ReserveRow]) -> None:
    first: dict[str, ReserveRow] = {}
    for r in rows:
        if r.scheme == CUSTODIAL:
            continue
        f = first.setdefault(r.chain, r)
        if (r.height, r.block_hash) != (f.height, f.block_hash):
            raise VerificationError(
                f"{r.where}: snapshot of {r.chain} at height {r.height}, but {f.where} is at "
                f"height {f.height} (one snapshot per chain)"
            )


def _exchange(rows: Sequence[ReserveRow]) -> str | None:
    """The exchange named by the first key-proven row's message (every row must match it)."""
    for r in rows:
        if r.scheme != CUSTODIAL:
            try:
                return parse_ownership_message(r.message).exchange
            except MalformedInputError:
                raise VerificationError(
                    f"{r.where}: the signed message is not the ownership message"
                ) from None
    return None


def _check_against_snapshot(
    outcomes: Sequence[RowOutcome], snapshot: Sequence[SnapshotRow], assets: dict[str, AssetSpec]
) -> tuple[int, int]:
    index = {(s.asset, s.chain, address_key(s.chain, s.address)): s for s in snapshot}
    used = set()
    checked = 0
    for o in outcomes:
        r = o.row
        if not o.ownership.key_proven:
            continue
        key = (r.asset, r.chain, address_key(r.chain, r.address))
        s = index.get(key)
        if s is None:
            raise VerificationError(
                f"{r.where}: {r.address} ({r.asset}) is not in the balances file"
            )
        used.add(key)
        if s.height != r.height:
            raise VerificationError(
                f"{r.where}: snapshot height {r.height}, the balances file row {s.row} is at "
                f"height {s.height}"
            )
        decimals = assets[r.asset].decimals
        try:
            theirs = parse_amount(s.balance, decimals, s.asset)
        except MalformedInputError as e:
            raise MalformedInputError(f"balances file, row {s.row}, column balance: {e}") from None
        if theirs != o.units:
            raise VerificationError(
                f"{r.where}: balance {r.balance} {r.asset} at {r.address}, the balances file "
                f"(row {s.row}) says {format_units(theirs, decimals)} at height {s.height}"
            )
        checked += 1
    return checked, len(index) - len(used)


# --- the solvency proof -----------------------------------------------------------------------


def liability_commitments(root: formats.RootFile) -> tuple[str, tuple[bytes, ...]]:
    """How ``C_a`` is taken from the root, and ``C_a`` per asset (PROTOCOL 11.6).

    A root with one commitment per asset (version 1) commits to liabilities: ``C_a`` is that
    commitment (``root-commitment``). A margin root (section 10) has ``2a``: total equity
    ``E_a(root)`` for each asset, then total debt ``F_a(root)``; ``C_a = E_a(root) -
    F_a(root)`` commits to the net liability, equity minus debt (``equity-minus-debt``).
    """
    return net_commitments(root.root.commitments, len(root.assets))


def net_commitments(commitments: Sequence[bytes], a: int) -> tuple[str, tuple[bytes, ...]]:
    """``liability_commitments`` on the root's commitments (``a`` or ``2a`` of them)."""
    if len(commitments) == a:
        return LIABILITIES_ROOT, tuple(commitments)
    if len(commitments) == 2 * a:
        # N_a = E_a(root) - F_a(root)
        return LIABILITIES_NET, tuple(
            net_liability_commitment(commitments[k], commitments[a + k]) for k in range(a)
        )
    raise MalformedInputError(f"the root has {len(commitments)} commitments for {a} assets")


def net_openings(totals: Sequence[tuple[int, int]], a: int) -> list[tuple[int, int]]:
    """The openings ``(L_a, r_a)`` of ``liability_commitments``' ``C_a``, from the root's
    opening (``liabilities.json``: ``(units, blinding)`` per commitment, ``a`` or ``2a``)."""
    if len(totals) == a:
        return list(totals)
    if len(totals) == 2 * a:
        # N_a opens to (E_a - D_a, R_a - S_a)
        return [
            net_liability_opening(totals[k][0], totals[a + k][0], totals[k][1], totals[a + k][1])
            for k in range(a)
        ]
    raise MalformedInputError(f"the opening has {len(totals)} totals for {a} assets")


def liability_openings(liabilities: formats.LiabilitiesFile) -> list[tuple[int, int]]:
    return net_openings(
        [(t.units, t.blinding) for t in liabilities.totals], len(liabilities.assets)
    )


def _statements(
    root: formats.RootFile, report: ReservesReport, ratio: int
) -> tuple[str, list[CoverStatement]]:
    how, C = liability_commitments(root)
    return how, [
        CoverStatement(
            epoch=root.epoch,
            root_hash=root.root.hash,
            asset_index=k,
            symbol=a.asset.symbol,
            reserves=a.proven_units,
            ratio_percent=ratio,
            C_a=C[k],
        )
        for k, a in enumerate(report.assets)
    ]


def make_reserves_proof(
    root: formats.RootFile,
    liabilities: formats.LiabilitiesFile,
    report: ReservesReport,
    reserves_sha256: bytes,
    ratio_percent: int,
    tool: str,
    created: str | None = None,
    rng: Rng | None = None,
) -> ReservesProofFile:
    """The exchange's solvency proof. NotCoveredError, naming every asset that reserves do not
    cover at the ratio, before any proof is made (the caller writes nothing then)."""
    if liabilities.epoch != root.epoch or not hmac.compare_digest(
        liabilities.root_hash, root.root.hash
    ):
        raise MalformedInputError("liabilities.json is not the opening of this epoch's root")
    if liabilities.assets != root.assets:
        raise MalformedInputError("liabilities.json lists other assets than the root")
    if report.exchange is None:
        raise MalformedInputError("the reserves file has no key-proven row: nothing to prove")
    how, statements = _statements(root, report, ratio_percent)
    openings = liability_openings(liabilities)
    short = [
        s.symbol
        for s, (L, _) in zip(statements, openings, strict=True)
        if 100 * s.reserves < ratio_percent * L
    ]
    if short:
        raise NotCoveredError(
            f"reserves do not cover {ratio_percent}% of the liabilities of {', '.join(short)}: "
            "no solvency proof can be made"
        )
    covers = []
    for s, (L, r), a in zip(statements, openings, report.assets, strict=True):
        C_hi, proof = prove_cover(s, L, r, rng)
        covers.append(AssetCover(s.symbol, a.proven_units, a.custodial_units, C_hi, proof))
    return ReservesProofFile(
        epoch=root.epoch,
        root_hash=root.root.hash,
        exchange=report.exchange,
        created=created or formats.rfc3339_utc(),
        tool=tool,
        min_ratio_percent=ratio_percent,
        reserves_sha256=reserves_sha256,
        assets=tuple(covers),
        liabilities=how,
    )


def verify_reserves_proof(
    proof: ReservesProofFile,
    root: formats.RootFile,
    report: ReservesReport,
    reserves_sha256: bytes,
) -> None:
    """Check solvency.json against the signed root and the checked reserves file."""
    if proof.epoch != root.epoch:
        raise VerificationError(
            f"the solvency proof is for epoch {proof.epoch}, the root is for epoch {root.epoch}"
        )
    if not hmac.compare_digest(proof.root_hash, root.root.hash):
        raise VerificationError("the solvency proof is for another root of this epoch")
    if not hmac.compare_digest(proof.reserves_sha256, reserves_sha256):
        raise VerificationError("the solvency proof was made for another reserves file")
    if proof.exchange != report.exchange:
        raise VerificationError(
            f"the solvency proof names exchange {proof.exchange!r}, the reserves file "
            f"{report.exchange!r}"
        )
    how, statements = _statements(root, report, proof.min_ratio_percent)
    if proof.liabilities != how:
        raise VerificationError(f"the solvency proof takes liabilities as {proof.liabilities!r}")
    if [a.symbol for a in proof.assets] != [s.symbol for s in statements]:
        raise VerificationError("the solvency proof lists other assets than the root")
    for s, cover, a in zip(statements, proof.assets, report.assets, strict=True):
        if cover.reserves_units != a.proven_units:
            raise VerificationError(
                f"{s.symbol}: the solvency proof claims {cover.reserves_units} units of "
                f"key-proven reserves, the reserves file proves {a.proven_units}"
            )
        if cover.custodial_units != a.custodial_units:
            raise VerificationError(f"{s.symbol}: the custodial total differs from the file's")
        verify_cover(s, cover.C_hi, cover.proof)


def reserve_ratios(report: ReservesReport, totals: Sequence[int]) -> list[dict[str, object]]:
    """Per asset, for the auditor who holds the opening (liability totals ``L_a`` in units):
    R_a / L_a in percent, 2 decimals rounded down (never shown higher than it is); None when
    L_a is 0."""
    out: list[dict[str, object]] = []
    for a, L in zip(report.assets, totals, strict=True):
        pct = None
        if L:
            hundredths = 10_000 * a.proven_units // L
            pct = f"{hundredths // 100}.{hundredths % 100:02d}"
        out.append(
            {
                "symbol": a.asset.symbol,
                "reserves": format_units(a.proven_units, a.asset.decimals),
                "liabilities": format_units(L, a.asset.decimals),
                "ratio_percent": pct,
            }
        )
    return out


__all__ = [
    "AssetReserves",
    "NotCoveredError",
    "ReservesReport",
    "liability_commitments",
    "liability_openings",
    "make_reserves_proof",
    "net_commitments",
    "net_openings",
    "reserve_ratios",
    "verify_reserves",
    "verify_reserves_proof",
]
