"""The objectives package (harness.objectives) is core: importing it is cheap (no torch) and none
of its modules imports a plugin (the plugins' modules are named ``harness_*``)."""

import ast
import subprocess
import sys
from pathlib import Path

import harness.objectives

PACKAGE = Path(harness.objectives.__file__).parent


def test_importing_the_package_imports_no_torch():
    check = "import sys, harness.objectives; print(sorted(m for m in ('torch', 'torch_geometric') if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_no_module_imports_a_plugin():
    for module in PACKAGE.glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text())):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            for name in names:
                assert not name.startswith("harness_"), f"{module.name} imports the plugin module {name}"
