"""Dataset metadata tables: rows become dataset declarations; malformed rows are refused."""

import pytest

from harness.metadata import dataset_components, read_table


def test_rows_become_components():
    rows = [{"name": "toy", "task_type": "node-classification", "metric": "acc", "factory": "m:f", "doc": "A toy.", "nodes": "34", "provides": "text|sequence", "source": "made up"}]
    (component,) = dataset_components(rows)
    assert component.task_type == "node-classification" and component.provides == {"text", "sequence"}
    assert component.metadata == {"metric": "acc", "nodes": 34, "source": "made up"}


def test_the_synthetic_plugin_table_is_not_needed_but_real_tables_load(harness_registry):
    # Every dataset declared through a table has a metric and a task type.
    for component in harness_registry.components["dataset"].values():
        assert component.metadata.get("metric"), component.name


def test_missing_required_column_is_refused(tmp_path, monkeypatch):
    package = tmp_path / "fake_table_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "datasets.csv").write_text("name,task_type,metric,factory,doc\ntoy,node-classification,,m:f,A toy.\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ValueError, match="lacks \\['metric'\\]"):
        read_table("fake_table_pkg")


def test_fixed_arguments_reach_the_factory_but_not_the_parameters():
    from harness import Component

    rows = [{"name": "toy", "task_type": "node-classification", "metric": "acc", "factory": "builtins:dict", "doc": "A toy."}]
    (component,) = dataset_components(rows, arguments=lambda row: {"name": row["name"]})
    assert component.load()(root="/data") == {"name": "toy", "root": "/data"}
    assert component.params == () and component.arguments == {"name": "toy"}
    assert Component(kind="method", name="m", factory="builtins:dict", doc="d").load() is dict
