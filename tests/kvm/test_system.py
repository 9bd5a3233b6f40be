import pytest

from kvm.system import CAPABILITIES, KVM_API_VERSION, capability_number

pytestmark = pytest.mark.kvm


def test_capability_names_come_from_headers():
    assert CAPABILITIES["coalesced_mmio"] == capability_number("KVM_CAP_COALESCED_MMIO")
    assert capability_number(5) == 5
    with pytest.raises(ValueError, match="unknown KVM capability"):
        capability_number("no_such_cap")


def test_api_version_and_extensions(kvm_sys):
    assert kvm_sys.api_version() == KVM_API_VERSION == 12
    assert kvm_sys.check_extension("user_memory") == 1
    caps = kvm_sys.capabilities()
    assert caps["nr_memslots"] > 0
    assert set(caps) == set(CAPABILITIES)


def test_vcpu_mmap_size_covers_kvm_run(kvm_sys):
    from kvm._kvm_ffi import lib

    assert kvm_sys.vcpu_mmap_size() >= lib.SO_RUN_SIZE


def test_supported_cpuid_has_basic_leaves(kvm_sys):
    leaves = {e.function for e in kvm_sys.supported_cpuid()}
    assert 0 in leaves and 1 in leaves and 0x80000001 in leaves


def test_msr_index_list_has_common_msrs(kvm_sys):
    msrs = set(kvm_sys.msr_index_list())
    assert 0xC0000080 in msrs or 0x10 in msrs  # EFER or TSC
    assert isinstance(kvm_sys.msr_feature_index_list(), list)


def test_vm_max_memslots(kvm_sys):
    with kvm_sys.create_vm() as vm:
        assert vm.max_memslots >= 32
