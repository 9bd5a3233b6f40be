"""gem5's -m: run a library module as the script."""

import os
import subprocess
import sys

from clirun import env

MODULE = """
import sys
import m5
print("name", __name__, "argv", sys.argv, "outdir", m5.options.outdir)
sys.exit(int(sys.argv[-1]))
"""


def run(tmp_path, *args):
    e = env()
    e["PYTHONPATH"] = str(tmp_path) + os.pathsep + e["PYTHONPATH"]
    return subprocess.run(
        [sys.executable, "-m", "simobjs.cli", "-q", *args],
        cwd=tmp_path,
        env=e,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_module_runs_as_m5_main_with_the_rest_as_argv(tmp_path):
    (tmp_path / "mymod.py").write_text(MODULE)
    out = run(tmp_path, "-d", "o", "-m", "mymod", "-d", "x", "3")
    assert out.returncode == 3, out.stderr  # its sys.exit code
    # options after -m belong to the module (gem5: -m terminates the option list)
    assert "name __m5_main__ argv ['mymod', '-d', 'x', '3'] outdir o" in out.stdout


def test_a_missing_module_is_an_error(tmp_path):
    out = run(tmp_path, "-m", "no_such_module_here")
    assert out.returncode == 1, out.stderr
    assert out.stderr == "fatal: No module named 'no_such_module_here'\n"  # not a bug report
    gem5 = run(tmp_path, "-m", "gem5.utils.simpoint")  # a module simobjs's gem5 does not have
    assert gem5.returncode == 1 and "fatal: No module named 'gem5.utils.simpoint'" in gem5.stderr
    assert "SimPoint probes are not modelled" in gem5.stderr
    assert run(tmp_path, "-m").returncode == 2  # no module name
