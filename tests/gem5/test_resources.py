"""gem5.resources resolved only from local files: gem5's source precedence,
version choice, md5 checks, copies to to_path, workloads and suites, and the
errors for what cannot be found without a download."""

import gzip
import hashlib
import json
import os

import pytest

from gem5.resources import client
from gem5.resources.resource import (
    BinaryResource,
    CheckpointResource,
    DiskImageResource,
    SuiteResource,
    WorkloadResource,
    obtain_resource,
)
from gem5.resources.workload import CustomWorkload


@pytest.fixture
def env(monkeypatch, tmp_path):
    for key in ("GEM5_RESOURCE_JSON", "GEM5_RESOURCE_JSON_APPEND", "GEM5_CONFIG"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("GEM5_RESOURCE_DIR", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    return monkeypatch


def entry(rid, version="1.0.0", gem5=("24.0",), **more):
    return {
        "category": "binary",
        "id": rid,
        "resource_version": version,
        "gem5_versions": list(gem5),
        "architecture": "X86",
        **more,
    }


def write_json(path, entries):
    path.write_text(json.dumps(entries))
    return path


def md5_of(path):
    return hashlib.md5(path.read_bytes()).hexdigest()


def test_a_binary_from_GEM5_RESOURCE_JSON_by_relative_path_and_file_url(env, tmp_path):
    (tmp_path / "bins").mkdir()
    binary = tmp_path / "bins" / "hello"
    binary.write_bytes(b"\x7fELF fake")
    listing = write_json(
        tmp_path / "resources.json",
        [
            entry("x86-hello", url="bins/hello", md5sum=md5_of(binary)),
            entry("x86-hello-url", url=f"file://{binary}"),
        ],
    )
    env.setenv("GEM5_RESOURCE_JSON", str(listing))
    res = obtain_resource("x86-hello")
    assert isinstance(res, BinaryResource)
    assert res.get_local_path() == str(binary) and res.get_id() == "x86-hello"
    assert res.get_architecture().name == "X86" and res.get_resource_version() == "1.0.0"
    assert obtain_resource("x86-hello-url").get_local_path() == str(binary)
    assert not (tmp_path / "cache").exists()  # used in place: nothing copied


def test_the_newest_version_for_this_gem5_unless_a_version_is_asked(env, tmp_path):
    for v in ("a", "b", "c", "d"):
        (tmp_path / v).write_text(v)
    listing = write_json(
        tmp_path / "r.json",
        [
            entry("prog", "1.9.0", url="a"),
            entry("prog", "1.10.0", url="b"),
            entry("prog", "3.0.0", gem5=("23.1",), url="c"),
            entry("prog", "2.0.0", gem5=("23.0", "24.0"), url="d"),
        ],
    )
    env.setenv("GEM5_RESOURCE_JSON", str(listing))
    assert obtain_resource("prog").get_local_path().endswith("/d")
    assert obtain_resource("prog", resource_version="1.10.0").get_local_path().endswith("/b")
    assert obtain_resource("prog", gem5_version="23.1.0.0").get_local_path().endswith("/c")
    with pytest.raises(Exception, match=r"3\.0\.0 \(gem5 23\.1\)"):
        obtain_resource("prog", resource_version="3.0.0")


def test_an_unknown_id_names_it_and_the_sources_looked_in(env, tmp_path):
    listing = write_json(tmp_path / "r.json", [])
    env.setenv("GEM5_RESOURCE_JSON_APPEND", str(listing))
    with pytest.raises(Exception) as err:
        obtain_resource("x86-ubuntu-24.04-img")
    text = str(err.value)
    assert "'x86-ubuntu-24.04-img' not found" in text
    assert f"GEM5_RESOURCE_JSON_APPEND ({listing})" in text and "never downloads" in text


def test_a_web_url_is_satisfied_only_by_a_local_copy_with_the_right_md5(env, tmp_path):
    listing = write_json(
        tmp_path / "r.json",
        [
            entry(
                "remote",
                url="https://example.invalid/remote",
                md5sum=hashlib.md5(b"ok").hexdigest(),
            )
        ],
    )
    env.setenv("GEM5_RESOURCE_JSON", str(listing))
    with pytest.raises(Exception) as err:
        obtain_resource("remote")
    assert "web URL" in str(err.value) and str(tmp_path / "cache" / "remote") in str(err.value)
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / "remote").write_bytes(b"ok")
    assert obtain_resource("remote").get_local_path() == str(tmp_path / "cache" / "remote")
    (tmp_path / "cache" / "remote").write_bytes(b"stale")
    with pytest.raises(Exception, match="wrong md5"):
        obtain_resource("remote")


def test_a_web_resources_json_is_refused_with_a_warning(env, capsys):
    env.setenv("GEM5_RESOURCE_JSON", "https://resources.example.invalid/resources.json")
    with pytest.raises(Exception, match="not found"):
        obtain_resource("anything")
    assert "never downloads" in capsys.readouterr().err


def test_md5_mismatch_and_missing_files_are_errors(env, tmp_path):
    (tmp_path / "bin").write_bytes(b"one")
    listing = write_json(
        tmp_path / "r.json",
        [entry("bad", url="bin", md5sum="0" * 32), entry("gone", url="missing")],
    )
    env.setenv("GEM5_RESOURCE_JSON", str(listing))
    with pytest.raises(Exception, match=r"md5 of .*bin' is [0-9a-f]{32}, its entry says 0{32}"):
        obtain_resource("bad")
    with pytest.raises(Exception, match=r"missing', which does not exist"):
        obtain_resource("gone")


def test_to_path_copies_and_unzips_as_gem5_places_downloads(env, tmp_path, capsys):
    data = b"disk image bytes"
    (tmp_path / "disk.img.gz").write_bytes(gzip.compress(data))
    listing = write_json(
        tmp_path / "r.json",
        [
            entry(
                "disk",
                category="disk-image",
                url="disk.img.gz",
                is_zipped=True,
                md5sum=hashlib.md5(data).hexdigest(),
                root_partition="1",
            )
        ],
    )
    env.setenv("GEM5_RESOURCE_JSON", str(listing))
    target = tmp_path / "out" / "disk.img"
    res = obtain_resource("disk", to_path=str(target))
    assert isinstance(res, DiskImageResource) and res.get_root_partition() == "1"
    assert target.read_bytes() == data and res.get_local_path() == str(target)
    assert "is being copied from" in capsys.readouterr().out
    # zipped and no to_path: unpacked into the resource directory (GEM5_RESOURCE_DIR)
    assert obtain_resource("disk", quiet=True).get_local_path() == str(tmp_path / "cache" / "disk")


def test_source_precedence_and_messages(env, tmp_path, capsys):
    (tmp_path / "p").write_text("x")
    a = write_json(tmp_path / "a.json", [entry("only-a", url="p")])
    b = write_json(tmp_path / "b.json", [entry("only-b", url="p")])
    config = tmp_path / "my-config.json"
    config.write_text(json.dumps({"sources": {"mine": {"url": str(a), "isMongo": False}}}))
    env.setenv("GEM5_CONFIG", str(config))
    env.setenv("GEM5_RESOURCE_JSON_APPEND", str(b))
    assert obtain_resource("only-a") and obtain_resource("only-b")
    out = capsys.readouterr().out  # inform() prints on stdout, as gem5's
    assert "Using config file specified by $GEM5_CONFIG" in out and "Appending resources" in out
    env.setenv("GEM5_RESOURCE_JSON", str(b))
    with pytest.raises(Exception, match="Both GEM5_RESOURCE_JSON and GEM5_RESOURCE_JSON_APPEND"):
        obtain_resource("only-b")
    env.delenv("GEM5_RESOURCE_JSON_APPEND")
    assert obtain_resource("only-b")
    assert "GEM5_CONFIG will be ignored" in capsys.readouterr().err
    with pytest.raises(Exception, match="not found"):
        obtain_resource("only-a")
    # ./gem5-config.json when no variable names a source
    env.delenv("GEM5_RESOURCE_JSON")
    env.delenv("GEM5_CONFIG")
    os.rename(config, tmp_path / "gem5-config.json")
    assert obtain_resource("only-a")
    assert "Using config file at" in capsys.readouterr().out
    assert client.list_resources() == {"only-a": ["1.0.0"]}


def test_no_source_at_all_says_so(env):
    with pytest.raises(Exception, match="no resource sources are configured"):
        obtain_resource("x86-hello64-static")


def test_workloads_suites_and_checkpoints(env, tmp_path):
    (tmp_path / "prog").write_text("p")
    (tmp_path / "cpt").mkdir()
    (tmp_path / "cpt" / "m5.cpt").write_text("[root]\n")
    listing = write_json(
        tmp_path / "r.json",
        [
            entry("prog", url="prog"),
            entry("cpt", category="checkpoint", url="cpt"),
            {
                "category": "workload",
                "id": "prog-run",
                "resource_version": "1.0.0",
                "gem5_versions": ["24.0"],
                "function": "set_se_binary_workload",
                "resources": {"binary": {"id": "prog", "resource_version": "1.0.0"}},
                "additional_params": {"arguments": ["-n", "3"]},
            },
            {
                "category": "suite",
                "id": "suite",
                "resource_version": "1.0.0",
                "gem5_versions": ["24.0"],
                "workloads": [
                    {"id": "prog-run", "resource_version": "1.0.0", "input_group": ["small"]}
                ],
            },
        ],
    )
    env.setenv("GEM5_RESOURCE_JSON", str(listing))
    work = obtain_resource("prog-run")
    assert isinstance(work, WorkloadResource)
    assert work.get_function_str() == "set_se_binary_workload"
    params = work.get_parameters()
    assert params["arguments"] == ["-n", "3"] and params["binary"].get_local_path().endswith("prog")
    suite = obtain_resource("suite")
    assert isinstance(suite, SuiteResource) and len(suite) == 1
    assert suite.get_input_groups() == {"small"} and len(suite.with_input_group("small")) == 1
    with pytest.raises(Exception, match="Input group big not found"):
        suite.with_input_group("big")
    cpt = obtain_resource("cpt")
    assert isinstance(cpt, CheckpointResource) and cpt.get_local_path() == str(tmp_path / "cpt")
    assert CustomWorkload("f", {"a": 1}).get_parameters() == {"a": 1}


def test_local_resources_check_their_paths(tmp_path):
    with pytest.raises(Exception, match="does not exist"):
        BinaryResource(local_path=str(tmp_path / "nope")).get_local_path()
    with pytest.raises(Exception, match="is not a file"):
        BinaryResource(local_path=str(tmp_path)).get_local_path()
    with pytest.raises(Exception, match="is not a directory"):
        (tmp_path / "f").write_text("")
        CheckpointResource(local_path=str(tmp_path / "f")).get_local_path()
