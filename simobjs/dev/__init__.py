"""Devices: the 8250 UART and its terminal, the 8254 PIT, the 8259 PIC, m5ops, interrupt wires."""
