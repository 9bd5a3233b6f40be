import os
import sys

import pytest

# the reference CPU's test guests (refguest.py) serve the checker's tests too
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "cpu", "reference"))


@pytest.fixture(autouse=True)
def _fresh(fresh_simulation):
    yield
