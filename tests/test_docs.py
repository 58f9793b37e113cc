"""Every hook and every component parameter is documented (a test that fails otherwise)."""

import inspect
import re

from harness import hookspecs

HOOK_DOC = "docs/plugin_hooks.md"


def _hooks():
    return [name for name, value in vars(hookspecs).items() if name.startswith("harness_") and callable(value)]


def test_every_hook_has_a_docstring():
    for name in _hooks():
        doc = inspect.getdoc(getattr(hookspecs, name)) or ""
        assert len(doc) > 40, f"hook {name} needs a docstring saying when it is called and what it returns"


def test_every_hook_has_a_section_in_the_plugin_docs(repo):
    text = (repo / HOOK_DOC).read_text()
    documented = set(re.findall(r"^## (harness_\w+)(?:\(.*)?$", text, flags=re.MULTILINE))
    missing = set(_hooks()) - documented
    assert not missing, f"hooks without a section in {HOOK_DOC}: {sorted(missing)}"
    stale = documented - set(_hooks())
    assert not stale, f"{HOOK_DOC} documents hooks that do not exist: {sorted(stale)}"


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
