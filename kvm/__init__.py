"""A small typed binding of /dev/kvm (cffi, API mode). Knows nothing of simobjs."""
