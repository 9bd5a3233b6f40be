"""Decoding of exits that real guests here cannot produce, from a kvm_run
filled in by the test (the mapping is writable from user space)."""

import struct

import pytest
from kvm._kvm_ffi import lib

from kvm.exits import (
    DebugExit,
    ExceptionExit,
    FailEntryExit,
    HypercallExit,
    InternalErrorExit,
    MsrExit,
    SystemEventExit,
    UnknownExit,
)

pytestmark = pytest.mark.kvm


@pytest.fixture
def vcpu(make_guest):
    return make_guest("hlt").vcpu


def put(vcpu, reason, *fields):
    mm = vcpu.run_mapping
    struct.pack_into("<I", mm, lib.SO_RUN_EXIT_REASON, reason)
    for off, fmt, value in fields:
        struct.pack_into(fmt, mm, off, *(value if isinstance(value, tuple) else (value,)))
    return vcpu.decode()


def test_debug_exit(vcpu):
    e = put(
        vcpu,
        lib.KVM_EXIT_DEBUG,
        (lib.SO_RUN_DEBUG_EXCEPTION, "<I", 1),
        (lib.SO_RUN_DEBUG_PC, "<Q", 0x10001),
        (lib.SO_RUN_DEBUG_DR6, "<Q", 0xFFFF4FF0),
        (lib.SO_RUN_DEBUG_DR7, "<Q", 0x400),
    )
    assert e == DebugExit(1, 0x10001, 0xFFFF4FF0, 0x400)


def test_internal_error_exit(vcpu):
    e = put(
        vcpu,
        lib.KVM_EXIT_INTERNAL_ERROR,
        (lib.SO_RUN_INTERNAL_SUBERROR, "<I", 1),
        (lib.SO_RUN_INTERNAL_NDATA, "<I", 2),
        (lib.SO_RUN_INTERNAL_DATA, "<2Q", (7, 8)),
    )
    assert e == InternalErrorExit(1, (7, 8))


def test_fail_entry_exception_hypercall_exits(vcpu):
    assert put(
        vcpu,
        lib.KVM_EXIT_FAIL_ENTRY,
        (lib.SO_RUN_FAIL_ENTRY_REASON, "<Q", 0x80000021),
        (lib.SO_RUN_FAIL_ENTRY_CPU, "<I", 1),
    ) == FailEntryExit(0x80000021, 1)
    assert put(
        vcpu,
        lib.KVM_EXIT_EXCEPTION,
        (lib.SO_RUN_EX_EXCEPTION, "<I", 13),
        (lib.SO_RUN_EX_ERROR_CODE, "<I", 0x18),
    ) == ExceptionExit(13, 0x18)
    e = put(
        vcpu,
        lib.KVM_EXIT_HYPERCALL,
        (lib.SO_RUN_HYPERCALL_NR, "<Q", 9),
        (lib.SO_RUN_HYPERCALL_ARGS, "<6Q", (1, 2, 3, 4, 5, 6)),
        (lib.SO_RUN_HYPERCALL_RET, "<Q", 0),
        (lib.SO_RUN_HYPERCALL_LONGMODE, "<I", 1),
    )
    assert e == HypercallExit(9, (1, 2, 3, 4, 5, 6), 0, 1)


def test_system_event_msr_and_unknown_exits(vcpu):
    assert put(
        vcpu,
        lib.KVM_EXIT_SYSTEM_EVENT,
        (lib.SO_RUN_SYSTEM_EVENT_TYPE, "<I", 2),
        (lib.SO_RUN_SYSTEM_EVENT_NDATA, "<I", 1),
        (lib.SO_RUN_SYSTEM_EVENT_DATA, "<Q", 5),
    ) == SystemEventExit(2, (5,))
    assert put(
        vcpu,
        lib.KVM_EXIT_X86_WRMSR,
        (lib.SO_RUN_MSR_INDEX, "<I", 0x10),
        (lib.SO_RUN_MSR_DATA, "<Q", 99),
    ) == MsrExit(0x10, 99, True)
    assert put(vcpu, 0, (lib.SO_RUN_HW_REASON, "<Q", 0x30)) == UnknownExit(0, 0x30)
    assert put(vcpu, 9999, (lib.SO_RUN_HW_REASON, "<Q", 0)) == UnknownExit(9999, 0)
