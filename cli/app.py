"""The click command group; each command lives in a module of its own, loaded when it runs.

``solvency --version`` and ``solvency --help`` load no command module (and so none of the
group, proof, store or schema code): the list below carries each command's one-line help.
benchmarks/bench_startup.py measures the start-up; tests/test_cli_app.py checks the lines
below against the commands' own help.
"""

from __future__ import annotations

import gc
import importlib

import click

from solvency import __version__

from .reporting import ReportingGroup

#: name -> (module, attribute, one-line help), in the order ``--help`` lists them.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "init": (
        "init_cmd",
        "init",
        "Create master.key (0600), signing.key (0600) and signing.pub in DIR.",
    ),
    "build": ("build_cmd", "build", "Build epoch EPOCH from LEDGER.csv and write the signed root."),
    "prove": (
        "prove_cmd",
        "prove",
        "Write inclusion proofs of the epoch in EPOCH_DIR (needs the master key).",
    ),
    "verify": (
        "verify_cmd",
        "verify",
        "Check that PROOF_FILE's balances are included in the signed root.",
    ),
    "audit": (
        "audit_cmd",
        "audit",
        "Check the liabilities opening of ROOT_FILE, and with --tree every node.",
    ),
    "export-tree": (
        "export_cmd",
        "export_tree_cmd",
        "Write the auditor's copy of the tree of EPOCH_DIR to --out.",
    ),
    "demo": (
        "demo",
        "demo",
        "Run the whole flow (exchange, users, auditor, tampering) with timings.",
    ),
    "reserves": (
        "reserves_cmd",
        "reserves_group",
        "Proof of reserves: address ownership and a proof that reserves cover liabilities.",
    ),
    "log": (
        "log_cmd",
        "log_group",
        "The append-only log of epochs: signed checkpoints, inclusion and consistency proofs.",
    ),
    "web-verifier": (
        "web_cmd",
        "web_verifier",
        "Write the browser verifier page (checks proofs offline) and print its SHA-256.",
    ),
}


class LazyGroup(ReportingGroup):
    """Imports a command's module only when that command is looked up to run."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        spec = COMMANDS.get(cmd_name)
        if spec is None:
            return None
        module = importlib.import_module(f"{__package__}.{spec[0]}")
        if not gc.isenabled():
            # main() paused the collector for the start-up, which ends here: what the imports
            # built stays (gc.freeze: not scanned again), the command runs collected as usual.
            gc.freeze()
            gc.enable()
        command: click.Command = getattr(module, spec[1])
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, spec[2]) for name, spec in COMMANDS.items()])


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    # Imported here, only for this line: the group backend loads its library on import.
    from solvency.crypto import group, keccak

    click.echo(
        f"solvency {__version__} (group backend: {group.BACKEND}, Keccak: {keccak.IMPLEMENTATION})"
    )
    ctx.exit()


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_print_version,
    help="Show the version, the group backend and the Keccak in use, and exit.",
)
def cli() -> None:
    """Zero-knowledge proofs of solvency: commit, prove and verify exchange liabilities.

    \b
    Exchange:  solvency init; solvency build LEDGER.csv ...; solvency prove DIR --all ...
    User:      solvency verify PROOF.json --root root.json --pubkey signing.pub --user ID
    Auditor:   solvency audit root.json --liabilities FILE --tree TREE --pubkey signing.pub
    Log:       solvency log append LOG_DIR EPOCH_DIR --keys KEYS; solvency log verify CHECKPOINT
    Reserves:  solvency reserves verify RESERVES.csv --root root.json --pubkey signing.pub;
               solvency reserves prove EPOCH_DIR --reserves RESERVES.csv --keys KEYS --out FILE

    With --json every command prints one JSON object on stdout, also for errors. Exit codes:
    0 ok or verified, 1 verification failed, 2 bad input or usage, 130 interrupted.
    """
