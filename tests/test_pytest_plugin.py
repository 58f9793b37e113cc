"""The fixtures the harness ships for plugin authors (pytest11 entry point)."""

import pytest

from harness.pytest_plugin import TINY_DATASETS


@pytest.mark.parametrize("task_type", sorted(TINY_DATASETS))
def test_tiny_task_of_every_family(tiny_task, task_type):
    task = tiny_task(task_type)
    assert task.task_type == task_type
    assert set(task.items) == {"train", "valid", "test"}
    for split in ("train", "valid", "test"):
        assert task.items[split].size(-1) == len(task.labels[split]) > 0


def test_tiny_task_refuses_unknown_family(tiny_task):
    with pytest.raises(ValueError, match="valid: node-classification"):
        tiny_task("edge-regression")


def test_results_dir_and_registry_fixtures(harness_results_dir, harness_registry):
    assert harness_results_dir.is_dir() and not any(harness_results_dir.iterdir())
    assert "supervised" in harness_registry.names("method")


def test_plugin_is_registered_through_pytest11(pytestconfig):
    assert pytestconfig.pluginmanager.has_plugin("harness")


def test_link_candidates_are_not_ordered_by_label(tiny_task):
    task = tiny_task("link-prediction")
    for split in ("valid", "test"):
        labels = task.labels[split]
        assert 0 < labels.sum() < len(labels)
        assert not labels.equal(labels.sort(descending=True).values)  # not all positives first
