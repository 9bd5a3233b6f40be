"""Tools built on the models: the differential checker (KVM vs the reference CPU) and
the host diagnosis behind `simobjs kvm-info`."""
