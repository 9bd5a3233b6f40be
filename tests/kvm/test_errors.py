import errno
import pickle

import pytest

from kvm.errors import KvmError, KvmUnavailable, check, remedy_for


def test_check_passes_non_negative_results():
    assert check(0, "KVM_X") == 0
    assert check(7, "KVM_X") == 7


def test_check_raises_with_ioctl_name_and_errno():
    with pytest.raises(KvmError) as ei:
        check(-errno.EINVAL, "KVM_SET_REGS")
    assert ei.value.ioctl == "KVM_SET_REGS"
    assert ei.value.errno == errno.EINVAL
    assert "KVM_SET_REGS" in str(ei.value) and "Invalid argument" in str(ei.value)


def test_kvm_error_pickles():
    e = pickle.loads(pickle.dumps(KvmError("KVM_RUN", errno.EFAULT, "bad")))
    assert (e.ioctl, e.errno, e.message) == ("KVM_RUN", errno.EFAULT, "bad")


def test_remedies_name_the_fix():
    assert "modprobe kvm_intel" in remedy_for("/dev/kvm", errno.ENOENT)
    assert "group kvm" in remedy_for("/dev/kvm", errno.EACCES)
    assert "group kvm" in remedy_for("/dev/kvm", errno.EPERM)


def test_missing_device_is_kvm_unavailable(tmp_path):
    from kvm.system import Kvm

    with pytest.raises(KvmUnavailable) as ei:
        Kvm(str(tmp_path / "no-such-kvm"))
    assert ei.value.errno == errno.ENOENT
    assert "modprobe" in ei.value.remedy
    assert isinstance(ei.value, KvmError)


def test_forbidden_device_is_kvm_unavailable(tmp_path):
    from kvm.system import Kvm

    p = tmp_path / "kvm"
    p.write_text("")
    p.chmod(0)
    import os

    if os.geteuid() == 0:
        # root ignores file modes; a directory cannot be opened O_RDWR either way.
        p = tmp_path
    with pytest.raises(KvmUnavailable):
        Kvm(str(p))


@pytest.mark.kvm
def test_unaligned_memory_region_names_ioctl(kvm_sys):
    with kvm_sys.create_vm() as vm, pytest.raises(KvmError) as ei:
        vm.set_user_memory_region(0, 0x123, 0x1000, 0x1000)
    assert ei.value.ioctl == "KVM_SET_USER_MEMORY_REGION"
    assert ei.value.errno == errno.EINVAL


@pytest.mark.kvm
def test_duplicate_vcpu_id_is_eexist(kvm_sys):
    with kvm_sys.create_vm() as vm:
        vm.create_vcpu(0)
        with pytest.raises(KvmError) as ei:
            vm.create_vcpu(0)
    assert (ei.value.ioctl, ei.value.errno) == ("KVM_CREATE_VCPU", errno.EEXIST)


@pytest.mark.kvm
def test_dirty_log_without_logging_flag_is_an_error(kvm_sys):
    from simobjs.mem.guest_ram import GuestRam

    ram = GuestRam(0, 1 << 20)
    try:
        with kvm_sys.create_vm() as vm:
            vm.set_user_memory_region(0, 0, ram.size, ram.host_address)
            with pytest.raises(KvmError) as ei:
                vm.get_dirty_log(0)
            assert ei.value.ioctl == "KVM_GET_DIRTY_LOG"
            assert ei.value.errno == errno.ENOENT
    finally:
        ram.close()


@pytest.mark.kvm
def test_bad_msr_is_named(make_guest):
    g = make_guest("hlt")
    with pytest.raises(KvmError) as ei:
        g.vcpu.set_msrs({0xDEAD0000: 1})
    assert ei.value.ioctl == "KVM_SET_MSRS"
    assert "0xdead0000" in str(ei.value)
