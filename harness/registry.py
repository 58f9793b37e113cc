"""The registry: every declared component by kind and name, with the plugin that declared it."""

from __future__ import annotations

from dataclasses import dataclass, field

from harness.components import KINDS, Component
from harness.metrics import Metrics
from harness.plugins import PluginError, Plugins


class UnknownComponent(KeyError):
    pass


@dataclass
class Registry:
    components: dict[str, dict[str, Component]] = field(
        default_factory=lambda: {kind: {} for kind in KINDS}
    )
    owners: dict[tuple[str, str], str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @classmethod
    def from_plugins(cls, plugins: Plugins) -> "Registry":
        registry = cls()
        for kind in KINDS:
            for plugin_name, result in plugins.component_hook_results(kind):
                if isinstance(result, BaseException):
                    registry._problem(plugins, f"plugin {plugin_name!r}: harness_{kind}s() raised {result!r}")
                    continue
                for component in result:
                    registry._add(plugins, plugin_name, kind, component)
        for problem in Metrics(registry).problems():
            registry._problem(plugins, problem)
        return registry

    def _add(self, plugins: Plugins, plugin_name: str, kind: str, component) -> None:
        if not isinstance(component, Component) or component.kind != kind:
            self._problem(plugins, f"plugin {plugin_name!r}: harness_{kind}s() returned {component!r}, expected Component(kind={kind!r})")
            return
        if component.name in self.components[kind]:
            first = self.owners[(kind, component.name)]
            self._problem(plugins, f"plugin {plugin_name!r}: {kind} {component.name!r} is already provided by {first!r}; ignored")
            return
        self.components[kind][component.name] = component
        self.owners[(kind, component.name)] = plugin_name
        info = plugins.info(plugin_name)
        if info is not None:
            info.components.append(f"{kind}:{component.name}")

    def _problem(self, plugins: Plugins, message: str) -> None:
        if plugins.strict:
            raise PluginError(message)
        self.problems.append(message)

    def names(self, kind: str) -> list[str]:
        return sorted(self.components[kind])

    def get(self, kind: str, name: str) -> Component:
        try:
            return self.components[kind][name]
        except KeyError:
            raise UnknownComponent(f"unknown {kind} {name!r}; valid: {', '.join(self.names(kind))}") from None


def load_registry(local_files=(), strict: bool = False) -> tuple[Plugins, Registry]:
    plugins = Plugins(local_files=local_files, strict=strict)
    return plugins, Registry.from_plugins(plugins)
