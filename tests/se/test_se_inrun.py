"""System calls served while the vCPU runs (X86KvmCPU.inRunSyscalls, simobjs.se.inrun):
the same output as natively, the calls really served without an exit, and every way a
run can stop around a call (drains in the middle of the entry stub, a host thread that
does not answer, switches to the reference CPU) losing nothing."""

from __future__ import annotations

import pytest
import serun

from simobjs.guest.se_build import se_example
from simobjs.se import inrun, stub

pytestmark = pytest.mark.kvm


def _in_run(mode: str):
    def configure(root):
        for cpu in root.system.cpu:
            cpu.inRunSyscalls = mode

    return configure


@pytest.fixture
def services(monkeypatch):
    """The in-run services the runs start (their counters outlive the run)."""
    started = []
    plain = inrun.InRunCalls.start

    def start(self):
        started.append(self)
        plain(self)

    monkeypatch.setattr(inrun.InRunCalls, "start", start)
    return started


def _exit_path(prog: str, args: list[str], outdir) -> serun.Result:
    """The program with every call an exit (the reference for the getppid loop, whose
    output holds the SE process's parent pid, not the host's)."""
    return serun.run(prog, args, "kvm", outdir, configure=_in_run("off"))


def test_calls_are_served_in_the_run_with_native_output(workdir, services):
    (workdir / "input.txt").write_text("".join(f"line {i}\n" for i in range(3000)))
    prog = str(se_example("hello", "glibc"))
    want = serun.native(prog, ["a", "b"], "input.txt")
    got = serun.run(
        prog,
        ["a", "b"],
        "kvm",
        workdir.parent / "m5out",
        input="input.txt",
        configure=_in_run("on"),
    )
    assert got.stdout == want.stdout and got.code == want.code
    # thousands of calls: the thread serves them, unless the host is so busy that
    # the stub waited for it in vain often enough to turn it off for a while
    loop = str(se_example("syscalls", "musl"))
    got = serun.run(loop, ["5000"], "kvm", workdir.parent / "m5out-loop", configure=_in_run("on"))
    assert got.stdout == b"syscalls 5000: 0\n"
    assert len(services) == 2
    assert sum(services[1].served) > 0 or services[1].backoffs > 0


def test_off_leaves_every_call_to_the_exit_path(workdir, services):
    prog = str(se_example("syscalls", "glibc"))
    got = serun.run(prog, ["300"], "kvm", workdir.parent / "m5out", configure=_in_run("off"))
    assert got.stdout == b"syscalls 300: 0\n"
    assert services == []


def test_drains_inside_the_entry_stub_lose_no_call(workdir):
    """A drain every 20 us of simulated time stops the vCPU mostly in the stub (where a
    call-heavy program spends its time): the stopped thread is made plain each time."""
    prog = str(se_example("syscalls", "musl"))
    want = _exit_path(prog, ["4000"], workdir.parent / "m5out-exits")
    stopped_in_stub = []

    def between(sim, event):
        cpu = sim.model("system.cpu")
        sim.drain()
        rip = cpu.get_state().rip
        stopped_in_stub.append(stub.inside(rip, 0x7FFF_FFFF_F000))

    plain = stub.finish_in_host
    made_plain = []

    def counting(*args, **kwargs):
        made_plain.append(1)
        return plain(*args, **kwargs)

    stub.finish_in_host = counting
    try:
        got = serun.run(
            prog,
            ["4000"],
            "kvm",
            workdir.parent / "m5out",
            configure=_in_run("on"),
            every=20_000_000,
            between=between,
        )
    finally:
        stub.finish_in_host = plain
    assert got.stdout == want.stdout and got.code == want.code
    assert not any(stopped_in_stub)  # never left half way through the stub
    assert made_plain  # and drains did land there


def test_a_host_thread_that_does_not_answer_costs_only_the_exit(workdir, services, monkeypatch):
    """The service looks at no slot (as if its core were busy): a call waits out the
    spin bound, withdraws itself and leaves through the port; after 32 such calls the
    service is off for a while (calls go straight to the exit)."""
    prog = str(se_example("syscalls", "glibc"))
    want = _exit_path(prog, ["200"], workdir.parent / "m5out-exits")
    plain = inrun.InRunCalls.start

    def deaf(self):
        plain(self)
        self.chan.nslots = 0

    monkeypatch.setattr(inrun.InRunCalls, "start", deaf)
    got = serun.run(prog, ["200"], "kvm", workdir.parent / "m5out", configure=_in_run("on"))
    assert got.stdout == want.stdout and got.code == want.code
    assert len(services) == 1 and sum(services[0].served) == 0
    # after a few such waits every call takes the exit at once, for a while
    assert services[0].backoffs >= 1


@pytest.mark.parametrize("libc", ["glibc", "musl"])
def test_switching_to_the_reference_cpu_and_back(workdir, libc):
    prog = str(se_example("syscalls", libc))
    want = _exit_path(prog, ["20000"], workdir.parent / "m5out-exits")
    got = serun.run(
        prog,
        ["20000"],
        "kvm",
        workdir.parent / "m5out",
        switch_to="ref",
        configure=_in_run("on"),
        every=20_000_000,
        seed=7,
    )
    assert got.switches >= 3
    assert got.stdout == want.stdout and got.code == want.code


def test_auto_wants_a_spare_core(workdir, services, monkeypatch):
    """'auto' starts the host thread only where the simulation has a core for it
    besides one per event queue (SIMOBJS_HOST_CORES: a sweep's share of the host)."""
    prog = str(se_example("syscalls", "musl"))
    monkeypatch.setenv("SIMOBJS_HOST_CORES", "1")
    serun.run(prog, ["10"], "kvm", workdir.parent / "m5out-1")
    assert services == []
    monkeypatch.setenv("SIMOBJS_HOST_CORES", "2")
    got = serun.run(prog, ["10"], "kvm", workdir.parent / "m5out-2")
    assert got.stdout == b"syscalls 10: 0\n"
    assert len(services) == 1


@pytest.mark.parametrize("program", ["threads", "smp"])
def test_on_with_kvm_cpus_on_their_own_event_queues(workdir, services, program):
    """Several vCPUs in KVM_RUN at once, each with its slot; a call whose CPU's queue
    cannot take the simulator's lock at once goes to the exit path."""
    prog = str(se_example(program))
    want = serun.native(prog, [])

    def configure(root):
        for i, cpu in enumerate(root.system.cpu):
            cpu.eventq_index = i
            cpu.inRunSyscalls = "on"
        root.sim_quantum = 1_000_000_000

    got = serun.run(prog, [], "kvm", workdir.parent / "m5out", num_cpus=2, configure=configure)
    assert got.stdout.decode() == want.stdout.decode()
    assert got.code == want.code
    assert len(services) == 1
