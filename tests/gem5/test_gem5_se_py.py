"""gem5's own configs/deprecated/example/se.py, unmodified, with gem5's
configs/common, through the simobjs command: every option combination of
test_se_classic.py, against the program's native output and exit status.

gem5's files are not part of this project: these tests run when the environment
variable GEM5_CONFIGS names a gem5 configs tree (e.g. one extracted with
`git -C gem5 archive v24.0.0.1 configs | tar -x -C /tmp/g5` and
GEM5_CONFIGS=/tmp/g5/configs), and are skipped otherwise. That is the only skip
here; test_se_classic.py runs the same paths in every environment."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import se_options as so

CONFIGS = os.environ.get("GEM5_CONFIGS", "")
pytestmark = [
    pytest.mark.kvm,
    pytest.mark.skipif(not CONFIGS, reason="GEM5_CONFIGS does not name a gem5 configs tree"),
]


@pytest.fixture
def se_py() -> Path:
    path = Path(CONFIGS) / "deprecated" / "example" / "se.py"
    if not path.is_file():
        path = Path(CONFIGS) / "example" / "se.py"  # gem5 before v23
    assert path.is_file(), f"GEM5_CONFIGS={CONFIGS} has no se.py"
    return path


def _fast_forward_fails_in_gem5_itself(se_py: Path) -> bool:
    """gem5 v23.1 and v24's Simulation.setCPUClass binds the (class, mode) pair
    getCPUClass returns to the class, so se.py -F stops at `CPUClass.numThreads` with
    an AttributeError in gem5 as well."""
    sim = (se_py.parents[2] / "common" / "Simulation.py").read_text()
    return bool(re.search(r"TmpClass = getCPUClass\(", sim))


def test_kvm_with_options(se_py, tmp_path):
    so.kvm(se_py, tmp_path)


def test_kvm_two_cpus_and_a_memory_size(se_py, tmp_path):
    so.kvm_two_cpus_small_memory(se_py, tmp_path)


def test_atomic(se_py, tmp_path):
    so.atomic(se_py, tmp_path)


def test_timing_with_l1_and_l2_caches(se_py, tmp_path):
    so.timing_caches_l2(se_py, tmp_path)


def test_checkpoint_at_end_then_restore(se_py, tmp_path):
    so.checkpoint_at_end_then_restore(se_py, tmp_path)


def test_fast_forward(se_py, tmp_path):
    if _fast_forward_fails_in_gem5_itself(se_py):
        out = tmp_path / "m5out"
        proc = so.simobjs(
            se_py, out, "--cpu-type", "X86TimingSimpleCPU", "--caches", "-F", str(so.FF),
            "-c", so.program(),
        )  # fmt: skip
        assert proc.returncode == 1
        assert "AttributeError: 'tuple' object has no attribute 'numThreads'" in proc.stderr
        return
    total = so.atomic(se_py, tmp_path / "atomic")
    so.fast_forward(se_py, tmp_path / "ff", total)


def test_gem5s_x86_hello(se_py, tmp_path):
    """gem5's tests/test-progs/hello/bin/x86/linux/hello, when GEM5_HELLO names it."""
    hello = os.environ.get("GEM5_HELLO", "")
    if not hello:
        hello = str(so.program())  # the same calls, with the project's program
    for cpu, extra in [
        ("X86KvmCPU", []),
        ("X86AtomicSimpleCPU", []),
        ("X86TimingSimpleCPU", ["--caches", "--l2cache"]),
    ]:
        out = tmp_path / cpu
        proc = so.simobjs(se_py, out, "--cpu-type", cpu, *extra, "-c", hello)
        if os.environ.get("GEM5_HELLO"):
            assert proc.returncode == 0, proc.stderr[-3000:]
            assert so.program_output(proc.stdout) == "Hello world!\n"
        else:
            so.check_run(proc, out, hello, [])


@pytest.mark.parametrize(
    "options, message",
    [
        (["--ruby"], "Ruby is not modelled by simobjs"),
        (["--memchecker", "--caches"], "MemChecker is a gem5 object not modelled by simobjs"),
        (["--standard-switch", "1000", "--caches"], "DerivO3CPU is a gem5 object not modelled"),
        (["--external-memory-system", "tlm"], "ExternalSlave is a gem5 object not modelled"),
        (["--interp-dir", "/"], "dynamically linked SE programs are not supported"),
        (["--wait-gdb"], "remote GDB is not supported by simobjs"),
    ],
)
def test_out_of_scope_options_say_so(se_py, tmp_path, options, message):
    proc = so.simobjs(se_py, tmp_path / "m5out", *options, "-c", so.program())
    assert proc.returncode == 1
    assert "fatal: " in proc.stderr and message in proc.stderr, proc.stderr[-2000:]
    assert "NameError" not in proc.stderr and "Traceback" not in proc.stderr
