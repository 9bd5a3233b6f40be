"""The `simobjs` command: gem5.opt's options, output files, exit codes, errors."""

import json

from clirun import SCRIPT, simobjs, write

import simobjs as pkg


def test_help_lists_gem5_options(tmp_path):
    out = simobjs("--help", cwd=tmp_path)
    assert out.returncode == 0
    for opt in (
        "--outdir",
        "--redirect-stdout",
        "--redirect-stderr",
        "--stats-file",
        "--dump-config",
        "--json-config",
        "--debug-flags",
        "--debug-file",
        "--debug-start",
        "--debug-end",
        "--debug-ignore",
        "--config-only",
        "--quiet",
        "--list-objects",
        "--silent-redirect",
        "--interactive",
        "--listener-mode",
    ):
        assert opt in out.stdout


def test_version(tmp_path):
    out = simobjs("--version", cwd=tmp_path)
    assert out.returncode == 0
    assert out.stdout.strip() == f"simobjs {pkg.__version__}"


def test_list_objects(tmp_path):
    out = simobjs("--list-objects", cwd=tmp_path)
    assert out.returncode == 0
    names = out.stdout.split()
    for name in ("Root", "System", "X86KvmCPU", "KvmVM", "X86AtomicSimpleCPU", "SimpleMemory"):
        assert name in names
    assert names == sorted(names)


def test_run_writes_gem5_outputs(tmp_path):
    script = write(tmp_path / "run.py", SCRIPT)
    out = simobjs("-d", "out", str(script), "123456", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "simobjs version" in out.stdout  # the banner, as gem5's
    assert "command line: simobjs -d out" in out.stdout
    assert "Global frequency set at 1000000000000 ticks per second" in out.stdout
    assert "instantiated out" in out.stdout  # the script sees m5.options
    assert "Exiting @ tick 123456 because Tick exit reached" in out.stdout
    d = tmp_path / "out"
    assert "[root]" in (d / "config.ini").read_text()
    assert json.loads((d / "config.json").read_text())["type"] == "Root"
    stats = (d / "stats.txt").read_text()
    assert "finalTick                                      123456" in stats


def test_quiet_drops_the_banner(tmp_path):
    script = write(tmp_path / "run.py", SCRIPT)
    out = simobjs("-q", str(script), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "simobjs version" not in out.stdout
    assert (tmp_path / "m5out" / "config.ini").exists()  # the default outdir


def test_output_names(tmp_path):
    script = write(tmp_path / "run.py", SCRIPT)
    out = simobjs(
        "-q",
        "-d",
        "o",
        "--stats-file=s.txt",
        "--dump-config=c.ini",
        "--json-config=c.json",
        str(script),
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr
    d = tmp_path / "o"
    assert (d / "s.txt").exists() and (d / "c.ini").exists() and (d / "c.json").exists()
    assert not (d / "stats.txt").exists() and not (d / "config.ini").exists()
    assert "Begin Simulation Statistics" in (d / "s.txt").read_text()


def test_config_only_stops_after_the_config_files(tmp_path):
    script = write(tmp_path / "run.py", SCRIPT)
    out = simobjs("-q", "-d", "o", "--config-only", str(script), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "instantiated" not in out.stdout
    d = tmp_path / "o"
    assert (d / "config.ini").exists() and (d / "config.json").exists()
    assert not (d / "stats.txt").exists()


def test_invalid_debug_flag(tmp_path):
    script = write(tmp_path / "run.py", SCRIPT)
    out = simobjs("-q", "--debug-flags=Kvm,NoSuchFlag", str(script), cwd=tmp_path)
    assert out.returncode == 1
    assert "invalid debug flag 'NoSuchFlag'" in out.stderr
    assert "instantiated" not in out.stdout


def test_debug_file_and_start(tmp_path):
    script = write(tmp_path / "run.py", SCRIPT)
    out = simobjs(
        "-q",
        "-d",
        "o",
        "--debug-flags=Event",
        "--debug-file=trace.out",
        "--debug-start=1",
        str(script),
        "3000",
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr
    trace = (tmp_path / "o" / "trace.out").read_text()
    assert "exit: Tick exit reached executed @ 3000" in trace


THREE_EXITS = """
import m5
from m5.objects import *

root = Root(full_system=False)
root.system = System()
root.system.clk_domain = SrcClockDomain(clock="1GHz", voltage_domain=VoltageDomain())
m5.instantiate()
for tick in (1000, 2000, 3000):
    m5.scheduleTickExitAbsolute(tick)
    m5.simulate()
"""


def test_debug_end_and_debug_ignore(tmp_path):
    script = write(tmp_path / "three.py", THREE_EXITS)
    out = simobjs("-q", "--debug-flags=Event", "--debug-end=2500", str(script), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "executed @ 1000" in out.stdout and "executed @ 2000" in out.stdout
    assert "executed @ 3000" not in out.stdout
    out = simobjs("-q", "--debug-flags=Event", "--debug-ignore=eventq", str(script), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "executed @" not in out.stdout


def test_silent_redirect_and_listener_mode(tmp_path):
    script = write(tmp_path / "run.py", SCRIPT)
    out = simobjs("-r", "-s", "--listener-mode=off", "-d", "o", str(script), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout == ""  # not even the "Redirecting ..." line
    assert "Exiting @ tick 5000" in (tmp_path / "o" / "simout.txt").read_text()


def test_interactive_prompt_after_the_script(tmp_path):
    import subprocess
    import sys

    from clirun import env

    script = write(tmp_path / "run.py", SCRIPT)
    out = subprocess.run(
        [sys.executable, "-m", "simobjs.cli", "-q", "-i", str(script)],
        cwd=tmp_path,
        env=env(),
        input="print('at', m5.curTick(), event.getCause())\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert "at 5000 Tick exit reached" in out.stdout  # the script's names, after it ran


def test_missing_script(tmp_path):
    out = simobjs("-q", "nothere.py", cwd=tmp_path)
    assert out.returncode == 1
    assert "nothere.py not found" in out.stderr


def test_script_that_raises_keeps_config_files(tmp_path):
    text = SCRIPT.replace("event = m5.simulate()", "raise ValueError('bad setting')")
    script = write(tmp_path / "run.py", text)
    out = simobjs("-q", "-d", "o", str(script), cwd=tmp_path)
    assert out.returncode == 1
    assert "Traceback (most recent call last)" in out.stderr
    assert "ValueError: bad setting" in out.stderr
    assert 'run.py", line' in out.stderr
    assert (tmp_path / "o" / "config.ini").exists()
    assert (tmp_path / "o" / "config.json").exists()


def test_script_that_raises_before_instantiate_still_writes_config(tmp_path):
    text = SCRIPT.replace("m5.instantiate()", "raise KeyError('early')")
    script = write(tmp_path / "run.py", text)
    out = simobjs("-q", "-d", "o", str(script), cwd=tmp_path)
    assert out.returncode == 1
    assert "KeyError: 'early'" in out.stderr
    assert "system.clk_domain" in (tmp_path / "o" / "config.ini").read_text()


def test_bad_config_is_a_fatal_error_not_a_traceback(tmp_path):
    text = SCRIPT.replace("m5.instantiate()", "root.system.mem_ranges = ['1Zb']\nm5.instantiate()")
    script = write(tmp_path / "run.py", text)
    out = simobjs("-q", str(script), cwd=tmp_path)
    assert out.returncode == 1
    assert "1Zb" in out.stderr


def test_script_exit_code_wins(tmp_path):
    script = write(tmp_path / "run.py", SCRIPT + "\nsys.exit(5)\n")
    out = simobjs("-q", str(script), cwd=tmp_path)
    assert out.returncode == 5
    assert "Exiting @ tick" in out.stdout


def test_exit_code_is_the_last_exit_events_code(tmp_path):
    text = SCRIPT.replace(
        "m5.scheduleTickExitFromCurrent(",
        "m5.exitSimLoop('m5_fail instruction encountered', 7, 100)\n"
        "m5.scheduleTickExitFromCurrent(",
    )
    script = write(tmp_path / "run.py", text)
    out = simobjs("-q", "-d", "o", str(script), cwd=tmp_path)
    assert out.returncode == 7, out.stderr
    assert "Exiting @ tick 100 because m5_fail instruction encountered" in out.stdout
    assert (tmp_path / "o" / "stats.txt").read_text().count("Begin Simulation Statistics") == 1


def test_redirect_stdout(tmp_path):
    script = write(tmp_path / "run.py", SCRIPT)
    out = simobjs("-r", "-d", "o", str(script), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "Redirecting stdout and stderr to o/simout.txt" in out.stdout
    assert "Exiting @ tick" not in out.stdout
    simout = (tmp_path / "o" / "simout.txt").read_text()
    assert "Exiting @ tick 5000 because Tick exit reached" in simout
    assert "Entering event queue" in simout  # stderr went there too


def test_redirect_stderr(tmp_path):
    script = write(tmp_path / "run.py", SCRIPT)
    out = simobjs("-q", "-e", "-d", "o", str(script), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "Entering event queue" not in out.stderr
    assert "Entering event queue" in (tmp_path / "o" / "simerr.txt").read_text()
    assert "Exiting @ tick" in out.stdout


def test_schema(tmp_path):
    out = simobjs("schema", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    schema = json.loads(out.stdout)
    assert "X86KvmCPU" in json.dumps(schema)
    out = simobjs("schema", "-o", "s.json", cwd=tmp_path)
    assert json.loads((tmp_path / "s.json").read_text()) == schema


def test_graph(tmp_path):
    script = write(tmp_path / "run.py", SCRIPT)
    out = simobjs("graph", "-d", "g", str(script), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    dot = (tmp_path / "g" / "config.dot").read_text()
    assert "digraph" in dot and "system" in dot
    assert "instantiated" not in out.stdout  # the config-only path: nothing was built
    assert "graph: g/config.dot" in out.stdout


def test_debug_help(tmp_path):
    out = simobjs("--debug-help", cwd=tmp_path)
    assert out.returncode == 0
    assert "KvmIO" in out.stdout and "Compound Flags:" in out.stdout


YAML = """
root:
  type: Root
  params: {full_system: false}
  children:
    system:
      type: System
      children:
        clk_domain:
          type: SrcClockDomain
          params:
            clock: 1GHz
            voltage_domain: {type: VoltageDomain}
"""


def test_yaml_config_runs_directly(tmp_path):
    write(tmp_path / "sys.yaml", YAML)
    out = simobjs("-q", "-d", "o", "sys.yaml", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "Exiting @ tick 18446744073709551615 because simulate() limit reached" in out.stdout
    assert "clock=1000" in (tmp_path / "o" / "config.ini").read_text()


def test_yaml_config_errors_name_the_place(tmp_path):
    write(tmp_path / "bad.yaml", YAML.replace("clock: 1GHz", "clock: 1Gfoo"))
    out = simobjs("-q", "bad.yaml", cwd=tmp_path)
    assert out.returncode == 1
    assert "fatal:" in out.stderr and "system.clk_domain" in out.stderr


def test_a_crash_in_native_code_prints_the_python_stack(tmp_path):
    script = write(
        tmp_path / "crash.py",
        "import ctypes\n\n\ndef read_null():\n    ctypes.string_at(0)\n\n\nread_null()\n",
    )
    out = simobjs(str(script), cwd=tmp_path)
    assert out.returncode == -11  # SIGSEGV, as before: only the report is added
    assert "Segmentation fault" in out.stderr
    assert 'crash.py", line 5 in read_null' in out.stderr


def test_directories_named_like_the_packages_beside_a_script_do_not_shadow_them(tmp_path):
    """A gem5 source tree called gem5, or output directories called kvm and m5, beside
    the script (whose directory goes first on sys.path, as in gem5) are not taken for
    simobjs's packages: the command imports its own first. Run as installed (no
    PYTHONPATH to the source tree), where an editable install finds packages last."""
    import os
    import shutil
    import subprocess
    import sys

    for name in ("gem5", "kvm", "m5"):
        (tmp_path / name / "src").mkdir(parents=True)
    script = write(tmp_path / "run.py", "from kvm import Kvm\n" + SCRIPT)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "SIMOBJS_PROGRESS")}
    found = subprocess.run(
        [sys.executable, "-c", "import simobjs"], cwd="/", env=env, capture_output=True
    )
    command = shutil.which("simobjs")
    assert found.returncode == 0 and command, "simobjs is not installed (pip install -e .)"
    out = subprocess.run(
        [command, str(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert "because simulate() limit reached" in out.stdout or "Exiting @ tick" in out.stdout
