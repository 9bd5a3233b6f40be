import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))


@pytest.fixture(autouse=True)
def _fresh(fresh_simulation):
    yield


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """An empty working directory for the program, the current one during the test
    (test files that need input files there define their own)."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return work
