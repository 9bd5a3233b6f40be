"""The simulation kernel: event queue, time, phases, drain, checkpoints, stats."""
