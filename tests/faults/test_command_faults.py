"""The command's error policy: a user or environment error is one `fatal:` line (a guest
fault one `panic:` line after the register dump) and exit status 1; an internal bug
is a traceback with a line asking to report it; --debug and SIMOBJS_TRACEBACK=1 show
every traceback."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pytest
from faultrun import clean, run, script

from simobjs import failure
from simobjs.config import build
from simobjs.errors import ConfigError, GuestFault, PhaseError, SimulationError

PRELUDE = "import sys\nimport m5\nfrom m5.objects import *\n"
ROOT = (
    "root = Root(full_system=False)\nroot.system = System()\n"
    "root.system.clk_domain = SrcClockDomain(clock='1GHz', voltage_domain=VoltageDomain())\n"
)


def _script(tmp: Path, body: str) -> Path:
    return script(tmp, PRELUDE + body, "user.py")


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "m5.checkpoint('cpt')\n",
            "fatal: m5.instantiate() must be called before m5.checkpoint().",
        ),
        ("m5.simulate()\n", "fatal: m5.instantiate() must be called before m5.simulate()."),
        (ROOT + "m5.instantiate()\nm5.instantiate()\n", "fatal: m5.instantiate() called twice"),
        (
            "system = X86KvmCpu()\n",
            "user.py:4: name 'X86KvmCpu' is not defined "
            "(did you mean X86KvmCPU?)\n    system = X86KvmCpu()",
        ),
        (
            ROOT + "root.system.mem_ranges = [AddrRange('1MiB')] * 3\nm5.instantiate()\n",
            "system.mem_ranges: 2 of its 3 memory ranges repeat",
        ),
        (
            ROOT + "m5.instantiate(ckpt_dir='no-such-cpt')\n",
            "fatal: checkpoint directory no-such-cpt does not exist",
        ),
    ],
    ids=[
        "checkpoint-first",
        "simulate-first",
        "instantiate-twice",
        "misspelt-class",
        "repeated-mem-ranges",
        "missing-checkpoint",
    ],
)
def test_user_errors_are_one_fatal_line(tmp_path, body, expected):
    done = run("-d", "out", str(_script(tmp_path, body)), cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    assert expected in done.stderr
    clean(done.stderr)
    assert done.stderr.count(expected) == 1  # once (a config error was printed twice)


def test_an_internal_bug_shows_the_traceback_and_asks_for_a_report(tmp_path):
    body = "from simobjs.sim import stats\nstats.format_text(None)\n"  # a bug reached from a script
    done = run("-d", "out", str(_script(tmp_path, body)), cwd=tmp_path)
    assert done.returncode == 1
    assert "Traceback" in done.stderr and "simobjs/sim/stats.py" in done.stderr
    assert "internal error: this is a bug in simobjs" in done.stderr


def test_the_users_own_exception_shows_pythons_traceback_from_the_script(tmp_path):
    done = run("-d", "out", str(_script(tmp_path, "raise ValueError('mine')\n")), cwd=tmp_path)
    assert done.returncode == 1
    assert 'File "' in done.stderr and "user.py" in done.stderr
    assert "ValueError: mine" in done.stderr and "bug in simobjs" not in done.stderr
    assert "cli.py" not in done.stderr  # the command's own frames are left out


@pytest.mark.parametrize("how", [("--debug",), ()])
def test_debug_and_the_environment_show_the_traceback(tmp_path, how):
    user = str(_script(tmp_path, "m5.simulate()\n"))
    extra = {} if how else {"SIMOBJS_TRACEBACK": "1"}
    done = run(*how, "-d", "out", user, cwd=tmp_path, **extra)
    assert done.returncode == 1
    assert "Traceback" in done.stderr and "PhaseError" in done.stderr
    assert "fatal: m5.instantiate() must be called before m5.simulate()." in done.stderr


# -- the policy itself (in-process) ------------------------------------------------------
def _raised(exc: BaseException) -> BaseException:
    try:
        raise exc
    except BaseException as e:  # noqa: BLE001 - a traceback that starts here (ours)
        return e


def _report(exc: BaseException, **kw) -> str:
    out = io.StringIO()
    assert failure.report(exc, out=out, **kw) == 1
    return out.getvalue()


def test_known_errors_and_wrapped_ones():
    assert failure.classify(_raised(ConfigError("bad"))).kind == "fatal"
    assert failure.classify(_raised(PhaseError("order"))).kind == "fatal"
    assert failure.classify(_raised(OSError(28, "No space left on device", "m5out/x"))).text == (
        "m5out/x: No space left on device (free some space or choose another output "
        "directory with -d)"
    )
    wrapped = SimulationError("KeyError: 'x'", "system.dev")
    wrapped.__cause__ = KeyError("x")  # a model's bug, wrapped with its path
    assert failure.classify(_raised(wrapped)).kind == "bug"
    wrapped.__cause__ = OSError(5, "Input/output error")
    assert failure.classify(_raised(wrapped)).kind == "fatal"


def test_a_reported_guest_fault_is_not_printed_again():
    fault = GuestFault("triple fault", "system.cpu", 0x1000, "rax=0")
    assert _report(_raised(fault)) == "panic: system.cpu (guest rip=0x1000): triple fault\n"
    fault.reported = True
    assert _report(_raised(fault)) == ""


# -- guest faults -------------------------------------------------------------------------------
GUESTS = {
    "triple": ".globl _start\n_start:\n    ud2\n",  # no IDT: #UD -> #GP -> #DF -> shutdown
    "nodev": ".globl _start\n_start:\n    movabs $0xC0001000, %rsi\n    movq (%rsi), %rax\n"
    "    hlt\n",
}


@pytest.fixture(scope="module")
def guests(tmp_path_factory) -> dict[str, str]:
    d = tmp_path_factory.mktemp("guests")
    out = {}
    for name, source in GUESTS.items():
        (d / f"{name}.S").write_text(source)
        elf = d / f"{name}.elf"
        subprocess.run(
            [
                "gcc",
                "-nostdlib",
                "-static",
                "-no-pie",
                "-Wl,-Ttext-segment=0x100000",
                "-Wl,-z,max-page-size=4096",
                "-Wl,--build-id=none",
                "-o",
                str(elf),
                str(d / f"{name}.S"),
            ],
            check=True,
        )
        out[name] = str(elf)
    return out


def _fault(guest: str, cpu: str, tmp: Path, capsys) -> tuple[GuestFault, str]:
    from simobjs.demo.config import build_system

    build_system(guest, cpu=cpu)
    sim = build.instantiate(outdir=str(tmp / "out"))
    with pytest.raises(GuestFault) as info:
        sim.simulate()
    sim.close()  # (while capsys still holds the terminal's stream)
    err = capsys.readouterr().err
    assert _report(info.value) == ""  # the command adds nothing: no traceback, no repeat
    assert (tmp / "out" / "stats.txt").stat().st_size > 0  # the stats were written
    return info.value, err


CPUS = ["reference", pytest.param("kvm", marks=pytest.mark.kvm)]


@pytest.mark.parametrize("cpu", CPUS)
def test_a_triple_fault_dumps_then_panics_once(tmp_path, capsys, guests, cpu):
    fault, err = _fault(guests["triple"], cpu, tmp_path, capsys)
    assert fault.rip == 0x101000 and "triple fault" in str(fault)
    panic = err.index("panic: system.cpu (guest rip=0x101000)")
    assert err.index("rip") < panic  # the dump, then the panic line
    assert err.count("panic:") == 1


@pytest.mark.parametrize("cpu", CPUS)
def test_a_read_with_no_device_is_named_with_its_size_and_address(tmp_path, capsys, guests, cpu):
    fault, err = _fault(guests["nodev"], cpu, tmp_path, capsys)
    assert "no device claims the 8-byte read at 0xc0001000 (requested by system.cpu)" in str(fault)
    assert fault.rip == 0x10100A  # the faulting instruction, on both CPUs
    assert "IntrExit" not in err and err.count("panic:") == 1
    assert err.index("rip") < err.index("panic:")


def test_a_guest_fault_through_the_command_has_no_traceback(tmp_path, guests):
    body = (
        "from simobjs.demo.config import build_system\n"
        f"build_system({guests['triple']!r}, cpu='reference')\n"
        "m5.instantiate()\nm5.simulate()\n"
    )
    done = run("-d", "out", str(_script(tmp_path, body)), cwd=tmp_path)
    assert done.returncode == 1
    clean(done.stderr)
    assert done.stderr.count("panic: system.cpu (guest rip=0x101000)") == 1
    assert (tmp_path / "out" / "stats.txt").stat().st_size > 0
