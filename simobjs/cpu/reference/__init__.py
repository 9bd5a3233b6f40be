"""The reference CPU: exact x86-64 execution on Unicorn (gem5's AtomicSimpleCPU role)."""
