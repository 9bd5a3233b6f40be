"""The default demo (`simobjs` with no script)."""

import shutil
import subprocess

import pytest
from clirun import simobjs

from simobjs.demo.demo import GUEST_SOURCE, expected_output, kvm_problem


def test_demo_config_only_reference_variant(tmp_path):
    out = simobjs("-q", "--config-only", "-d", "o", "demo", "--reference-only", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "reference CPU (X86AtomicSimpleCPU) alone" in out.stdout
    ini = (tmp_path / "o" / "config.ini").read_text()
    assert "type=BaseAtomicSimpleCPU" in ini and "X86KvmCPU" not in ini
    assert "mode=I8259Slave" in ini and "object_file=" in ini


def test_demo_config_only_default(tmp_path):
    out = simobjs("-q", "--config-only", "-d", "o", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    ini = (tmp_path / "o" / "config.ini").read_text()
    if kvm_problem() is None:
        assert "type=X86KvmCPU" in ini and "[system.switch_cpus]" in ini
        assert "[system.kvm_vm]" in ini
    else:
        assert "REFERENCE-CPU-ONLY" in out.stdout and "remedy:" in out.stdout
        assert "X86KvmCPU" not in ini


def test_kvm_problem_names_the_device(tmp_path):
    missing = str(tmp_path / "kvm")
    assert "does not exist" in kvm_problem(missing)
    assert "cannot be opened read-write" in kvm_problem(str(tmp_path))  # a directory


NATIVE_HEADER = """
#include <stdio.h>
#include <stdint.h>
#include <stddef.h>
static inline void m5_switch_cpu(void) {}
static inline void m5_checkpoint(unsigned long d, unsigned long p) { (void)d; (void)p; }
"""


def test_expected_output_matches_the_guest_program_built_natively(tmp_path):
    cc = shutil.which("gcc")
    if cc is None:
        pytest.skip("gcc not installed")
    (tmp_path / "simobjs.h").write_text(NATIVE_HEADER)
    exe = tmp_path / "demo_native"
    subprocess.run([cc, "-O2", f"-I{tmp_path}", str(GUEST_SOURCE), "-o", str(exe)], check=True)
    out = subprocess.run([str(exe)], capture_output=True, text=True, check=True).stdout
    assert out == expected_output()
