"""The browser verifier as shipped: ``solvency web-verifier``, the page's self-containment, and
that a rebuild from web/ reproduces the committed page byte for byte (when node is present).

The JavaScript verifier's own tests (dalek vectors, golden epoch, fresh proofs, every tamper
class, the headless-chromium run) are run by ``make web-test`` (part of ``make test``).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from cli_support import ok

from solvency.cli.web_cmd import PAGE_NAME, page_bytes

ROOT = Path(__file__).resolve().parents[1]
WEB = ROOT / "web"


def test_web_verifier_writes_the_packaged_page_and_its_sha256(tmp_path: Path) -> None:
    data = page_bytes()
    digest = hashlib.sha256(data).hexdigest()
    result = ok("web-verifier", "--out", tmp_path / "site")
    written = tmp_path / "site" / PAGE_NAME
    assert written.read_bytes() == data
    assert written.stat().st_mode & 0o777 == 0o644
    assert result.stdout.splitlines()[-1] == f"sha256 {digest}"
    doc = json.loads(ok("web-verifier", "--out", tmp_path / "again", "--json").stdout)
    assert doc == {
        "format": "solvency/web-verifier-result",
        "version": 1,
        "status": "ok",
        "error": None,
        "warnings": [],
        "path": str(tmp_path / "again" / PAGE_NAME),
        "bytes": len(data),
        "sha256": digest,
    }


def test_readme_states_the_released_pages_sha256() -> None:
    digest = hashlib.sha256(page_bytes()).hexdigest()
    assert digest in (ROOT / "README.md").read_text(encoding="utf-8")


def test_page_is_self_contained_under_a_strict_csp() -> None:
    html = page_bytes().decode("utf-8")
    csp = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', html)
    assert csp is not None
    directives = dict(d.strip().split(" ", 1) for d in csp.group(1).split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["connect-src"] == "'none'" and directives["form-action"] == "'none'"
    # Exactly one inline script and one inline style, each allowed by its hash, nothing else.
    scripts = re.findall(r"<script>(.*?)</script>", html, flags=re.S)
    styles = re.findall(r"<style>(.*?)</style>", html, flags=re.S)
    assert len(scripts) == 1 and len(styles) == 1
    assert html.count("<script") == 1 and html.count("<style") == 1
    for text, directive in ((scripts[0], "script-src"), (styles[0], "style-src")):
        b64 = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode()
        assert directives[directive] == f"'sha256-{b64}'"
    assert "<link" not in html and "<iframe" not in html and " src=" not in html
    assert "Nothing is uploaded" in html


@pytest.mark.skipif(shutil.which("node") is None, reason="node not installed: rebuild not checked")
def test_rebuild_reproduces_the_committed_page() -> None:
    if not (WEB / "node_modules" / "esbuild").is_dir():
        pytest.skip("web/node_modules missing: run `make web-deps` (npm ci) to check the rebuild")
    result = subprocess.run(
        ["node", "build.mjs", "--check"], cwd=WEB, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_user_id_tables_are_current() -> None:
    """web/src/userid-tables.gen.js is what web/gen_userid_tables.py makes from this Python's
    unicodedata (the JavaScript refuses user ids exactly as derive.check_user_id does)."""
    import importlib.util
    import unicodedata

    spec = importlib.util.spec_from_file_location("gen", WEB / "gen_userid_tables.py")
    assert spec is not None and spec.loader is not None
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    committed = (WEB / "src" / "userid-tables.gen.js").read_text(encoding="utf-8")
    if f'UNIDATA_VERSION = "{unicodedata.unidata_version}"' not in committed:
        pytest.skip(
            "tables made with another Unicode version than this Python's "
            f"{unicodedata.unidata_version}"
        )
    assert committed == gen.render()
