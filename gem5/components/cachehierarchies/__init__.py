"""gem5.components.cachehierarchies."""
