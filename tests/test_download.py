"""Bounded downloads: a served file arrives whole, a server that never answers is cut off by
the timeout, offline mode fails at once with the files and the folder, and no partial file or
folder is left behind. Servers run on 127.0.0.1 only, in threads that stop by themselves."""

from __future__ import annotations

import time

import pytest

from harness.download import DatasetUnavailable, download, fetch_into
from helpers import servers


@pytest.fixture
def file_server(tmp_path):
    served = tmp_path / "served"
    served.mkdir()
    (served / "edges.txt").write_text("0 1\n1 2\n")
    with servers.serving(served) as url:
        yield url


@pytest.fixture
def silent_server():
    with servers.silent("/data.zip", lifetime=30) as url:
        yield url


def test_download_fetches_a_whole_file(file_server, tmp_path):
    target = download(f"{file_server}/edges.txt", tmp_path / "out" / "edges.txt", timeout=5)
    assert target.read_text() == "0 1\n1 2\n"
    assert [p.name for p in target.parent.iterdir()] == ["edges.txt"]


def test_unresponsive_server_is_cut_off_and_leaves_nothing(silent_server, tmp_path):
    folder = tmp_path / "root" / "mydata"
    start = time.monotonic()
    with pytest.raises(DatasetUnavailable) as error:
        fetch_into("mydata", folder, ["data.zip"], lambda staging: download(silent_server, staging / "data.zip", timeout=1))
    assert time.monotonic() - start < 20
    assert "data.zip" in str(error.value) and str(folder) in str(error.value) and "timed out" in str(error.value)
    assert not folder.exists() and list((tmp_path / "root").iterdir()) == []


def test_missing_server_fails_fast_with_the_files_to_place(tmp_path):
    url = servers.refused_url("/a")
    folder = tmp_path / "mydata"
    with pytest.raises(DatasetUnavailable, match="a.txt, b.txt"):
        fetch_into("mydata", folder, ["a.txt", "b.txt"], lambda s: download(url, s / "a.txt", timeout=5))
    assert not folder.exists()


def test_offline_mode_does_not_try(tmp_path, monkeypatch):
    monkeypatch.setenv("HARNESS_OFFLINE", "1")
    called = []
    with pytest.raises(DatasetUnavailable, match="Place them there"):
        fetch_into("mydata", tmp_path / "mydata", ["a.txt"], lambda staging: called.append(staging))
    assert called == []


def test_staged_fetch_is_renamed_into_place_only_when_complete(file_server, tmp_path):
    folder = tmp_path / "mydata"
    fetch_into("mydata", folder, ["edges.txt"], lambda staging: download(f"{file_server}/edges.txt", staging / "edges.txt", timeout=5))
    assert (folder / "edges.txt").is_file()
    incomplete = tmp_path / "other"
    with pytest.raises(DatasetUnavailable, match="the download lacks labels.txt"):
        fetch_into("other", incomplete, ["edges.txt", "labels.txt"], lambda staging: download(f"{file_server}/edges.txt", staging / "edges.txt", timeout=5))
    assert not incomplete.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["mydata", "served"]


def test_present_files_need_no_fetch(tmp_path):
    (tmp_path / "mydata").mkdir()
    (tmp_path / "mydata" / "a.txt").write_text("x")
    assert fetch_into("mydata", tmp_path / "mydata", ["a.txt"], None) == tmp_path / "mydata"
