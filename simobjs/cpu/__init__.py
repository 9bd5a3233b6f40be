"""CPU models: the common base, the KVM CPU and the reference CPU."""
