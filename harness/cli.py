"""The ``harness`` command line. Imports stay cheap here: torch is imported only where a cell
runs, so ``harness --help``, ``harness list`` and ``harness plugins`` never load it.

Exit codes: 0 success, 1 some cells failed, 2 invalid input (nothing run).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from harness import allocator
from harness.cache_cli import add_cache_command, cmd_cache
from harness.exit_codes import EXIT_INVALID, EXIT_OK, InvalidInput
from harness.threads import threads_per_cell, threads_reason

DEFAULT_RESULTS = "results"
#: rendered tables go into the results folder unless asked otherwise: never over the tracked
#: tables of a checkout, and never from records other than the ones just run.
RENDERED_TABLES = "leaderboards"
DEFAULT_SUBMISSIONS = str(Path("leaderboards") / "submissions")
RESULTS_HELP = f"records folder (default: ./{DEFAULT_RESULTS})"
SUBMISSIONS_HELP = f"submitted entries (default: ./{DEFAULT_SUBMISSIONS})"


def _plugin_options() -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--plugin", action="append", default=[], metavar="FILE", help="load a local plugin file (repeatable)")
    parent.add_argument("--strict-plugins", action="store_true", help="fail when a plugin cannot be loaded")
    return parent


def build_parser() -> argparse.ArgumentParser:
    plugin_options = _plugin_options()
    parser = argparse.ArgumentParser(prog="harness", description="Benchmark harness for graph learning: run grids, rank results on OGB-style leaderboards.")
    from harness import __version__

    parser.add_argument("--version", action="version", version=f"harness {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    run = commands.add_parser("run", parents=[plugin_options], help="run a grid and write one record per cell")
    run.add_argument("--grid", required=True, metavar="FILE", help="grid YAML file")
    run.add_argument("--results-dir", default=DEFAULT_RESULTS, metavar="DIR", help=RESULTS_HELP)
    run.add_argument("--data-root", default=None, metavar="DIR", help="datasets folder (default: $HARNESS_DATA_ROOT, else ./data)")
    run.add_argument("--cache-dir", default=None, metavar="DIR", help="artifact cache (default: $HARNESS_CACHE_DIR, else ~/.cache/harness)")
    run.add_argument("--leaderboard-dir", default=None, metavar="DIR", help=f"where tables are rendered after the run (default: <results-dir>/{RENDERED_TABLES})")
    run.add_argument("--submissions", default=None, metavar="DIR", help=SUBMISSIONS_HELP)
    run.add_argument("--executor", default="local", metavar="NAME", help="execution back-end (see `harness list executors`)")
    run.add_argument("--workers", type=int, default=None, metavar="N", help="worker processes, for executors that take them")
    run.add_argument("--address", default=None, metavar="ADDRESS", help="the cluster to run on, for executors that take one (ray: auto or HOST:PORT)")
    run.add_argument("--executor-option", action="append", default=[], metavar="KEY=VALUE",
                     help="one of the executor's parameters (see `harness list executors NAME`); repeatable")
    run.add_argument("--no-wait", action="store_true", help="submit the cells and return, for executors that queue them (slurm); `harness status` shows their progress")
    run.add_argument("--retry-failed", action="store_true", help="re-run cells whose record says failed or timeout")
    run.add_argument("--fail-fast", action="store_true", help="stop at the first failed cell")
    run.add_argument("--isolate", action=argparse.BooleanOptionalAction, default=True,
                     help="run each cell's method in a process of its own that never holds test labels (the default); --no-isolate runs everything in this process, for debugging: its records are left out of leaderboards")
    run.add_argument("--allocator", choices=allocator.MODES, default="tuned",
                     help="memory allocator of the processes that run cells: tuned (the default) keeps freed memory instead of returning it to the system at every step; default is glibc's own")
    run.add_argument("--timeout", type=float, default=None, metavar="SECONDS", help="time limit per cell")
    run.add_argument("--device", default="auto", help="auto (cuda when present), cpu, cuda, cuda:N or mps")
    run.add_argument("--dry-run", action="store_true", help="list the cells and the dropped combinations (by reason); run and write nothing")
    run.add_argument("--only", action="append", default=[], metavar="KEY=VALUE", help="run only the matching cells; KEY is dataset, encoder, backbone, method (name or label), seed or fold; repeatable: values of one key widen, different keys narrow")
    run.add_argument("--threads", type=int, default=None, metavar="N", help="torch CPU threads per cell (default: the cores this process may use / the executor's workers)")

    board = commands.add_parser("leaderboard", parents=[plugin_options], help="render OGB-style tables from records and submissions")
    board.add_argument("--results-dir", default=DEFAULT_RESULTS, metavar="DIR", help=RESULTS_HELP)
    board.add_argument("--out", default=None, metavar="DIR", help=f"where tables are rendered (default: <results-dir>/{RENDERED_TABLES})")
    board.add_argument("--submissions", default=None, metavar="DIR", help=SUBMISSIONS_HELP)
    board.add_argument("--grid", default=None, metavar="FILE", help="also render the extra tables this grid's leaderboards: section asks for (other metrics, group averages)")

    compare = commands.add_parser("compare", parents=[plugin_options], help="this project's rows beside submitted ones")
    compare.add_argument("--dataset", required=True)
    compare.add_argument("--results-dir", default=DEFAULT_RESULTS, metavar="DIR", help=RESULTS_HELP)
    compare.add_argument("--submissions", default=None, metavar="DIR", help=SUBMISSIONS_HELP)

    listing = commands.add_parser("list", parents=[plugin_options], help="list components with their parameters")
    listing.add_argument("kind", nargs="?", choices=["datasets", "encoders", "backbones", "methods", "executors", "metrics"])
    listing.add_argument("name", nargs="?", help="show this one component in full")

    commands.add_parser("plugins", parents=[plugin_options], help="list installed plugins and what they provide")

    status = commands.add_parser("status", parents=[plugin_options], help="how many cells of a grid are complete, failed, running and pending")
    status.add_argument("--grid", default=None, metavar="FILE", help="this grid's cells (default: every grid run into the results folder, as its newest run listed them)")
    status.add_argument("--results-dir", default=DEFAULT_RESULTS, metavar="DIR", help=RESULTS_HELP)

    plot = commands.add_parser("plot", parents=[plugin_options], help="write PNG learning curves and leaderboard charts")
    plot.add_argument("--results-dir", default=DEFAULT_RESULTS, metavar="DIR", help=RESULTS_HELP)
    plot.add_argument("--out", default=None, metavar="DIR", help=f"where the PNGs go (default: <results-dir>/{RENDERED_TABLES}/plots)")
    plot.add_argument("--dataset", action="append", default=None, help="only this dataset (repeatable)")
    plot.add_argument("--submissions", default=None, metavar="DIR", help=SUBMISSIONS_HELP)
    add_cache_command(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from harness.plugins import PluginError
    from harness.record import RecordError
    from harness.submissions import SubmissionError

    try:
        return COMMANDS[args.command](args)
    except (InvalidInput, PluginError, RecordError, SubmissionError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_INVALID


def _registry(args):
    from harness.registry import load_registry

    from harness import metrics

    plugins, registry = load_registry(args.plugin, strict=args.strict_plugins)
    metrics.use(registry)  # records, submissions and tables resolve metrics in this registry
    for failure in plugins.failed:
        print(f"warning: plugin {failure.name} ({failure.distribution}) was skipped: {failure.error}", file=sys.stderr)
    for problem in registry.problems:
        print(f"warning: {problem}", file=sys.stderr)
    return plugins, registry


def _submissions_dir(args) -> str:
    return args.submissions or DEFAULT_SUBMISSIONS


def _tables_dir(results_dir: str, chosen: str | None) -> str:
    return chosen or str(Path(results_dir) / RENDERED_TABLES)


def _all_submissions(args, plugins=None) -> list:
    """The submissions folder and the ``submissions/`` folder every loaded plugin package ships."""
    from harness.submissions import plugin_folders

    if plugins is None:
        plugins, _ = _registry(args)
    return [_submissions_dir(args), *plugin_folders(plugins)]


def cmd_run(args) -> int:
    from harness import run_checks
    from harness.grid import GridError, load_grid
    from harness.progress import Progress
    from harness.runner import PreflightError, preflight, run_grid
    from harness.settings import RunSettings, default_cache_dir, default_data_root

    run_checks.check_timeout(args.timeout)
    run_checks.check_at_least("--threads", args.threads, 1)
    run_checks.check_at_least("--workers", args.workers, 0)
    run_checks.check_device(args.device)
    plugins, registry = _registry(args)
    try:
        grid = load_grid(args.grid, registry)
    except GridError as error:
        raise InvalidInput(str(error)) from None
    _slice(grid, args.only)
    executor = _executor(registry, args)
    settings = RunSettings(
        results_dir=args.results_dir,
        data_root=args.data_root or default_data_root(),
        cache_dir=args.cache_dir or default_cache_dir(),
        timeout=args.timeout,
        isolate=args.isolate,
        plugin_files=tuple(str(Path(p).resolve()) for p in args.plugin),
        device=args.device,
        allocator=args.allocator,
        threads=args.threads or threads_per_cell(executor),
    )
    # before the dry run too: it answers whether a run would start, and this one would not
    run_checks.check_output_folder("--results-dir", settings.results_dir)
    run_checks.check_output_folder("--cache-dir", settings.cache_dir)
    run_checks.check_output_folder("--leaderboard-dir", _tables_dir(settings.results_dir, args.leaderboard_dir))
    if args.dry_run:
        from harness.dry_run import print_plan, print_preflight

        print_plan(grid, settings.results_dir, args.retry_failed, sys.stdout, settings.isolate)
        print_preflight(grid, registry, settings, sys.stdout)
        return EXIT_OK
    try:
        preflight(grid, registry, settings)
    except PreflightError as error:
        raise InvalidInput(f"grid {args.grid} cannot run here (nothing was run):\n{error}") from None
    threads = "--threads" if args.threads else threads_reason(executor)
    print(f"grid {grid.name}: {len(grid.cells)} cell(s), {len(grid.dropped)} combination(s) dropped;"
          f" {settings.threads} torch thread(s) per cell ({threads})")
    plugins.register_observer(Progress(), "harness.progress")
    summary = run_grid(grid, settings, plugins, registry, executor, args.retry_failed, args.fail_fast)
    print(f"ran {summary.ran} cell(s): {summary.complete} complete, {summary.failed} failed")
    print(f"records: {Path(settings.results_dir).resolve()}")
    if summary.submitted:
        print(f"{summary.submitted} cell(s) submitted, not waited for (--no-wait); their workers write the records."
              f" Progress: harness status --grid {args.grid} --results-dir {settings.results_dir}")
        return summary.exit_code
    boards = _render_leaderboards(settings.results_dir, _tables_dir(settings.results_dir, args.leaderboard_dir), _all_submissions(args, plugins), summary.datasets, grid.tables)
    for path in boards:
        print(f"leaderboard: {path}")
    return summary.exit_code


def _slice(grid, only: list[str]) -> None:
    """Keep the cells (and dropped combinations) that ``--only`` selects."""
    from harness import slices
    from harness.cell import AXES

    if not only:
        return
    try:
        wanted = slices.parse(only)
        grid.cells = slices.select(grid.cells, wanted)
    except slices.SliceError as error:
        raise InvalidInput(str(error)) from None
    axes = {key: values for key, values in wanted.items() if key in AXES}
    grid.dropped = [d for d in grid.dropped if all(d.combination[key] in values for key, values in axes.items())]


def _executor(registry, args):
    if args.executor not in registry.components["executor"]:
        from harness.suggest import suggest

        raise InvalidInput(f"unknown executor {args.executor!r}; {suggest(args.executor, registry.names('executor'))}")
    component = registry.get("executor", args.executor)
    if component.unavailable:
        raise InvalidInput(f"executor {args.executor!r} cannot run here: {component.unavailable}")
    params = _executor_options(component, args.executor_option)
    for flag, name, value in (("--workers", "workers", args.workers), ("--address", "address", args.address),
                              ("--no-wait", "wait", False if args.no_wait else None)):
        if value is None:
            continue
        if not component.param(name):
            raise InvalidInput(f"executor {args.executor!r} takes no {flag}")
        params[name] = value
    try:
        return component.load()(**params)
    except ValueError as error:
        raise InvalidInput(f"executor {args.executor!r}: {error}") from None


def _executor_options(component, options: list[str]) -> dict:
    """The ``--executor-option KEY=VALUE`` values, each checked against the executor's
    parameters (values read as YAML scalars: 4, 0.5, true, null, text)."""
    import yaml

    from harness.suggest import suggest

    params = {}
    for option in options:
        key, equals, text = option.partition("=")
        param = component.param(key.strip())
        if not equals or param is None:
            names = [p.name for p in component.params]
            raise InvalidInput(f"--executor-option {option!r}: executor {component.name!r} has no parameter {key.strip()!r}; "
                               f"{suggest(key.strip(), names) if names else 'it takes none'} (give KEY=VALUE)")
        try:
            value = yaml.safe_load(text) if text.strip() else None
        except yaml.YAMLError:
            value = text
        if param.type == "str" and value is not None and not isinstance(value, str):
            value = text.strip()
        if param.type == "float" and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        problem = param.problem(value)
        if problem:
            raise InvalidInput(f"--executor-option {option!r}: {param.name} {problem}")
        params[param.name] = value
    return params


def _render_leaderboards(results_dir, out_dir, submissions_dir, datasets=None, request=None) -> list[Path]:
    """The tables of the records' datasets (``datasets``: only these), and the extra tables a
    grid asks for (:mod:`harness.extra_tables`)."""
    from harness.extra_tables import extra_tables
    from harness.leaderboard import build_tables, render
    from harness.store import ResultStore
    from harness.submissions import SubmissionError

    records = list(ResultStore(results_dir).load())
    _note_unisolated(records)
    try:
        tables = build_tables(records, submissions_dir, datasets)
    except SubmissionError as error:
        raise InvalidInput(str(error)) from None
    if request:
        tables.update(extra_tables(records, request))
    return [render(dataset, metric, higher, rows, out_dir)[0] for dataset, (metric, higher, rows) in tables.items()]


def _note_unisolated(records) -> None:
    from harness.leaderboard import UNISOLATED_NOTE, unisolated

    if count := unisolated(records):
        print(UNISOLATED_NOTE.format(count=count), file=sys.stderr)


def cmd_leaderboard(args) -> int:
    if not Path(args.results_dir).is_dir():
        raise InvalidInput(f"no results folder {args.results_dir!r}; run a grid first or pass --results-dir")
    _, registry = _registry(args)
    request = None
    if args.grid:
        from harness.grid import GridError, load_grid

        try:
            request = load_grid(args.grid, registry).tables
        except GridError as error:
            raise InvalidInput(str(error)) from None
    for path in _render_leaderboards(args.results_dir, _tables_dir(args.results_dir, args.out), _all_submissions(args), request=request):
        print(f"leaderboard: {path}")
    return EXIT_OK


def cmd_compare(args) -> int:
    from tabulate import tabulate

    from harness.compare import comparison_table
    from harness.leaderboard import build_tables
    from harness.store import ResultStore

    if not Path(args.results_dir).is_dir():
        raise InvalidInput(f"no results folder {args.results_dir!r}; run a grid first or pass --results-dir")
    _registry(args)
    records = list(ResultStore(args.results_dir).load())
    _note_unisolated(records)
    tables = build_tables(records, _all_submissions(args), [args.dataset])
    if args.dataset not in tables:
        raise InvalidInput(f"no records or submissions for dataset {args.dataset!r} in {args.results_dir!r}")
    metric, higher, rows = tables[args.dataset]
    headers, table = comparison_table(rows, higher)
    if not table:
        raise InvalidInput(f"no records of this project for dataset {args.dataset!r} in {args.results_dir!r}")
    print(f"{args.dataset}: test {metric}, Δ = ours − submitted; Welch's t-test (*** p<0.001, ** p<0.01, * p<0.05, n.s.)")
    print(tabulate(table, headers=headers, tablefmt="github", disable_numparse=True))
    return EXIT_OK


def cmd_list(args) -> int:
    from harness.components import KINDS

    _, registry = _registry(args)
    if args.name:
        return _show_component(registry, args.kind[:-1], args.name)
    kinds = [args.kind[:-1]] if args.kind else list(KINDS)
    for kind in kinds:
        print(f"{kind}s:")
        for name in registry.names(kind):
            component = registry.get(kind, name)
            print(f"  {name} (v{component.version}, from {registry.owners[(kind, name)]}): {component.doc}")
            if component.unavailable:
                print(f"      unavailable: {component.unavailable}")
            if kind == "dataset":
                meta = ", ".join(f"{k}={v}" for k, v in component.metadata.items())
                print(f"      task: {component.task_type}{'; ' + meta if meta else ''}")
                print(f"      splits: {', '.join(component.splits) or 'none (only a dataset reference may name it)'}")
            elif kind == "metric":
                direction = "higher is better" if component.metadata.get("higher_is_better") else "lower is better"
                print(f"      {direction}; applies to: {', '.join(sorted(component.task_types))}")
                print(f"      inputs: {component.metadata.get('inputs')}")
            elif kind != "executor" and component.task_types != _all_types():
                print(f"      supports: {', '.join(sorted(component.task_types))}")
            if component.needs:
                print(f"      needs: {', '.join(sorted(component.needs))}")
            for param in component.params:
                choices = f" one of {list(param.choices)};" if param.choices else ""
                print(f"      --{param.name}: {param.type} = {param.default!r};{choices} {param.doc}")
    return EXIT_OK


def _show_component(registry, kind: str, name: str) -> int:
    """Everything a declaration says about one component."""
    from harness.suggest import suggest

    if name not in registry.components[kind]:
        raise InvalidInput(f"unknown {kind} {name!r}; {suggest(name, registry.names(kind))}")
    component = registry.get(kind, name)
    print(f"{kind} {name}: {component.doc}")
    facts = {
        "version": component.version,
        "plugin": registry.owners[(kind, name)],
        "factory": component.factory,
        "task" if kind == "dataset" else "supports": ", ".join(sorted(component.task_types)),
        "needs": ", ".join(sorted(component.needs)),
        "provides": ", ".join(sorted(component.provides)),
        "capabilities": ", ".join(sorted(component.capabilities)),
        "external data": "yes" if component.external_data else "",
        "preflight": component.preflight or "",
        "requires": ", ".join(component.requires),
        "unavailable": component.unavailable or "",
        "split protocols": (", ".join(component.splits) or "none (only a dataset reference may name it)") if kind == "dataset" else "",
        **{str(key): value for key, value in component.metadata.items()},
    }
    for key, value in facts.items():
        if value not in ("", None):
            print(f"  {key}: {value}")
    print("  parameters:" if component.params else "  parameters: none")
    for param in component.params:
        limits = [
            f"of {param.items}" if param.items else "",
            f"one of {list(param.choices)}" if param.choices else "",
            f"{'greater than' if param.exclusive_minimum else 'at least'} {param.minimum:g}" if param.minimum is not None else "",
            f"at most {param.maximum:g}" if param.maximum is not None else "",
            f"not {' or '.join(map(repr, param.excluded))}" if param.excluded else "",
            f"at least {param.min_items} element(s)" if param.min_items else "",
            "may be null" if param.nullable else "",
            "" if param.affects_results else "not in cell ids",
        ]
        detail = "; ".join(item for item in limits if item)
        print(f"    {param.name}: {param.type} = {param.default!r}{f' ({detail})' if detail else ''}")
        print(f"        {param.doc}")
    return EXIT_OK


def _all_types():
    from harness.components import TaskType

    return TaskType.ALL


def cmd_plugins(args) -> int:
    plugins, registry = _registry(args)
    for info in plugins.loaded:
        print(f"{info.name}: {info.distribution} {info.version}")
        print(f"    file: {info.file}")
        print(f"    provides: {', '.join(info.components) or '(observers only)'}")
    for info in plugins.failed:
        print(f"{info.name}: {info.distribution} {info.version} FAILED TO LOAD")
        print(f"    file: {info.file}")
        print(f"    error: {info.error}")
    return EXIT_OK


def cmd_plot(args) -> int:
    from harness.leaderboard import build_tables
    from harness.plot import plot_all
    from harness.store import ResultStore

    if not Path(args.results_dir).is_dir():
        raise InvalidInput(f"no results folder {args.results_dir!r}; run a grid first or pass --results-dir")
    _registry(args)
    records = list(ResultStore(args.results_dir).load())
    _note_unisolated(records)
    tables = build_tables(records, _all_submissions(args), args.dataset)
    for path in plot_all(records, tables, args.out or str(Path(_tables_dir(args.results_dir, None)) / "plots"), args.dataset):
        print(f"plot: {path}")
    return EXIT_OK


def cmd_status(args) -> int:
    from harness.status import grid_counts, manifest_counts, print_counts
    from harness.store import ResultStore

    if not Path(args.results_dir).is_dir():
        raise InvalidInput(f"--results-dir {args.results_dir}: no such folder; give the results folder a run wrote to")
    store = ResultStore(args.results_dir)
    if args.grid:
        from harness.grid import GridError, load_grid

        _, registry = _registry(args)
        try:
            grid = load_grid(args.grid, registry)
        except GridError as error:
            raise InvalidInput(str(error)) from None
        print_counts(f"grid {grid.name} ({args.grid})", grid_counts(store, grid.cells), sys.stdout)
        return EXIT_OK
    runs = manifest_counts(store)
    if not runs:
        print(f"no grid has been run into {args.results_dir}")
    for name, (path, counts) in runs.items():
        print_counts(f"grid {name} ({path})", counts, sys.stdout)
    return EXIT_OK


COMMANDS = {
    "run": cmd_run,
    "leaderboard": cmd_leaderboard,
    "compare": cmd_compare,
    "list": cmd_list,
    "plugins": cmd_plugins,
    "plot": cmd_plot,
    "status": cmd_status,
    "cache": cmd_cache,
}
