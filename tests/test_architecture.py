"""The layering of DESIGN.md, checked by import-linter: domain packages never import labelhub or a
framework, and adapters -> services -> models only point down."""

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_import_contracts_are_kept():
    lint_imports = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert lint_imports, "import-linter is part of the test extras: pip install -e '.[test]'"
    result = subprocess.run([lint_imports, "--no-cache"], cwd=ROOT, capture_output=True, text=True,
                            timeout=300, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_import_contract_fails_when_a_service_cycle_comes_back(tmp_path):
    """The record_event -> subscribers -> record_event cycle, put back in a copy of the tree, breaks the
    acyclic_siblings contract over labelhub.services."""
    for name in ("labelhub", "annotators", "aggregation", "quality", "exports"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__", "*.npz"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    common = tmp_path / "labelhub" / "services" / "common.py"
    common.write_text(common.read_text() + "\nfrom labelhub.services import consensus  # noqa: E402,F401\n")
    lint_imports = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    result = subprocess.run([lint_imports, "--no-cache"], cwd=tmp_path, capture_output=True, text=True,
                            timeout=300, env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"}, check=False)
    assert result.returncode != 0
    assert "No import cycles between the service modules BROKEN" in result.stdout
