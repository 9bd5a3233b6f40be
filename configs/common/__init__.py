"""Helpers shared by the gem5-style scripts in configs/ (gem5's configs/common)."""
