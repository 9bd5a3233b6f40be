"""gem5.simulate: the Simulator and its exit events."""
