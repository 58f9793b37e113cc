"""A plugin imports only its own package, the public modules of ``harness`` and third-party
libraries: never another plugin's package (shared code lives in the core, documented), never a
private name of the core (a module or attribute starting with ``_``).

Every ``.py`` file of every plugin package is parsed, not imported, so imports inside functions
count too, and so do the ``"package.module:attribute"`` factory strings a declaration names.
"""

import ast
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PLUGIN_ROOTS = [*sorted((REPO / "plugins").iterdir()), REPO / "tests" / "example_plugin"]
FACTORY = re.compile(r"^([A-Za-z_]\w*)(?:\.\w+)*:\w+$")


def _packages() -> dict[str, Path]:
    """Every plugin package: its import name and its folder."""
    return {init.parent.name: init.parent for root in PLUGIN_ROOTS if root.is_dir() for init in root.glob("*/__init__.py")}


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _imported(tree: ast.AST):
    """``(line, dotted name)`` of every absolute import, ``from`` import (module and each name)
    and factory string in ``tree``; relative imports stay inside the package and are skipped."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            for alias in node.names:
                yield node.lineno, f"{node.module}.{alias.name}"
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and FACTORY.match(node.value):
            yield node.lineno, node.value.replace(":", ".")


def violations(source: str, own: str, plugin_packages) -> list[str]:
    """What in ``source`` (a module of plugin package ``own``) breaks the import rule."""
    found = []
    for line, name in sorted(_imported(ast.parse(source))):
        parts = name.split(".")
        if parts[0] in plugin_packages and parts[0] != own:
            found.append(f"line {line}: {name} belongs to another plugin ({parts[0]})")
        elif parts[0] == "harness" and any(_is_private(part) for part in parts[1:]):
            found.append(f"line {line}: {name} is private to the core")
    return found


def test_the_plugin_packages_are_found():
    assert {"harness_supervised", "harness_ne", "harness_example_plugin"} <= set(_packages())


@pytest.mark.parametrize("package", sorted(_packages()))
def test_a_plugin_imports_no_other_plugin_and_no_private_core_name(package):
    packages = _packages()
    problems = []
    for path in sorted(packages[package].rglob("*.py")):
        for problem in violations(path.read_text(), package, packages):
            problems.append(f"{path.relative_to(REPO)} {problem}")
    assert not problems, "plugins may import only their own package, public harness modules and third-party libraries:\n" + "\n".join(problems)


CHECKED = '''
import torch, harness_mine.part
from harness import Param, __version__
from harness.training.params import TRAINING_PARAMS
from . import sibling
from .sibling import _helper

def late():
    import harness_other.sampler
    from harness_other import thing
    from harness._secret import x
    from harness.cell import _canonical
    return "harness_other.method:Method", "harness_mine.method:Method", "not: a factory"
'''


def test_the_checker_catches_every_kind_of_forbidden_import():
    found = violations(CHECKED, "harness_mine", {"harness_mine", "harness_other"})
    assert [problem.split(":")[0] for problem in found] == ["line 9", "line 10", "line 11", "line 12", "line 13"]
    assert "harness_other.sampler belongs to another plugin" in found[0]
    assert "harness._secret.x is private to the core" in found[2] and "harness.cell._canonical" in found[3]
    assert "harness_other.method.Method belongs to another plugin" in found[4]
