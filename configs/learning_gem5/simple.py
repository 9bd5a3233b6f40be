"""learning_gem5's part1/simple.py: one X86TimingSimpleCPU whose ports go straight to a
SystemXBar, a MemCtrl with DDR3_1600_8x8 behind it, running a static Linux program in
SE mode as gem5's script does, or a bare-metal guest.

    simobjs configs/learning_gem5/simple.py [BINARY]
    simobjs configs/learning_gem5/simple.py --baremetal [GUEST]

Without BINARY it runs the shipped SE `hello` (or, with --baremetal, the guest SDK's
`hello`, loaded by X86BareMetalWorkload and printing on COM1; baremetal.py). gem5's
own simple.py runs unmodified too.
"""

import argparse

from baremetal import add_pc_devices, default_guest, default_program, set_workload

import m5
from m5.objects import *

parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
parser.add_argument("binary", nargs="?", default=None, help="a static x86-64 ELF")
parser.add_argument(
    "--baremetal",
    action="store_true",
    help="BINARY is a bare-metal guest (the guest SDK's) instead of a Linux program",
)
args = parser.parse_args()

# create the system we are going to simulate
system = System()

# Set the clock frequency of the system (and all of its children)
system.clk_domain = SrcClockDomain()
system.clk_domain.clock = "1GHz"
system.clk_domain.voltage_domain = VoltageDomain()

# Set up the system
system.mem_mode = "timing"  # Use timing accesses
system.mem_ranges = [AddrRange("512MB")]  # Create an address range

# Create a simple CPU
system.cpu = X86TimingSimpleCPU()

# Create a memory bus, a system crossbar, in this case
system.membus = SystemXBar()

# Hook the CPU ports up to the membus
system.cpu.icache_port = system.membus.cpu_side_ports
system.cpu.dcache_port = system.membus.cpu_side_ports

# create the interrupt controller for the CPU and connect to the membus
system.cpu.createInterruptController()
system.cpu.interrupts[0].pio = system.membus.mem_side_ports
system.cpu.interrupts[0].int_requestor = system.membus.cpu_side_ports
system.cpu.interrupts[0].int_responder = system.membus.mem_side_ports

# Create a DDR3 memory controller and connect it to the membus
system.mem_ctrl = MemCtrl()
system.mem_ctrl.dram = DDR3_1600_8x8()
system.mem_ctrl.dram.range = system.mem_ranges[0]
system.mem_ctrl.port = system.membus.mem_side_ports

# Connect the system up to the membus
system.system_port = system.membus.cpu_side_ports

if args.baremetal:
    # a bare-metal guest, and the PC devices its SDK programs at boot
    add_pc_devices(system, system.membus)
    set_workload(system, args.binary or default_guest())
    system.cpu.createThreads()
    root = Root(full_system=True, system=system)
else:
    binary = args.binary or default_program()
    system.workload = SEWorkload.init_compatible(binary)

    # Create a process for a simple "Hello World" application
    process = Process()
    # Set the command
    # cmd is a list which begins with the executable (like argv)
    process.cmd = [binary]
    # Set the cpu to use the process as its workload and create thread contexts
    system.cpu.workload = process
    system.cpu.createThreads()

    # set up the root SimObject and start the simulation
    root = Root(full_system=False, system=system)
# instantiate all of the objects we've created above
m5.instantiate()

print("Beginning simulation!")
exit_event = m5.simulate()
print(f"Exiting @ tick {m5.curTick()} because {exit_event.getCause()}")
