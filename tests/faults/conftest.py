import os
import sys

import pytest

HERE = os.path.dirname(__file__)
TESTS = os.path.dirname(HERE)
for sub in (HERE, os.path.join(TESTS, "sim"), os.path.join(TESTS, "cpu", "reference")):
    if sub not in sys.path:
        sys.path.insert(0, sub)


@pytest.fixture(autouse=True)
def _fresh(fresh_simulation):
    yield
