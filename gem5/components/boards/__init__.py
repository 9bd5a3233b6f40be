"""gem5.components.boards."""
