"""The labelled pre-training corpus: MoleculeNet training molecules of the other classification
sets, with the downstream set's validation and test molecules left out.

Hu et al., "Strategies for Pre-training Graph Neural Networks" (ICLR 2020;
github.com/snap-stanford/pretrain-gnns, ``chem/pretrain_supervised.py``) pre-train a graph-level
multi-task head on ChEMBL (456k molecules, 1,310 binary tasks, ``chembl_filtered``), masking
missing labels in the loss. ChEMBL is not in this project's data, so this module builds the
substitute: the union of the *training* splits of the MoleculeNet classification sets other than
the downstream one (leave-one-out over :data:`CLASSIFICATION_SETS`; :func:`sources_for`), as one
multi-task label matrix.

- Molecules are named by their RDKit canonical SMILES (``view.raw["smiles"]``, written by the
  MoleculeNet loader from the parsed molecule), so a molecule written differently in two files
  is one molecule here.
- Leakage: every source molecule whose canonical SMILES is among ``held_out_smiles`` (the
  downstream set's validation and test molecules, :func:`held_out`) is removed and counted.
  Only the sources' training items are read (their validation items never enter; their test
  labels are not in a view at all).
- Columns: one per (source, task), named ``"<dataset>/<task>"``; a molecule has NaN in the
  columns of sources it is not in, and wherever its source has no label.
- Duplicates: molecules with the same canonical SMILES, in one source or several, are merged
  into one row (the first one's graph) whose labels combine theirs; a cell labelled twice keeps
  its first value, and is counted (``labelled_twice``; ``disagreeing`` when the values differ).
- Columns without both a positive and a negative label in the merged corpus are dropped
  (``dropped_tasks``): a one-class column only teaches the head a constant, and an all-NaN one
  nothing. Rows left without any label are dropped too (``unlabelled_rows``): they contribute
  no loss. Both rules apply before ``size`` sampling, so the task list (the head's width) does
  not depend on ``size`` or ``seed``; a small sample may still have one-class or empty columns,
  which a masked loss tolerates.
- ``size`` (0 = all): a seeded sample of that many rows, kept in corpus order, for runs that must
  fit a CPU.

What differs from pretrain-gnns' ``chembl_filtered``: the reference removes the validation and
test molecules of *every* downstream set at once, matching standardised InChIs of each
``.``-separated species, and keeps molecular weights 50-900; here only the one downstream set's
are removed (its own training molecules may stay, with other sets' labels: they are no
leakage), matching whole-molecule canonical SMILES (a salt or tautomer of a held-out molecule
is not caught), with no weight filter.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any, Iterable, Mapping, Protocol, Sequence

import numpy as np
import torch

#: the MoleculeNet binary classification sets (ROC-AUC) that lend their training splits
CLASSIFICATION_SETS = ("bbbp", "bace", "clintox", "sider", "tox21", "toxcast", "hiv", "muv")

#: between a source's name and its task's in a column name
SEPARATOR = "/"


class SourceView(Protocol):
    """What is read of a task view (:class:`harness.task.TaskView`)."""

    name: str
    task_type: str
    graphs: Sequence[Any]
    items: Mapping[str, torch.Tensor]
    labels: Mapping[str, torch.Tensor]
    raw: Mapping[str, Sequence[Any]]
    info: Mapping[str, Any]


@dataclass
class SourceCounts:
    """What one source gave the corpus (before ``size`` sampling)."""

    #: molecules of its training split
    training: int = 0
    #: removed: their canonical SMILES is among the held-out ones
    held_out: int = 0
    #: merged into a row an earlier molecule (of any source) with the same SMILES began
    merged: int = 0
    #: label cells that were already labelled (the first value kept) ...
    labelled_twice: int = 0
    #: ... and of those, the ones whose values differ
    disagreeing: int = 0

    @property
    def taken(self) -> int:
        """Molecules whose labels entered the corpus (as a new row or merged into one)."""
        return self.training - self.held_out


@dataclass
class LabelledCorpus:
    """Graphs with a multi-task label matrix (see the module docstring)."""

    graphs: list[Any]
    #: float (molecules, tasks); NaN where a molecule has no label for a task
    labels: torch.Tensor
    #: column names, ``"<dataset>/<task>"``
    tasks: list[str]
    #: canonical SMILES of each row
    smiles: list[str]
    #: per source, in the order given
    counts: dict[str, SourceCounts]
    dropped_tasks: list[str] = field(default_factory=list)
    unlabelled_rows: int = 0
    #: rows before ``size`` sampling
    sampled_from: int = 0

    def summary(self) -> dict[str, Any]:
        """The counts as plain values, for a record (``Predictions.extra``)."""
        return {
            "molecules": len(self.graphs),
            "tasks": len(self.tasks),
            "sampled_from": self.sampled_from,
            "dropped_tasks": list(self.dropped_tasks),
            "unlabelled_rows": self.unlabelled_rows,
            "sources": {name: {**asdict(counts), "taken": counts.taken} for name, counts in self.counts.items()},
        }


def sources_for(downstream: str, among: Sequence[str] = CLASSIFICATION_SETS) -> tuple[str, ...]:
    """The sets of ``among`` (by default every classification set) that lend their training
    splits when ``downstream`` is the task: all but the downstream set itself."""
    return tuple(name for name in among if name != downstream)


def held_out(view: SourceView) -> set[str]:
    """The canonical SMILES of the downstream view's validation and test molecules (a view has
    every graph's raw attributes, only not the test labels)."""
    smiles = view.raw["smiles"]
    return {smiles[index] for split in ("valid", "test") for index in view.items[split].tolist()}


def labelled_corpus(sources: Sequence[SourceView], held_out_smiles: Iterable[str], size: int = 0, seed: int = 0) -> LabelledCorpus:
    """The training molecules of ``sources`` without ``held_out_smiles``, duplicates merged, as
    one multi-task corpus; ``size`` > 0 samples that many rows with ``seed``."""
    if size < 0:
        raise ValueError(f"size must be 0 (all) or positive, got {size}")
    _check_sources(sources)
    merged = _merge(sources, set(held_out_smiles))
    corpus = _drop_uninformative(merged)
    return _sample(corpus, size, seed)


def _check_sources(sources: Sequence[SourceView]) -> None:
    """Refuse what would give a malformed matrix: regression labels, missing SMILES, one source
    twice (clashing column names), or graphs of different featurisations in one batch."""
    names = [view.name for view in sources]
    if len(set(names)) != len(names):
        raise ValueError(f"a source appears twice: {names}")
    for view in sources:
        if view.task_type != "graph-classification":
            raise ValueError(f"source {view.name!r} is {view.task_type}; the corpus takes binary graph classification sets ({', '.join(CLASSIFICATION_SETS)})")
        if "smiles" not in view.raw:
            raise ValueError(f"source {view.name!r} has no raw['smiles'] to name its molecules by")
    featurizations = {view.info.get("featurization") for view in sources}
    if len(featurizations) > 1:
        raise ValueError(f"the sources have different featurisations {sorted(map(str, featurizations))}; load them with the same one")


class _Rows:
    """The corpus rows as they are merged: one per canonical SMILES, in first-seen order."""

    def __init__(self):
        self.row_of: dict[str, int] = {}
        self.graphs: list[Any] = []
        self.smiles: list[str] = []

    def find_or_add(self, smiles: str, graph: Any) -> tuple[int, bool]:
        """The row of ``smiles``, and whether it was already there."""
        row = self.row_of.get(smiles)
        if row is not None:
            return row, True
        self.row_of[smiles] = len(self.graphs)
        self.graphs.append(graph)
        self.smiles.append(smiles)
        return self.row_of[smiles], False


@dataclass
class _Placed:
    """One source's kept training molecules: their corpus rows and their labels."""

    rows: list[int]
    labels: torch.Tensor
    columns: slice


def _merge(sources: Sequence[SourceView], held: set[str]) -> LabelledCorpus:
    rows, placed, tasks, counts = _Rows(), [], [], {}
    for view in sources:
        counts[view.name] = SourceCounts()
        names = [f"{view.name}{SEPARATOR}{task}" for task in view.info["tasks"]]
        columns = slice(len(tasks), len(tasks) + len(names))
        placed.append(_place(view, held, rows, columns, counts[view.name]))
        tasks += names
    labels = torch.full((len(rows.graphs), len(tasks)), float("nan"))
    for part, view in zip(placed, sources):
        _write(labels, part, counts[view.name])
    return LabelledCorpus(rows.graphs, labels, tasks, rows.smiles, counts)


def _place(view: SourceView, held: set[str], rows: _Rows, columns: slice, counts: SourceCounts) -> _Placed:
    """Assign each kept training molecule of ``view`` its corpus row, counting what was left out
    or merged."""
    items = view.items["train"].tolist()
    labels = view.labels["train"].float().reshape(len(items), len(view.info["tasks"]))
    kept, placed_rows = [], []
    counts.training = len(items)
    for position, index in enumerate(items):
        smiles = view.raw["smiles"][index]
        if smiles in held:
            counts.held_out += 1
            continue
        row, seen = rows.find_or_add(smiles, view.graphs[index])
        counts.merged += seen
        kept.append(position)
        placed_rows.append(row)
    return _Placed(placed_rows, labels[torch.tensor(kept, dtype=torch.long)], columns)


def _write(labels: torch.Tensor, part: _Placed, counts: SourceCounts) -> None:
    """Fill the source's columns of ``labels`` in place. Sources have their own columns, so only
    a duplicate inside one source can meet a cell that holds a value; it keeps the first."""
    block = labels[:, part.columns]  # a view: writing to it writes to ``labels``
    first: dict[int, int] = {}
    for position, row in enumerate(part.rows):
        first.setdefault(row, position)
    if first:
        block[list(first)] = part.labels[list(first.values())]
    for position, row in enumerate(part.rows):
        if first[row] != position:
            _fill(block[row], part.labels[position], counts)


def _fill(cell: torch.Tensor, values: torch.Tensor, counts: SourceCounts) -> None:
    """Write ``values`` where ``cell`` (a row of the label matrix) has none; count the rest."""
    given, present = ~torch.isnan(values), ~torch.isnan(cell)
    twice = given & present
    counts.labelled_twice += int(twice.sum())
    counts.disagreeing += int((twice & (cell != values)).sum())
    cell[given & ~present] = values[given & ~present]


def _drop_uninformative(corpus: LabelledCorpus) -> LabelledCorpus:
    """Without the columns lacking a positive or a negative label, then without the rows left
    with no label at all."""
    labels = corpus.labels
    informative = (labels == 1).any(0) & (labels == 0).any(0)
    kept_tasks = [task for task, keep in zip(corpus.tasks, informative.tolist()) if keep]
    dropped_tasks = [task for task, keep in zip(corpus.tasks, informative.tolist()) if not keep]
    labels = labels[:, informative]
    labelled = (~torch.isnan(labels)).any(1)
    corpus = replace(corpus, labels=labels, tasks=kept_tasks, dropped_tasks=dropped_tasks, unlabelled_rows=int((~labelled).sum()))
    return _rows(corpus, torch.nonzero(labelled).view(-1).tolist())


def _sample(corpus: LabelledCorpus, size: int, seed: int) -> LabelledCorpus:
    """``size`` rows drawn with ``seed`` (all of them when ``size`` is 0 or not smaller)."""
    total = len(corpus.graphs)
    corpus = replace(corpus, sampled_from=total)
    if size == 0 or size >= total:
        return corpus
    chosen = np.sort(np.random.default_rng(seed).choice(total, size=size, replace=False)).tolist()
    return _rows(corpus, chosen)


def _rows(corpus: LabelledCorpus, chosen: list[int]) -> LabelledCorpus:
    """``corpus`` with only the rows ``chosen``, in that order."""
    return replace(
        corpus,
        graphs=[corpus.graphs[row] for row in chosen],
        smiles=[corpus.smiles[row] for row in chosen],
        labels=corpus.labels[torch.tensor(chosen, dtype=torch.long)],
    )
