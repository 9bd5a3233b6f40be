"""What a bare-metal guest needs around learning_gem5's systems, in one place: the PC
devices the guest SDK programs at boot (8259 PICs, 8254 PIT, a COM1 8250 UART whose
Terminal writes to stdout) and the X86BareMetalWorkload; and the default programs. In
SE mode the scripts use `SEWorkload.init_compatible(binary)` and a `Process` instead,
as gem5's do, and need none of the devices.
"""

from m5.objects import (
    I8254,
    I8259,
    Terminal,
    Uart8250,
    X86BareMetalWorkload,
    x86IOAddress,
)


def default_guest():
    """The guest SDK's `hello` (bare metal)."""
    from simobjs.guest import example_guest

    return str(example_guest("hello"))


def default_program():
    """The shipped SE `hello` (a static glibc program)."""
    from simobjs.guest.se_build import se_example

    return str(se_example("hello"))


def add_pc_devices(system, bus):
    """The PIC pair, the PIT and COM1 on `bus`, the PIC's output to the first CPU's APIC."""
    system.pic2 = I8259(pio_addr=x86IOAddress(0xA0), mode="I8259Slave")
    system.pic = I8259(pio_addr=x86IOAddress(0x20), mode="I8259Master", slave=system.pic2)
    system.pit = I8254(pio_addr=x86IOAddress(0x40))
    for dev in (system.pic, system.pic2, system.pit):
        dev.pio = bus.mem_side_ports
    system.pit.int_pin = system.pic.inputs[0]
    system.pic2.output = system.pic.inputs[2]
    system.cpu.interrupts[0].lint0 = system.pic.output
    system.terminal = Terminal(outfile="stdout")
    system.uart = Uart8250(pio_addr=x86IOAddress(0x3F8), device=system.terminal)
    system.uart.pio = bus.mem_side_ports


def set_workload(system, guest):
    """Run `guest` (a static x86-64 ELF) bare-metal: gem5's SE scripts set SEWorkload here."""
    system.workload = X86BareMetalWorkload(object_file=str(guest))
