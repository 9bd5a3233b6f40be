"""Every kernel test gets a fresh process-level state: no Root, no simulation, no flags."""

import pytest

from simobjs.sim import core, debug


@pytest.fixture(autouse=True)
def _fresh_kernel(fresh_simulation):
    yield
    core._current = None
    debug.clear_flags()
    debug.set_file(None)
    debug.set_start(0)
    debug.set_end(None)
    debug.set_ignore([])
