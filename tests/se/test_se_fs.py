"""The SE sandbox: paths resolve inside the root whatever they say (.., absolute
symbolic links, links out of the tree), /tmp goes to the output directory, the
synthesised files exist, and only the output directory is writable."""

from __future__ import annotations

import errno
import os

import pytest

from simobjs.se.fs import FsError, Sandbox


@pytest.fixture
def tree(tmp_path):
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "passwd").write_text("inside\n")
    (root / "sub" / "deeper").mkdir(parents=True)
    (root / "out").mkdir()
    os.symlink("/etc/passwd", root / "abs_link")  # absolute: means root/etc/passwd
    os.symlink("../../../../../../etc", root / "sub" / "up_link")
    os.symlink("loop2", root / "loop1")
    os.symlink("loop1", root / "loop2")
    (tmp_path / "secret").write_text("outside\n")
    return Sandbox(str(root), str(root / "out")), root


def test_paths_never_leave_the_root(tree):
    sb, root = tree
    real = os.path.realpath(root)
    for path in [
        "/etc/passwd",
        "../../../etc/passwd",
        "/../../etc/passwd",
        "abs_link",
        "sub/up_link/passwd",
        "sub/deeper/../../etc/./passwd",
        "/sub/../../secret",
    ]:
        r = sb.resolve("/sub", path) if not path.startswith("/") else sb.resolve("/", path)
        assert r.kind == "host"
        assert os.path.realpath(r.host).startswith(real + os.sep), (path, r.host)
    assert open(sb.resolve("/", "abs_link").host).read() == "inside\n"


def test_relative_paths_use_the_virtual_cwd(tree):
    sb, _root = tree
    assert sb.resolve("/sub/deeper", "../x").guest == "/sub/x"
    assert sb.resolve("/", ".").guest == "/"


def test_link_loops_are_eloop(tree):
    sb, _root = tree
    with pytest.raises(FsError) as info:
        sb.resolve("/", "loop1")
    assert info.value.errno == errno.ELOOP


def test_synthesised_entries(tree):
    sb, _root = tree
    assert sb.resolve("/", "/dev/null").kind == "dev"
    assert sb.resolve("/", "/dev/urandom").name == "urandom"
    assert sb.resolve("/", "/proc/self/maps", pid=7).kind == "proc"
    assert sb.resolve("/", "/proc/7/maps", pid=7).name == "maps"
    exe = sb.resolve("/", "/proc/self/exe", follow=False, exe="/bin/prog")
    assert (exe.kind, exe.name) == ("proc", "exe")
    with pytest.raises(FsError):
        sb.resolve("/", "/proc/8/maps", pid=7)


def test_only_the_output_directory_and_tmp_are_writable(tree):
    sb, root = tree
    assert not sb.resolve("/", "/etc/passwd").writable
    assert sb.resolve("/", "/out/new.txt").writable
    tmp = sb.resolve("/", "/tmp/x")
    assert tmp.writable and tmp.host.startswith(os.path.realpath(root / "out"))


def test_programs_outside_the_root_keep_their_host_name(tree, tmp_path):
    sb, _root = tree
    prog = tmp_path / "prog"
    prog.write_text("")
    name = sb.guest_path_of(str(prog))
    assert name == os.path.realpath(prog)
    assert sb.resolve("/", name).host == os.path.realpath(prog)


def test_redirect_paths_as_gem5s_redirectpath(tmp_path):
    """System.redirect_paths (configs/common/FileSystemConfig.py's /proc, /sys, /tmp):
    the first host directory holding the rest of the path, else the first one; the
    synthesised /proc/self entries stay."""
    root, out = tmp_path / "root", tmp_path / "out"
    root.mkdir()
    (out / "fs" / "proc").mkdir(parents=True)
    (out / "fs" / "proc" / "cpuinfo").write_text("processor : 0\n")
    (out / "fs" / "sys").mkdir()
    other = tmp_path / "other"
    (other / "devices").mkdir(parents=True)
    (other / "devices" / "online").write_text("0-1")
    sb = Sandbox(
        str(root),
        str(out),
        [
            ("/proc", [str(out / "fs" / "proc")]),
            ("/sys/", [str(out / "fs" / "sys"), str(other)]),
            ("/tmp", [str(out / "fs" / "tmp")]),
        ],
    )
    r = sb.resolve("/", "/proc/cpuinfo")
    assert r.kind == "host" and r.host == str((out / "fs" / "proc" / "cpuinfo").resolve())
    assert sb.resolve("/", "/proc/self/maps").kind == "proc"
    online = sb.resolve("/", "/sys/devices/online")  # only the second directory has it
    assert online.host == str((other / "devices" / "online").resolve())
    missing = sb.resolve("/", "/sys/nothing")  # nowhere: under the first directory
    assert missing.host == str((out / "fs" / "sys" / "nothing").resolve())
    tmp = sb.resolve("/", "/tmp/x")
    assert tmp.host == str((out / "fs" / "tmp" / "x").resolve()) and tmp.writable
    assert not sb.resolve("/", "/sys/devices/online").writable  # outside the outdir
