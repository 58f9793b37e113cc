"""The plugin manager: discovery through the ``harness`` entry-point group, local plugin
files, and the small typed facade through which the core calls hooks.

Built-in components are packages under ``plugins/`` registered through the same entry-point
group as any third-party plugin; only the core's own pieces (the executors, the ``identity``
encoder a grid defaults to, the built-in metrics of :mod:`harness.metrics` that every dataset
names, the progress display), which are part of running a grid rather than of what is
benchmarked, are registered here directly, through the same hooks.

Environment:

- ``HARNESS_DISABLE_PLUGIN_AUTOLOAD=1`` loads no entry-point plugin (only ``--plugin`` files).
- ``HARNESS_PLUGINS=name1,name2`` loads only those entry-point names.
- ``HARNESS_BLOCK_PLUGINS=name1,name2`` loads every entry-point plugin except those.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import traceback
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Iterable

import pluggy

from harness import PROJECT_NAME, hookspecs

ENTRY_POINT_GROUP = "harness"
DISABLE_AUTOLOAD_ENV = "HARNESS_DISABLE_PLUGIN_AUTOLOAD"
ONLY_ENV = "HARNESS_PLUGINS"
BLOCK_ENV = "HARNESS_BLOCK_PLUGINS"
INTERNAL_PLUGINS = ("harness.executors", "harness.identity", "harness.metrics")


class PluginError(Exception):
    """A plugin could not be loaded and ``strict`` was asked for."""


@dataclass
class PluginInfo:
    """What ``harness plugins`` shows about one plugin."""

    name: str
    distribution: str
    version: str
    file: str
    error: str | None = None
    components: list[str] = field(default_factory=list)


def _env_list(name: str) -> set[str]:
    return {item.strip() for item in os.environ.get(name, "").split(",") if item.strip()}


def _autoload_disabled() -> bool:
    return os.environ.get(DISABLE_AUTOLOAD_ENV, "").strip().lower() not in ("", "0", "false", "no")


class Plugins:
    """The plugin manager plus the typed calls the core makes into it."""

    def __init__(
        self,
        local_files: Iterable[str | Path] = (),
        strict: bool = False,
        autoload: bool | None = None,
    ):
        self.strict = strict
        self.pm = pluggy.PluginManager(PROJECT_NAME)
        self.pm.add_hookspecs(hookspecs)
        self.loaded: list[PluginInfo] = []
        self.failed: list[PluginInfo] = []
        #: (plugin, hook) -> how many times that observer raised
        self.observer_failures: dict[tuple[str, str], int] = {}
        for module_name in INTERNAL_PLUGINS:
            self._register_module(module_name, "graph-harness", _own_version())
        if autoload if autoload is not None else not _autoload_disabled():
            self._load_entry_points()
        for path in local_files:
            self._load_file(Path(path))

    # -- discovery -------------------------------------------------------------------------

    def _load_entry_points(self) -> None:
        only, blocked = _env_list(ONLY_ENV), _env_list(BLOCK_ENV)
        seen: set[str] = set()
        for entry_point in metadata.entry_points(group=ENTRY_POINT_GROUP):
            if entry_point.name in seen or entry_point.name in blocked:
                continue
            if only and entry_point.name not in only:
                continue
            seen.add(entry_point.name)
            dist = entry_point.dist
            dist_name = dist.metadata["Name"] if dist else "?"
            dist_version = dist.version if dist else "?"
            try:
                module = entry_point.load()
            # A broken plugin must not take the harness down, not even one that calls sys.exit
            # or raises KeyboardInterrupt while it is imported.
            except BaseException as error:
                self._fail(entry_point.name, dist_name, dist_version, entry_point.value, error)
                continue
            self._register(module, entry_point.name, dist_name, dist_version)

    def _load_file(self, path: Path) -> None:
        name = f"harness_local_{path.stem}"
        if not path.is_file():
            self._fail(str(path), "(local file)", "-", str(path), FileNotFoundError(path))
            return
        try:
            spec = importlib.util.spec_from_file_location(name, path)
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            spec.loader.exec_module(module)
        except BaseException as error:  # sys.exit or KeyboardInterrupt at import too, as above
            sys.modules.pop(name, None)
            self._fail(str(path), "(local file)", "-", str(path), error)
            return
        self._register(module, name, "(local file)", "-")

    def _register_module(self, module_name: str, dist_name: str, version: str) -> None:
        self._register(importlib.import_module(module_name), module_name, dist_name, version)

    def _register(self, module, name: str, dist_name: str, version: str) -> None:
        if self.pm.is_registered(module):
            return
        try:
            self.pm.register(module, name=name)
        except Exception as error:  # e.g. a hook implementation with a wrong signature
            self._fail(name, dist_name, version, getattr(module, "__file__", "?"), error)
            return
        problem = unknown_hook_problem(module, self.pm)
        if problem:
            # A misspelled hook would silently provide nothing: treat the plugin as broken.
            self.pm.unregister(module)
            self._fail(name, dist_name, version, getattr(module, "__file__", "?"), PluginError(problem))
            return
        self.loaded.append(PluginInfo(name, dist_name, version, getattr(module, "__file__", "?")))

    def _fail(self, name, dist_name, version, where, error: BaseException) -> None:
        message = "".join(traceback.format_exception_only(type(error), error)).strip()
        info = PluginInfo(name, dist_name, version, str(where), error=message)
        if self.strict:
            raise PluginError(f"plugin {name!r} ({dist_name}) failed to load: {message}")
        self.failed.append(info)

    # -- typed calls into the hooks --------------------------------------------------------

    def component_hook_results(self, kind: str):
        """Yield ``(plugin_name, declarations or exception)`` for one component hook, one
        plugin at a time, so that each declaration keeps its provenance. The exception is any
        ``BaseException`` the hook raised, ``SystemExit`` and ``KeyboardInterrupt`` included."""
        caller = getattr(self.pm.hook, f"harness_{kind}s")
        for impl in caller.get_hookimpls():  # registration order: the first provider wins
            try:
                result = list(impl.function() or [])
            # A plugin's hook that calls sys.exit or raises KeyboardInterrupt is a broken
            # plugin, not the end of the harness (the yield stays outside: a generator must
            # not catch the GeneratorExit of its own closing).
            except BaseException as error:
                result = error
            yield impl.plugin_name, result

    def grid_started(self, grid, cells) -> None:
        self._observe("harness_grid_started", grid=grid, cells=list(cells))

    def run_started(self, cell) -> None:
        self._observe("harness_run_started", cell=cell)

    def epoch_finished(self, cell, epoch, max_epochs, metrics) -> None:
        self._observe("harness_epoch_finished", cell=cell, epoch=epoch, max_epochs=max_epochs, metrics=metrics)

    def run_finished(self, cell, record) -> None:
        self._observe("harness_run_finished", cell=cell, record=record)

    def _observe(self, hook: str, **arguments) -> None:
        """Call every observer of ``hook``, each on its own: one that raises is reported and the
        others, and the run, go on (observers never change or stop a run)."""
        for impl in reversed(getattr(self.pm.hook, hook).get_hookimpls()):  # pluggy's order
            try:
                impl.function(**{name: arguments[name] for name in impl.argnames})
            except Exception as error:
                self._observer_failed(impl.plugin_name, hook, error)

    def _observer_failed(self, plugin: str, hook: str, error: Exception) -> None:
        """Say it once per observer and hook (an epoch hook would say it every epoch), then count."""
        key = (plugin, hook)
        self.observer_failures[key] = self.observer_failures.get(key, 0) + 1
        if self.observer_failures[key] == 1:
            message = "".join(traceback.format_exception_only(type(error), error)).strip()
            print(f"warning: observer {plugin!r} raised in {hook}: {message}; ignored, the run goes on", file=sys.stderr)

    def register_observer(self, observer, name: str) -> None:
        self.pm.register(observer, name=name)

    def info(self, name: str) -> PluginInfo | None:
        return next((p for p in self.loaded if p.name == name), None)


def hook_names() -> list[str]:
    """The names of every hook a plugin may implement."""
    return sorted(name for name in vars(hookspecs) if name.startswith("harness_"))


def unknown_hook_problem(plugin, pm: pluggy.PluginManager) -> str | None:
    """Why ``plugin`` implements no hook it seems to mean, or None when all is well: a
    ``@hookimpl`` whose name is no hook (pluggy accepts it and never calls it), or a function
    named like a hook but missing the ``@hookimpl`` marker."""
    from harness.suggest import suggest

    valid = hook_names()
    problems = []
    for caller in pm.get_hookcallers(plugin) or []:
        if caller.spec is None:
            problems.append(f"implements unknown hook {caller.name!r} ({suggest(caller.name, valid)})")
    for name in valid:
        function = getattr(plugin, name, None)
        if callable(function) and pm.parse_hookimpl_opts(plugin, name) is None:
            problems.append(f"defines {name!r} without the @harness.hookimpl marker, so it is never called")
    return "; ".join(problems) or None


def _own_version() -> str:
    from harness import __version__

    return __version__
