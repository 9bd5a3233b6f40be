"""gem5.components.memory.dram_interfaces: gem5's DRAM interface classes (from m5.objects)."""
