"""learning_gem5's part1/two_level.py: an X86TimingSimpleCPU with L1 instruction and
data caches, an L2XBar, a unified L2 and a DDR3 MemCtrl behind a SystemXBar (the
caches are caches.py's, sized by --l1i_size, --l1d_size, --l2_size), running a static
Linux program in SE mode as gem5's script does, or a bare-metal guest.

    simobjs configs/learning_gem5/two_level.py [BINARY] [--l2_size 1MB ...]
    simobjs configs/learning_gem5/two_level.py --baremetal [GUEST]

Without BINARY it runs the shipped SE `hello` (or, with --baremetal, the guest SDK's
`hello`). gem5's own two_level.py runs unmodified too.
"""

import m5
from m5.objects import *

# Add the common scripts to our path
m5.util.addToPath("../")

# import the caches which we made, and the bare-metal workload's helpers
from baremetal import add_pc_devices, default_guest, default_program, set_workload
from caches import *

# import the SimpleOpts module
from common import SimpleOpts

# Binary to execute
SimpleOpts.add_option("binary", nargs="?", default=None, help="a static x86-64 ELF")
SimpleOpts.add_option(
    "--baremetal",
    action="store_true",
    help="BINARY is a bare-metal guest (the guest SDK's) instead of a Linux program",
)

# Finalize the arguments and grab the args so we can pass it on to our objects
args = SimpleOpts.parse_args()

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

# Create an L1 instruction and data cache
system.cpu.icache = L1ICache(args)
system.cpu.dcache = L1DCache(args)

# Connect the instruction and data caches to the CPU
system.cpu.icache.connectCPU(system.cpu)
system.cpu.dcache.connectCPU(system.cpu)

# Create a memory bus, a coherent crossbar, in this case
system.l2bus = L2XBar()

# Hook the CPU ports up to the l2bus
system.cpu.icache.connectBus(system.l2bus)
system.cpu.dcache.connectBus(system.l2bus)

# Create an L2 cache and connect it to the l2bus
system.l2cache = L2Cache(args)
system.l2cache.connectCPUSideBus(system.l2bus)

# Create a memory bus
system.membus = SystemXBar()

# Connect the L2 cache to the membus
system.l2cache.connectMemSideBus(system.membus)

# create the interrupt controller for the CPU
system.cpu.createInterruptController()
system.cpu.interrupts[0].pio = system.membus.mem_side_ports
system.cpu.interrupts[0].int_requestor = system.membus.cpu_side_ports
system.cpu.interrupts[0].int_responder = system.membus.mem_side_ports

# Connect the system up to the membus
system.system_port = system.membus.cpu_side_ports

# Create a DDR3 memory controller
system.mem_ctrl = MemCtrl()
system.mem_ctrl.dram = DDR3_1600_8x8()
system.mem_ctrl.dram.range = system.mem_ranges[0]
system.mem_ctrl.port = system.membus.mem_side_ports

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
