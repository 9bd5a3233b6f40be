"""gem5.components.cachehierarchies.classic.caches."""
