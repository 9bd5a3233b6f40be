"""A gem5-style script run by the simobjs command: outputs, exit path stats, Ctrl-C."""

import os
import signal
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

SCRIPT = """
import m5
from m5.objects import *

root = Root(full_system=False)
root.system = System()
root.system.clk_domain = SrcClockDomain(clock="1GHz", voltage_domain=VoltageDomain())
m5.instantiate()
m5.scheduleTickExitFromCurrent(123456)
ev = m5.simulate()
print("Exiting @ tick %i because %s" % (m5.curTick(), ev.getCause()))
"""

FOREVER = """
import sys
import m5
from m5.objects import *

root = Root(full_system=False)
root.system = System()
root.system.clk_domain = SrcClockDomain(clock="1GHz", voltage_domain=VoltageDomain())
m5.instantiate()
from simobjs.sim.eventq import EventFunctionWrapper
q = root.system.getCCObject().eventq
def again():
    q.schedule(ev, q.curTick() + 1000)
ev = EventFunctionWrapper(again, "spin")
q.schedule(ev, 1000)
print("running", flush=True)
ev2 = m5.simulate()
print("Exiting @ tick %i because %s" % (m5.curTick(), ev2.getCause()), flush=True)
"""


def _env():
    env = dict(os.environ)
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    return env


def test_script_through_the_command(tmp_path):
    script = tmp_path / "run.py"
    script.write_text(SCRIPT)
    out = subprocess.run(
        [sys.executable, "-m", "simobjs.cli", "-q", "-d", str(tmp_path / "out"), str(script)],
        cwd=tmp_path,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert "Exiting @ tick 123456 because Tick exit reached" in out.stdout
    stats = (tmp_path / "out" / "stats.txt").read_text()
    assert stats.count("Begin Simulation Statistics") == 1  # the exit-path dump, once
    assert "finalTick                                      123456" in stats
    assert (tmp_path / "out" / "config.ini").exists()


def test_ctrl_c_ends_the_run_with_stats(tmp_path):
    script = tmp_path / "forever.py"
    script.write_text(FOREVER)
    proc = subprocess.Popen(
        [sys.executable, "-m", "simobjs.cli", "-q", "-d", str(tmp_path / "out"), str(script)],
        cwd=tmp_path,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for line in proc.stdout:
            if line.strip() == "running":
                break
        else:
            raise AssertionError(f"the script never started: {proc.stderr.read()}")
        time.sleep(0.3)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert "because user interrupt received" in out
    assert "Begin Simulation Statistics" in (tmp_path / "out" / "stats.txt").read_text()
