"""The KVM CPU: KvmVM, BaseKvmCPU, X86KvmCPU."""
