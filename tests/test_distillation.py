"""The distillation family (``harness_distillation``, issue 13): the teacher stage shared by every
student and seed, KD at temperature 1 without hard labels is BAN, LTD's temperatures (negative
allowed, never smaller than 1e-4 in magnitude) and their gradient through the student's
differentiable step (against finite differences), the student's step blind to the ``meta``
labels, validation labels in no loss."""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

HELPERS = Path(__file__).parent / "helpers"
TOY = HELPERS / "ltd_toy_plugin.py"
sys.path.insert(0, str(HELPERS))
import ltd_toy_plugin  # noqa: E402

TINY_GCN = {"name": "gcn", "params": {"hidden": 16, "dropout": 0.5}}
#: the toy is not in the reference's table of tuned settings: every student setting is given
STUDENT = {"lr": 0.002, "lam": 1.0, "epochs": 40, "patience": 0, "teacher_epochs": 40, "teacher_patience": 0}
LTD = {**STUDENT, "temperature_lr": 0.002, "scale": 2.0, "warmup": 5}


def _run(harness_run, tmp_path, methods, seeds=2, dataset="ltd-toy", **settings):
    grid = {"name": "distill", "seeds": seeds, "datasets": [dataset], "backbones": [TINY_GCN], "methods": methods}
    return harness_run(grid, plugin_files=[TOY], cache_dir=str(tmp_path / "cache"), **settings)[1]


def _complete(records):
    failed = [(r["cell"]["method"]["name"], r.get("error")) for r in records if r["status"] != "complete"]
    assert not failed, failed
    return records


def _teacher_stages(record):
    return [stage for stage in record["stages"] if stage["name"] == "teacher"]


# -- through the harness ---------------------------------------------------------------------------


def test_the_teacher_stage_is_built_once_per_teacher_seed_and_reused_by_every_student(harness_run, tmp_path):
    teacher = {"name": "teacher", "params": {"epochs": 40, "patience": 0, "lr": 0.01, "weight_decay": 5e-4}}
    students = [{"name": name, "params": {**params, "teacher_lr": 0.01, "teacher_weight_decay": 5e-4}} for name, params in
                (("kd", {**STUDENT, "temperature": 2.0}), ("ban", {k: v for k, v in STUDENT.items() if k != "lam"}), ("ltd", LTD))]
    records = _complete(_run(harness_run, tmp_path, [teacher, *students]))
    for seed in (0, 1):
        stages = [stage for r in records if r["cell"]["seed"] == seed for stage in _teacher_stages(r)]
        assert len(stages) == 4 and len({stage["key"] for stage in stages}) == 1  # the teacher row's and three students'
        assert [stage["status"] for stage in stages].count("built") == 1
    assert len({stage["key"] for r in records for stage in _teacher_stages(r)}) == 2  # one teacher per seed
    (ltd,) = [r for r in records if r["cell"]["method"]["name"] == "ltd" and r["cell"]["seed"] == 0]
    assert len(ltd["extra"]["traces"]["temperature"]) == len(ltd["curve"])


def test_one_teacher_seed_serves_every_student_seed(harness_run, tmp_path):
    shared = {**STUDENT, "temperature": 2.0, "teacher_lr": 0.01, "teacher_weight_decay": 5e-4, "teacher_seed": 0}
    records = _complete(_run(harness_run, tmp_path, [{"name": "kd", "params": shared}], seeds=3))
    stages = [stage for r in records for stage in _teacher_stages(r)]
    assert len({stage["key"] for stage in stages}) == 1 and [stage["status"] for stage in stages].count("built") == 1


def test_kd_at_temperature_one_without_hard_labels_trains_exactly_as_ban(harness_run, tmp_path):
    common = {k: v for k, v in STUDENT.items() if k != "lam"}
    kd = {"name": "kd", "params": {**common, "temperature": 1.0, "lam": 0.0, "teacher_lr": 0.01, "teacher_weight_decay": 5e-4}}
    ban = {"name": "ban", "params": {**common, "teacher_lr": 0.01, "teacher_weight_decay": 5e-4}}
    records = _complete(_run(harness_run, tmp_path, [kd, ban], seeds=1))
    curves = {r["cell"]["method"]["name"]: [point["train_loss"] for point in r["curve"]] for r in records}
    assert curves["kd"] == curves["ban"] and len(curves["kd"]) == STUDENT["epochs"]
    assert len({r["test"] for r in records}) == 1


def test_validation_labels_enter_no_loss(harness_run, tmp_path):
    """A teacher of one epoch (nothing for validation to choose) and students without early
    stopping train identically whatever the validation labels say."""
    curves = {}
    for shuffled in (False, True):
        dataset = {"name": "ltd-toy", "params": {"shuffle_valid_labels": shuffled}}
        methods = [{"name": "kd", "params": {**STUDENT, "temperature": 2.0, "teacher_epochs": 1, "teacher_lr": 0.01, "teacher_weight_decay": 0.0}},
                   {"name": "ltd", "params": {**LTD, "teacher_epochs": 1, "teacher_lr": 0.01, "teacher_weight_decay": 0.0}}]
        grid = {"name": "distill", "seeds": 1, "datasets": [dataset], "backbones": [TINY_GCN], "methods": methods}
        records = _complete(harness_run(grid, plugin_files=[TOY], cache_dir=str(tmp_path / f"cache-{shuffled}"), results_dir=str(tmp_path / f"results-{shuffled}"))[1])
        curves[shuffled] = {r["cell"]["method"]["name"]: ([p["train_loss"] for p in r["curve"]], [p["valid"] for p in r["curve"]]) for r in records}
    for method in ("kd", "ltd"):
        assert curves[False][method][0] == curves[True][method][0]  # the same training, step by step
        assert curves[False][method][1] != curves[True][method][1]  # while validation saw other labels


def test_settings_left_null_for_a_graph_the_reference_never_tuned_are_named(harness_run, tmp_path):
    (record,) = _run(harness_run, tmp_path, [{"name": "kd", "params": {"epochs": 2, "teacher_epochs": 2}}], seeds=1)
    assert record["status"] == "failed"
    assert "no tuned student setting for (ltd-toy, gcn)" in record["error"] and "cora, gcn" in record["error"]


def test_ltd_needs_the_meta_split(harness_run, tmp_path):
    grid = {"name": "distill", "seeds": 1, "datasets": ["synthetic-node"], "backbones": [TINY_GCN], "methods": [{"name": "ltd", "params": {**LTD, "teacher_lr": 0.01, "teacher_weight_decay": 0.0}}]}
    (record,) = harness_run(grid)[1]
    assert record["status"] == "failed" and "split: ltd" in record["error"]


# -- the pieces, without the harness ---------------------------------------------------------------


def _gcn(**params):
    from harness.registry import load_registry
    from harness.worker import BackboneFactory

    _, registry = load_registry(())
    return BackboneFactory(registry.get("backbone", "gcn"), {"num_layers": 2, "hidden": 8, "dropout": 0.0, "activation": "relu", "norm": "none", "residual": False, **params}, "node-classification")


def _student(dtype=torch.float32, lam=1.0, lr=0.01):
    from harness_distillation.student import Student, StudentSettings

    task = ltd_toy_plugin.load(".").method_view()
    task.data = task.data.clone()
    task.data.x = task.data.x.to(dtype)
    torch.manual_seed(0)
    teacher_logits = torch.randn(task.data.num_nodes, task.num_outputs, dtype=dtype) * 3
    context = SimpleNamespace(device="cpu", track=lambda *modules: None)
    student = Student(task, _gcn(), teacher_logits, StudentSettings(epochs=5, patience=0, lr=lr, lam=lam), context)
    student.model.to(dtype)
    return task, student


def _temperatures(student, task, dtype=torch.float32, dropout=0.0, scale=2.0):
    from harness_distillation.ltd import LearnedTemperatures, LtdSettings
    from harness_distillation.temperatures import neighbourhood_entropy

    settings = LtdSettings(temperature_lr=0.01, scale=scale, warmup=0, dropout=dropout)
    entropy = neighbourhood_entropy(student.teacher_logits, student.inputs[1])
    temperatures = LearnedTemperatures(student, entropy, settings, task.items["meta"], task.labels["meta"])
    temperatures.model.to(dtype)
    return temperatures


def _unrolled_meta_loss(student, temperatures):
    from harness_distillation.soft_targets import distillation_loss

    parameters = student.parameters()
    logits = student.logits(parameters)
    loss = distillation_loss(logits, student.teacher_logits, temperatures(logits), student.train_items, student.train_labels, student.settings.lam)
    return temperatures.meta_loss(student.stepped(loss, parameters, differentiable=True))


def _at(weight, index, value, evaluate):
    with torch.no_grad():
        weight[index] = value
    return evaluate()


def test_the_temperature_model_gets_the_meta_loss_gradient_through_the_step_as_finite_differences_say():
    task, student = _student(torch.float64)
    temperatures = _temperatures(student, task, torch.float64)
    parameters = list(temperatures.model.parameters())
    grads = torch.autograd.grad(_unrolled_meta_loss(student, temperatures), parameters)
    assert all(torch.isfinite(g).all() for g in grads) and sum(float(g.abs().sum()) for g in grads) > 0
    weight, grad = parameters[0], grads[0]  # the first layer's weight, a few entries
    for index in [(0, 0), (3, 5), (10, task.num_outputs + 1)]:
        original = weight[index].item()
        above = _at(weight, index, original + 1e-6, lambda: _unrolled_meta_loss(student, temperatures).item())
        below = _at(weight, index, original - 1e-6, lambda: _unrolled_meta_loss(student, temperatures).item())
        _at(weight, index, original, lambda: None)
        assert (above - below) / 2e-6 == pytest.approx(grad[index].item(), rel=1e-4, abs=1e-8)


def test_temperatures_may_be_negative_and_are_never_smaller_than_1e_4_in_magnitude():
    from harness_distillation.temperatures import SMALLEST, TemperatureModel

    model = TemperatureModel(num_classes=3, scale=2.0, dropout=0.0)
    logits, entropy = torch.randn(500, 3) * 4, torch.rand(500)
    with torch.no_grad():
        model.out.bias.fill_(-1.0)  # sigmoids around 0.27 and below: both signs of (s - 0.2)
    temperatures = model(logits, entropy)
    assert (temperatures < 0).any() and (temperatures > 0).any()
    assert temperatures.abs().min() >= SMALLEST
    with torch.no_grad():  # every sigmoid exactly 0.2: every temperature would be 0
        model.out.weight.zero_()
        model.out.bias.fill_(torch.logit(torch.tensor(0.2)).item())
    assert torch.equal(model(logits, entropy), torch.full((500,), SMALLEST))


def test_the_students_step_does_not_read_the_meta_labels_and_the_temperature_step_does():
    """One epoch after the warm-up with the ``meta`` labels as they are and permuted: the student
    ends with the same weights (its step comes before the temperatures learn), the temperature
    model with other weights."""
    outcomes = []
    for permute in (False, True):
        task, student = _student()
        temperatures = _temperatures(student, task)
        if permute:
            temperatures.meta_labels = temperatures.meta_labels.roll(1)
        torch.manual_seed(3)
        temperatures.epoch(epoch=0)
        outcomes.append(({k: v.detach().clone() for k, v in student.parameters().items()}, [p.detach().clone() for p in temperatures.model.parameters()]))
    (student_a, temperature_a), (student_b, temperature_b) = outcomes
    assert all(torch.equal(student_a[name], student_b[name]) for name in student_a)
    assert not all(torch.equal(a, b) for a, b in zip(temperature_a, temperature_b))


def test_neighbourhood_entropy_is_the_entropy_of_the_mean_neighbour_prediction():
    from harness_distillation.temperatures import SMALLEST, neighbourhood_entropy

    logits = torch.tensor([[2.0, 0.0], [0.0, 2.0], [1.0, 1.0], [3.0, -1.0]])
    edges = torch.tensor([[0, 1, 0, 2, 1, 1, 0], [1, 0, 2, 0, 0, 1, 1]])  # a duplicate and a self-loop
    entropy = neighbourhood_entropy(logits, edges)
    probabilities = logits.softmax(-1)
    for node, neighbours in {0: [1, 2], 1: [0], 2: [0]}.items():
        mean = probabilities[neighbours].mean(0)
        assert entropy[node].item() == pytest.approx(float(-(mean * mean.log()).sum()))
    assert entropy[3].item() == pytest.approx(SMALLEST)  # no neighbour


# -- the published numbers ------------------------------------------------------------------------


def test_ltds_published_accuracies_load_each_matched_to_a_distillation_row():
    """LTD's protocol differs from the public splits, so its numbers live beside its tables
    (``leaderboards/distill/submissions``), each naming its source and the row it compares to."""
    from harness.registry import load_registry
    from harness.submissions import load_submissions, submitted_datasets

    folder = Path(__file__).resolve().parent.parent / "leaderboards" / "distill" / "submissions"
    _, registry = load_registry(())
    datasets = submitted_datasets(folder)
    assert set(datasets) == {"cora", "citeseer", "pubmed", "amazon-computers", "amazon-photo"}
    for dataset in datasets:
        entries = load_submissions(folder, dataset)
        assert {(e.match["backbone"], e.match["method"]) for e in entries if e.match["method"] == "ltd"} == {("gcn", "ltd"), ("gat", "ltd")}
        for entry in entries:
            assert "Guo et al." in entry.source and entry.references == ["https://github.com/BUPT-GAMMA/LTD"]
            assert registry.get("method", entry.match["method"]) and registry.get("backbone", entry.match["backbone"])
            assert 0.7 < entry.test.mean < 0.95 and entry.test.std is None  # no spread was published
