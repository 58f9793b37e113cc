"""Every hook and every component parameter is documented (a test that fails otherwise), and each
hook's heading in the plugin docs is its real signature: name, parameters, annotations and
return, compared with the hookspec itself."""

import ast
import inspect
import re

import pytest

from harness import hookspecs

HOOK_DOC = "docs/plugin_hooks.md"


def _hooks():
    return [name for name, value in vars(hookspecs).items() if name.startswith("harness_") and callable(value)]


def test_every_hook_has_a_docstring():
    for name in _hooks():
        doc = inspect.getdoc(getattr(hookspecs, name)) or ""
        assert len(doc) > 40, f"hook {name} needs a docstring saying when it is called and what it returns"


def _documented_hooks(repo) -> dict[str, str]:
    """Hook name -> the signature its heading gives (``## harness_x(a: int) -> None``)."""
    text = (repo / HOOK_DOC).read_text()
    return dict(re.findall(r"^## (harness_\w+)(.*)$", text, flags=re.MULTILINE))


def _shape(name: str, signature: str):
    """Name, parameters (name, kind, annotation, default) and return annotation of a signature
    written as source, each annotation normalised by the parser (spacing, quotes)."""
    function = ast.parse(f"def {name}{signature}: pass").body[0]
    arguments = function.args

    def text(node):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):  # a quoted annotation
            node = ast.parse(node.value, mode="eval").body
        return None if node is None else ast.unparse(node)

    parameters = [(a.arg, "positional", text(a.annotation)) for a in arguments.posonlyargs + arguments.args]
    parameters += [(a.arg, "keyword", text(a.annotation)) for a in arguments.kwonlyargs]
    for star, kind in ((arguments.vararg, "*"), (arguments.kwarg, "**")):
        if star is not None:
            parameters.append((star.arg, kind, text(star.annotation)))
    defaults = [text(d) for d in arguments.defaults + arguments.kw_defaults]
    return function.name, parameters, defaults, text(function.returns)


def _real_signature(hook) -> str:
    # The hookspecs use postponed annotations: inspect shows them as strings; unquote them.
    return str(inspect.signature(hook)).replace("'", "")


def test_every_hook_has_a_section_in_the_plugin_docs(repo):
    documented = _documented_hooks(repo)
    missing = set(_hooks()) - set(documented)
    assert not missing, f"hooks without a section in {HOOK_DOC}: {sorted(missing)}"
    stale = set(documented) - set(_hooks())
    assert not stale, f"{HOOK_DOC} documents hooks that do not exist: {sorted(stale)}"


def test_every_hook_is_annotated():
    for name in _hooks():
        signature = inspect.signature(getattr(hookspecs, name))
        assert signature.return_annotation is not inspect.Signature.empty, f"hook {name} has no return annotation"
        for parameter in signature.parameters.values():
            assert parameter.annotation is not inspect.Parameter.empty, f"hook {name}: parameter {parameter.name} has no annotation"


@pytest.mark.parametrize("name", _hooks())
def test_documented_signature_is_the_hookspec_signature(repo, name):
    documented = _documented_hooks(repo).get(name)
    real = _real_signature(getattr(hookspecs, name))
    assert documented is not None, f"{HOOK_DOC} has no section for {name}"
    assert documented.strip(), f"the heading of {name} in {HOOK_DOC} must be its signature: ## {name}{real}"
    assert _shape(name, documented) == _shape(name, real), (
        f"{HOOK_DOC} documents {name}{documented}; the hookspec is {name}{real}"
    )


def test_signature_comparison_sees_a_difference():
    """The comparison above is not vacuous: names, annotations, defaults and returns count."""
    real = _shape("harness_x", "(cell: Cell, epoch: int) -> None")
    for changed in ("(cell: Cell, step: int) -> None", "(cell: Cell, epoch: float) -> None",
                    "(cell: Cell, epoch: int = 0) -> None", "(cell: Cell, epoch: int) -> list[Cell]",
                    "(cell: Cell) -> None", "(cell: Cell, *, epoch: int) -> None"):
        assert _shape("harness_x", changed) != real, changed
    assert _shape("harness_x", "(cell:Cell, epoch: 'int')->None") == real


def test_every_component_and_parameter_is_documented(harness_registry):
    for kind, components in harness_registry.components.items():
        for name, component in components.items():
            assert component.doc.strip(), f"{kind} {name} has no doc"
            for param in component.params:
                assert param.doc.strip(), f"{kind} {name}: parameter {param.name} has no doc"


def test_every_plugin_module_has_a_docstring():
    from harness.registry import load_registry

    plugins, _ = load_registry()
    for info in plugins.loaded:
        module = plugins.pm.get_plugin(info.name)
        assert (module.__doc__ or "").strip(), f"plugin {info.name} ({info.file}) has no module docstring"
