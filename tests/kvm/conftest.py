"""Shared fixtures for the /dev/kvm binding tests."""

import pytest


@pytest.fixture(scope="session")
def kvm_sys():
    from kvm.system import Kvm

    k = Kvm()
    yield k
    k.close()


@pytest.fixture
def make_guest(kvm_sys):
    """Build Guests from assembly; all are closed after the test."""
    from simobjs.guest.snippets import Guest, assemble

    made = []

    def make(source: str, cpl: int = 3, **kw):
        g = Guest(assemble(source), cpl=cpl, kvm=kvm_sys, **kw)
        made.append(g)
        return g

    yield make
    for g in made:
        g.close()
