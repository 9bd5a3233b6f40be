"""Test-wide setup: the `kvm` marker skips where /dev/kvm is absent and fails
where SIMOBJS_REQUIRE_KVM=1 (as CI sets it); so does the `program(path,
package)` marker where a program from a Debian package is missing."""

import os
import shutil

import pytest

from simobjs.base import ticks
from simobjs.params.simobject import reset_for_tests
from simobjs.sim import core


def _kvm_problem() -> str | None:
    path = "/dev/kvm"
    if not os.path.exists(path):
        return f"{path} does not exist (KVM module not loaded or no virtualization)"
    if not os.access(path, os.R_OK | os.W_OK):
        return f"{path} is not readable and writable by this user"
    return None


def pytest_collection_modifyitems(config, items):
    problem = _kvm_problem()
    if problem is None:
        return
    require = os.environ.get("SIMOBJS_REQUIRE_KVM") == "1"
    for item in items:
        if "kvm" in item.keywords:
            if require:
                item.add_marker(pytest.mark.usefixtures("_kvm_required"))
            else:
                item.add_marker(pytest.mark.skip(reason=f"KVM unavailable: {problem}"))


def pytest_runtest_setup(item):
    for mark in item.iter_markers("program"):
        program, package = mark.args
        found = os.path.exists(program) if os.sep in program else shutil.which(program)
        if found:
            continue
        why = (
            f"{program} is missing: install Debian's {package} (the README's install command does)"
        )
        if os.environ.get("SIMOBJS_REQUIRE_KVM") == "1":
            pytest.fail(f"SIMOBJS_REQUIRE_KVM=1 (a full run) but {why}")
        pytest.skip(why)


@pytest.fixture
def _kvm_required():
    problem = _kvm_problem()
    if problem is not None:
        pytest.fail(f"SIMOBJS_REQUIRE_KVM=1 but KVM is unavailable: {problem}")


@pytest.fixture
def fresh_simulation():
    """No Root, no simulation and no fixed clock before the test; none left after it."""
    reset_for_tests()
    yield
    sim = core.current()
    if sim is not None:
        sim.close()
    reset_for_tests()
    ticks.unfixGlobalFrequency()


class WholeRunBoundExceeded(Exception):
    """A test ran past the bound whole_run_bound() set on it."""


@pytest.fixture
def whole_run_bound():
    """A bound on a whole test, for loops that must not hang (drains, switches, barriers
    of several host threads). Use as `whole_run_bound(seconds)`; the bound is lifted
    when the test ends. Past `seconds`, SIGALRM raises WholeRunBoundExceeded in the
    main thread (the test fails with the traceback of where it was: a KVM run or a
    barrier wait returns to Python often enough). Should the main thread be stuck in C
    for another minute, every thread's stack is printed and the process exits."""
    import faulthandler
    import signal

    def expired(signo, frame):
        raise WholeRunBoundExceeded(f"the test ran past its bound of {bound[0]} s")

    bound = [0.0]
    old = signal.signal(signal.SIGALRM, expired)

    def arm(seconds: float) -> None:
        bound[0] = seconds
        signal.setitimer(signal.ITIMER_REAL, seconds)
        faulthandler.dump_traceback_later(seconds + 60, exit=True)

    try:
        yield arm
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
        faulthandler.cancel_dump_traceback_later()
