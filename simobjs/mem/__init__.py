"""The memory system: guest RAM, packets, ports, crossbars."""
