import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))

from simobjs.params.simobject import reset_for_tests  # noqa: E402
from simobjs.sim import core, ticks  # noqa: E402


@pytest.fixture(autouse=True)
def _fresh():
    reset_for_tests()
    yield
    sim = core.current()
    if sim is not None:
        sim.close()
    reset_for_tests()
    ticks.unfixGlobalFrequency()
