"""setuptools shim: cffi_modules has no pyproject.toml spelling yet."""

from setuptools import setup

setup(
    cffi_modules=[
        "kvm/_build.py:ffibuilder",
        "simobjs/cpu/reference/_build_hooks.py:ffibuilder",
        "simobjs/mem/memsys/_build.py:ffibuilder",
        "simobjs/se/_build_inrun.py:ffibuilder",
    ]
)
