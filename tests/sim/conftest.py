"""Every kernel test gets a fresh process-level state: no Root, no simulation, no flags."""

import pytest

from simobjs.params.simobject import reset_for_tests
from simobjs.sim import core, debug, ticks


@pytest.fixture(autouse=True)
def _fresh_kernel():
    reset_for_tests()
    yield
    sim = core.current()
    if sim is not None:
        sim.close()
    core._current = None
    reset_for_tests()
    ticks.unfixGlobalFrequency()
    debug.clear_flags()
    debug.set_file(None)
    debug.set_start(0)
