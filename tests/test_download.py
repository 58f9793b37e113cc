"""Bounded downloads: a served file arrives whole, a server that never answers is cut off by
the timeout, offline mode fails at once with the files and the folder, and no partial file or
folder is left behind. Servers run on 127.0.0.1 only, in threads that stop by themselves."""

from __future__ import annotations

import gzip
import hashlib
import time

import pytest

from harness.download import DatasetUnavailable, RemoteFile, download, ensure_files, fetch_into, remote_files
from helpers import servers


@pytest.fixture(autouse=True)
def online(monkeypatch):
    """Every server here is on loopback: let the fetches happen."""
    monkeypatch.delenv("HARNESS_OFFLINE", raising=False)


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


# ---- loose files named in a datasets.csv row (ensure_files) ----

SOURCE = "https://example.org/data/edges.txt"


def _remotes(*entries):
    return [RemoteFile(name, url, digest) for name, url, digest in entries]


def test_remote_files_are_read_from_a_table_row():
    row = {"name": "d", "file": "a.txt|b.txt.gz", "url": "https://x/a.txt|https://x/b.txt", "sha256": "|ab"}
    assert remote_files(row) == _remotes(("a.txt", "https://x/a.txt", ""), ("b.txt.gz", "https://x/b.txt", "ab"))
    assert remote_files({"name": "d", "file": "a.txt", "url": ""}) == []
    with pytest.raises(ValueError, match="2 file"):
        remote_files({"name": "d", "file": "a.txt|b.txt", "url": "https://x/a.txt"})


def test_fetch_is_opt_in_and_refused_offline(tmp_path, monkeypatch):
    remotes = _remotes(("edges.txt", SOURCE, ""))
    with pytest.raises(DatasetUnavailable, match="example.org instead, give the dataset the parameter download: true"):
        ensure_files("d", tmp_path / "d", remotes, False, "d: edges.txt is missing.")
    monkeypatch.setenv("HARNESS_OFFLINE", "1")
    with pytest.raises(DatasetUnavailable, match="while HARNESS_OFFLINE is set"):
        ensure_files("d", tmp_path / "d", remotes, True, "d: edges.txt is missing.")
    assert list(tmp_path.iterdir()) == []


def test_a_pinned_file_arrives_verified_through_the_mirror(tmp_path, monkeypatch):
    content = b"0 1\n1 2\n"
    served = tmp_path / "mirror"
    servers.publish(served, SOURCE, content)
    with servers.mirror(served, monkeypatch):
        folder = ensure_files("d", tmp_path / "root" / "d", _remotes(("edges.txt", SOURCE, hashlib.sha256(content).hexdigest())), True, "")
    assert (folder / "edges.txt").read_bytes() == content


def test_a_file_that_is_not_the_pinned_one_is_refused_and_removed(tmp_path, monkeypatch):
    served = tmp_path / "mirror"
    servers.publish(served, SOURCE, b"0 1\n")
    root = tmp_path / "root"
    with servers.mirror(served, monkeypatch), pytest.raises(DatasetUnavailable, match="expected 00ff: not the pinned file"):
        ensure_files("d", root / "d", _remotes(("edges.txt", SOURCE, "00ff")), True, "d: edges.txt is missing.")
    assert not root.exists()


def test_compression_follows_the_file_name(tmp_path, monkeypatch):
    served = tmp_path / "mirror"
    servers.publish(served, "https://example.org/plain.txt", b"plain\n")
    servers.publish(served, "https://example.org/packed.txt.gz", gzip.compress(b"packed\n"))
    remotes = _remotes(("plain.txt.gz", "https://example.org/plain.txt", ""), ("packed.txt", "https://example.org/packed.txt.gz", ""))
    with servers.mirror(served, monkeypatch):
        folder = ensure_files("d", tmp_path / "d", remotes, True, "")
    assert gzip.decompress((folder / "plain.txt.gz").read_bytes()) == b"plain\n"
    assert (folder / "packed.txt").read_bytes() == b"packed\n"


def test_a_failed_second_file_takes_the_first_back_and_spares_other_files(tmp_path, monkeypatch):
    served = tmp_path / "mirror"
    servers.publish(served, "https://example.org/a.txt", b"a\n")  # b.txt is not served: 404
    shared = tmp_path / "root" / "graphs"
    shared.mkdir(parents=True)
    (shared / "other.txt").write_text("another dataset's file")
    remotes = _remotes(("a.txt", "https://example.org/a.txt", ""), ("b.txt", "https://example.org/b.txt", ""))
    with servers.mirror(served, monkeypatch), pytest.raises(DatasetUnavailable, match="b.txt failed: HTTP Error 404"):
        ensure_files("d", shared, remotes, True, "d: a.txt, b.txt are missing.")
    assert sorted(p.name for p in shared.iterdir()) == ["other.txt"]


def test_nothing_is_fetched_into_a_read_only_root(tmp_path, monkeypatch):
    root = tmp_path / "root"
    root.mkdir()
    root.chmod(0o555)
    try:
        monkeypatch.delenv("HARNESS_OFFLINE", raising=False)
        with pytest.raises(DatasetUnavailable, match="read-only data root"):
            ensure_files("d", root / "d", _remotes(("edges.txt", SOURCE, "")), True, "d: edges.txt is missing.")
        monkeypatch.setenv("HARNESS_SHARED_DATA", str(tmp_path))
        with pytest.raises(DatasetUnavailable, match="shared data folder"):
            ensure_files("d", tmp_path / "elsewhere", _remotes(("edges.txt", SOURCE, "")), True, "d: edges.txt is missing.")
    finally:
        root.chmod(0o755)
