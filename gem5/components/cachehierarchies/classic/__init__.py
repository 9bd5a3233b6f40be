"""gem5.components.cachehierarchies.classic: hierarchies of gem5's classic caches."""
