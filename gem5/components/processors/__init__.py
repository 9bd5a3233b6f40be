"""gem5.components.processors."""
