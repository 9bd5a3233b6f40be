"""SE threads on several CPUs: a 4-thread program (mutex, condition variable,
barrier) gives the native output on 2 and 4 KVM CPUs, on 2 reference CPUs (two runs
give identical stats), switching all CPUs between KVM and the reference CPU every few
milliseconds, and from a checkpoint of a 2- or 4-CPU run restored into either CPU."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import serun
from test_se_checkpoint import restore_in_fresh_process

from simobjs.guest.se_build import build_se_program, se_example

PROGRAMS = Path(__file__).resolve().parent / "programs"


def contexts_used(outdir) -> set[str]:
    """The CPUs that ran guest code (from stats.txt: a KVM CPU's exits, a reference
    CPU's committed instructions)."""
    text = (outdir / "stats.txt").read_text()
    used = set()
    for name, stat, value in re.findall(r"^(system\.cpu\d+)\.([\w.]+)\s+(\S+)", text, re.M):
        if stat in ("numVMExits", "commitStats0.numInsts") and float(value) > 0:
            used.add(name)
    return used


@pytest.mark.kvm
@pytest.mark.parametrize(("cpu", "n"), [("kvm", 2), ("kvm", 4), ("ref", 2)])
def test_threads_on_several_cpus_match_native(workdir, cpu, n):
    prog = str(se_example("smp"))
    want = serun.native(prog, [])
    got = serun.run(prog, [], cpu, workdir.parent / "m5out", num_cpus=n)
    assert got.stdout.decode() == want.stdout.decode()
    assert got.code == want.code == 0
    assert contexts_used(workdir.parent / "m5out") == {f"system.cpu{i}" for i in range(n)}


@pytest.mark.kvm
def test_threads_take_turns_without_system_calls(workdir):
    """Two threads on one KVM CPU, neither making a system call while it counts: each
    turn ends with its time slice (simulated time), not at the thread's next call. (A
    slice begun just before the vCPU entered, as the kernel switched threads, once let
    the run go on until the guest's own exit: the main thread saw one turn of the
    other in ~60 ms of counting, not six.)"""
    prog = str(se_example("turns"))
    want = serun.native(prog, [])
    assert b"had 3 or more turns" in want.stdout
    got = serun.run(prog, [], "kvm", workdir.parent / "m5out")
    assert got.stdout == want.stdout
    assert got.code == want.code == 0


def _count_fast_switches(monkeypatch) -> list:
    """The KVM CPUs' SE thread switches made straight through KVM's structs (True) or
    not (False), in order."""
    from simobjs.cpu.kvm.x86_cpu import X86KvmCPU

    seen: list = []
    orig = X86KvmCPU.switchInState

    def counted(self, state):
        ok = orig(self, state)
        seen.append(ok)
        return ok

    monkeypatch.setattr(X86KvmCPU, "switchInState", counted)
    return seen


@pytest.mark.kvm
@pytest.mark.parametrize("queues", [1, 2])
def test_switched_threads_keep_their_registers(workdir, monkeypatch, queues):
    """Three threads with live general, SSE and TLS (FS base) state on fewer KVM CPUs:
    the kernel switches them many times, most straight through KVM's own structs
    (KvmThreadState: registers staged in kvm_run, the XSAVE area), and every result
    is the native one. On one CPU, and on two with an event queue each."""
    fast = _count_fast_switches(monkeypatch)
    prog = str(se_example("regs"))
    want = serun.native(prog, [])

    def configure(root):
        for i, cpu in enumerate(root.system.cpu):
            cpu.eventq_index = i if queues > 1 else 0
        root.sim_quantum = 1_000_000_000

    got = serun.run(prog, [], "kvm", workdir.parent / "m5out", num_cpus=queues, configure=configure)
    assert got.stdout == want.stdout
    assert got.code == want.code == 0
    assert sum(fast) >= (5 if queues == 1 else 1)  # (3 threads on 2 CPUs switch less)


@pytest.mark.kvm
def test_threads_switched_out_on_kvm_resume_on_the_reference_cpu(workdir, monkeypatch):
    """Threads switched out of a KVM CPU as KVM's structs go on on the reference CPU
    (and back) after a CPU switch: their X86State is made from those structs."""
    from simobjs.cpu.kvm.x86_state import KvmThreadState

    fast = _count_fast_switches(monkeypatch)
    made = []
    orig = KvmThreadState.to_x86_state
    monkeypatch.setattr(KvmThreadState, "to_x86_state", lambda t: made.append(t) or orig(t))
    prog = str(se_example("regs"))
    want = serun.native(prog, ["6000000"])
    got = serun.run(
        prog,
        ["6000000"],
        "kvm",
        workdir.parent / "m5out",
        switch_to="ref",
        every=20_000_000_000,
        seed=3,
    )
    assert got.switches >= 2
    assert got.stdout == want.stdout
    assert got.code == 0
    assert any(fast) and made  # (some thread went from KVM's structs to the other CPU)


def _stats(outdir) -> str:
    text = (outdir / "stats.txt").read_text()
    return "\n".join(line for line in text.splitlines() if not line.startswith("host"))


@pytest.mark.kvm
def test_reference_cpus_interleave_deterministically(workdir):
    prog = str(se_example("smp"))
    a = serun.run(prog, [], "ref", workdir.parent / "a", num_cpus=2)
    b = serun.run(prog, [], "ref", workdir.parent / "b", num_cpus=2)
    assert a.stdout == b.stdout and a.ticks == b.ticks
    assert _stats(workdir.parent / "a") == _stats(workdir.parent / "b")


@pytest.mark.kvm
@pytest.mark.parametrize("n", [2, 4])
def test_switching_all_cpus_matches_native(workdir, n):
    prog = str(se_example("smp"))
    want = serun.native(prog, [])
    got = serun.run(
        prog,
        [],
        "kvm",
        workdir.parent / "m5out",
        num_cpus=n,
        switch_to="ref",
        every=1_000_000_000,
        seed=n,
    )
    assert got.switches >= 2
    assert got.stdout.decode() == want.stdout.decode()
    assert got.code == 0


@pytest.mark.kvm
@pytest.mark.parametrize(("taken_on", "n"), [("kvm", 2), ("ref", 2), ("kvm", 4)])
def test_checkpoint_of_several_cpus_restores_into_either_cpu(workdir, taken_on, n):
    prog = str(se_example("smp"))
    want = serun.native(prog, []).stdout.decode()
    full = serun.run(
        prog,
        ["20000", "2"],
        taken_on,
        workdir.parent / "orig",
        num_cpus=n,
        switch_to=serun.OTHER[taken_on],
        checkpoint_dir=str(workdir.parent / "cpts"),
    )
    assert full.stdout.decode() == want and full.code == 0
    (ckpt,) = full.checkpoints
    cut = want.index("phase 3")  # printed (and flushed) before the checkpoint: phases 0-2
    for cpu in ("kvm", "ref"):
        r = restore_in_fresh_process(
            prog, ckpt, cpu, workdir.parent / f"restored-{cpu}", workdir, ("20000", "-1"), n
        )
        assert r["stdout"] == want[cut:], cpu
        assert r["code"] == 0 and r["causes"][-1] == "exiting with last active thread context"


@pytest.mark.kvm
@pytest.mark.parametrize(("cpu", "n"), [("kvm", 2), ("kvm", 4), ("ref", 2)])
def test_signal_masks_and_exit_group_across_cpus(workdir, cpu, n):
    """Per-thread masks pick the thread that takes a process signal; a thread-directed
    signal reaches its thread; exit() in one thread ends the threads spinning on the
    other CPUs."""
    prog = str(build_se_program([PROGRAMS / "smp_signals.c"], "smp_signals"))
    want = serun.native(prog, [])
    assert want.code == 7
    got = serun.run(prog, [], cpu, workdir.parent / "m5out", num_cpus=n)
    assert got.stdout.decode() == want.stdout.decode()
    assert got.code == want.code


def own_queues(quantum: int = 1_000_000_000):
    """A configure() for serun.run: every CPU on an event queue (host thread) of its
    own, the queues in lockstep by `quantum` ticks."""

    def configure(root):
        for i, cpu in enumerate(root.system.cpu):
            cpu.eventq_index = i
        root.sim_quantum = quantum

    return configure


@pytest.mark.kvm
@pytest.mark.parametrize("n", [2, 4])
def test_kvm_cpus_on_their_own_event_queues_match_native(workdir, n):
    prog = str(se_example("smp"))
    want = serun.native(prog, [])
    got = serun.run(prog, [], "kvm", workdir.parent / "m5out", num_cpus=n, configure=own_queues())
    assert got.stdout.decode() == want.stdout.decode()
    assert got.code == 0
    assert got.ticks % 1_000_000_000 == 0  # the exit waited for the quantum's barrier
    assert contexts_used(workdir.parent / "m5out") == {f"system.cpu{i}" for i in range(n)}


@pytest.mark.kvm
def test_several_event_queues_need_a_quantum(workdir):
    from simobjs.errors import ConfigError

    prog = str(se_example("smp"))
    with pytest.raises(ConfigError, match="Quantum for multi-eventq simulation not specified"):
        serun.run(prog, [], "kvm", workdir.parent / "m5out", num_cpus=2, configure=own_queues(0))


@pytest.mark.kvm
def test_own_queues_switch_a_hundred_times(workdir, whole_run_bound):
    """Drain and switch all CPUs (KVM on their own queues <-> the reference CPUs on
    queue 0) at random times a few hundred microseconds apart, with every queue
    stopped at a barrier: no hang (the whole loop is bounded: ~1 s on an idle host),
    no lost event, the native output."""
    whole_run_bound(300)
    prog = str(se_example("smp"))
    want = serun.native(prog, ["200000"]).stdout.decode()
    got = serun.run(
        prog,
        ["200000"],
        "kvm",
        workdir.parent / "m5out",
        num_cpus=2,
        switch_to="ref",
        every=60_000_000,
        seed=7,
        configure=own_queues(50_000_000),
    )
    assert got.stdout.decode() == want and got.code == 0
    assert got.switches >= 100


@pytest.mark.kvm
def test_checkpoint_of_own_queues_restores_into_either_cpu(workdir):
    """Taken with every queue stopped at a barrier; restored on one queue."""
    prog = str(se_example("smp"))
    want = serun.native(prog, []).stdout.decode()
    got = serun.run(
        prog,
        ["20000", "2"],
        "kvm",
        workdir.parent / "m5out",
        num_cpus=2,
        switch_to="ref",
        checkpoint_dir=str(workdir.parent / "cpts"),
        configure=own_queues(100_000_000),
    )
    assert got.stdout.decode() == want and got.code == 0
    (ckpt,) = got.checkpoints
    cut = want.index("phase 3")
    for cpu in ("kvm", "ref"):
        r = restore_in_fresh_process(
            prog, ckpt, cpu, workdir.parent / f"restored-{cpu}", workdir, ("20000", "-1"), 2
        )
        assert r["stdout"] == want[cut:], cpu


@pytest.mark.kvm
def test_own_queues_run_quiet_quanta_in_c(workdir, monkeypatch):
    """Quanta in which only the barrier is due run in C, the vCPUs meeting at their ends
    (simobjs.sim.parallel, so_kvm_run_lockstep): the native output, and the count of
    barriers (in C and in Python) agrees with the simulated time. A thread that comes
    back for its own system call or thread switch does not end the meeting: most
    quanta end at the meeting in C."""
    import simobjs.sim.parallel as par

    made = []
    plain = par.ParallelQueues.__init__

    def init(self, *args, **kwargs):
        plain(self, *args, **kwargs)
        made.append(self)

    monkeypatch.setattr(par.ParallelQueues, "__init__", init)
    monkeypatch.setenv("SIMOBJS_HOST_CORES", "2")  # a core per queue (they spin when they meet)
    prog = str(se_example("smp"))
    args = ["5000000"]  # phases of ~10 ms: quanta with nothing but compute
    want = serun.native(prog, args)
    got = serun.run(prog, args, "kvm", workdir.parent / "m5out", num_cpus=2, configure=own_queues())
    assert got.stdout.decode() == want.stdout.decode()
    assert got.code == 0
    queues = made[0]
    assert queues.quanta_in_c > queues.barriers // 2
    assert queues.barriers == got.ticks // 1_000_000_000
