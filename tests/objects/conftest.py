import pytest

from simobjs.base import ticks
from simobjs.params.simobject import reset_for_tests


@pytest.fixture(autouse=True)
def _fresh_root():
    reset_for_tests()
    ticks.fixGlobalFrequency(quiet=True)
    yield
    reset_for_tests()
