"""Run a static Linux program in SE mode with the option set of gem5's
configs/deprecated/example/se.py, built the way gem5's configs/common builds it.

    simobjs configs/se_classic.py -c ./prog -o "a b"
    simobjs configs/se_classic.py --cpu-type X86KvmCPU --num-cpus 2 --mem-size 256MB -c ./prog
    simobjs configs/se_classic.py --cpu-type X86TimingSimpleCPU --caches --l2cache -c ./prog
    simobjs configs/se_classic.py --cpu-type X86TimingSimpleCPU --caches -F 1000000 -c ./prog
    simobjs configs/se_classic.py --cpu-type X86KvmCPU --rel-max-tick 3000000000 \\
        --checkpoint-at-end --checkpoint-dir cpts -c ./prog
    simobjs configs/se_classic.py -r 1 --checkpoint-dir cpts -c ./prog

The calls are those of se.py and configs/common (Options, Simulation, CacheConfig,
MemConfig, FileSystemConfig): one Process per ';'-separated command, CPU classes
looked up by name in m5.objects, KvmVM with useArchPT/kvmInSE, private split L1
caches with page-table walker caches (addPrivateSplitL1Caches) and a shared L2 behind
an L2XBar, a MemCtrl per channel with its interleaved range, the /proc, /sys and /tmp
files in <outdir>/fs with RedirectPaths to them, switched-out CPUs for
fast-forwarding (-F: a CPU of --fast-forward-cpu-type, X86AtomicSimpleCPU by default
as in gem5, runs N instructions, then the --cpu-type CPUs take over) and for
restoring (-r: restore on --restore-with-cpu, switch after 10000 ticks),
root.apply_config(--param), checkpoints at the program's m5_checkpoint() and at the
end (--checkpoint-at-end). It uses gem5's messages ("Switch at instruction count:",
"**** REAL SIMULATION ****", "Exiting @ tick ... because ...") and leaves the
program's exit status as the exit code. --fast-forward-cpu-type is simobjs's:
gem5 v24's Simulation.setCPUClass has no such choice (and its -F path fails, see
docs/gem5-mapping.md).
"""

import argparse
import math
import os
import shutil
import sys

import m5
import m5.objects
from m5.objects import *
from m5.util import fatal
from m5.util.convert import kibi, mega, toFrequency, toMemorySize

ISA_CPUS = ["X86AtomicSimpleCPU", "X86TimingSimpleCPU", "X86KvmCPU"]


# -- options (common/Options.py's names and defaults) ----------------------------------------
def add_options(parser):
    parser.add_argument(
        "-c", "--cmd", default="", help="The binary to run in syscall emulation mode."
    )
    parser.add_argument("-o", "--options", default="", help="The options to pass to the binary.")
    parser.add_argument(
        "-e", "--env", default="", help="Initialize workload environment from text file."
    )
    parser.add_argument("-i", "--input", default="", help="Read stdin from a file.")
    parser.add_argument("--output", default="", help="Redirect stdout to a file.")
    parser.add_argument("--errout", default="", help="Redirect stderr to a file.")
    parser.add_argument("--cpu-type", default="X86AtomicSimpleCPU", choices=ISA_CPUS)
    parser.add_argument("-n", "--num-cpus", type=int, default=1)
    parser.add_argument("--sys-voltage", default="1.0V")
    parser.add_argument("--sys-clock", default="1GHz")
    parser.add_argument("--cpu-clock", default="2GHz")
    parser.add_argument("--mem-type", default="DDR3_1600_8x8")
    parser.add_argument("--mem-channels", type=int, default=1)
    parser.add_argument("--mem-size", default="512MB")
    parser.add_argument("--caches", action="store_true")
    parser.add_argument("--l2cache", action="store_true")
    parser.add_argument("--l1d_size", default="64kB")
    parser.add_argument("--l1i_size", default="32kB")
    parser.add_argument("--l2_size", default="2MB")
    parser.add_argument("--l1d_assoc", type=int, default=2)
    parser.add_argument("--l1i_assoc", type=int, default=2)
    parser.add_argument("--l2_assoc", type=int, default=8)
    parser.add_argument("--cacheline_size", type=int, default=64)
    parser.add_argument("--maxinsts", type=int, default=None)
    parser.add_argument("--rel-max-tick", type=int, default=None)
    parser.add_argument("-F", "--fast-forward", default=None)
    parser.add_argument(
        "--fast-forward-cpu-type",
        default="X86AtomicSimpleCPU",
        choices=ISA_CPUS,
        help="the CPU that runs the -F instructions (X86KvmCPU needs hardware counters)",
    )
    parser.add_argument("--checkpoint-dir", default=None)
    parser.add_argument("--checkpoint-at-end", action="store_true")
    parser.add_argument("--max-checkpoints", type=int, default=5)
    parser.add_argument("-r", "--checkpoint-restore", type=int, default=None)
    parser.add_argument("--restore-with-cpu", default="X86AtomicSimpleCPU", choices=ISA_CPUS)
    parser.add_argument("--param", action="append", default=[])


def get_processes(args):
    """One Process per ';'-separated command, as se.py's get_processes."""
    inputs = args.input.split(";") if args.input != "" else []
    outputs = args.output.split(";") if args.output != "" else []
    errouts = args.errout.split(";") if args.errout != "" else []
    pargs = args.options.split(";") if args.options != "" else []
    processes = []
    for idx, wrkld in enumerate(args.cmd.split(";")):
        process = Process(pid=100 + idx)
        process.executable = wrkld
        process.cwd = os.getcwd()
        process.gid = os.getgid()
        if args.env:
            with open(args.env) as f:
                process.env = [line.rstrip() for line in f]
        process.cmd = [wrkld] + (pargs[idx].split() if len(pargs) > idx else [])
        if len(inputs) > idx:
            process.input = inputs[idx]
        if len(outputs) > idx:
            process.output = outputs[idx]
        if len(errouts) > idx:
            process.errout = errouts[idx]
        processes.append(process)
    return processes


# -- common/Simulation.py's CPU classes ------------------------------------------------------
def cpu_class(name):
    cls = getattr(m5.objects, name)
    return cls, cls.memory_mode()


def set_cpu_class(args):
    """(the CPU class to start with, its memory mode, the class that takes over or None)."""
    tmp_class, mem_mode = cpu_class(args.cpu_type)
    future = None
    if tmp_class.require_caches() and not args.caches:
        fatal(f"{args.cpu_type} must be used with caches")
    if args.checkpoint_restore is not None:
        if args.restore_with_cpu != args.cpu_type:
            future = tmp_class
            tmp_class, mem_mode = cpu_class(args.restore_with_cpu)
    elif args.fast_forward:
        future = tmp_class
        tmp_class, mem_mode = cpu_class(args.fast_forward_cpu_type)
    return tmp_class, mem_mode, future


def is_kvm_cpu(cls):
    return cls is not None and issubclass(cls, m5.objects.BaseKvmCPU)


# -- common/CacheConfig.py -------------------------------------------------------------------
class L1Cache(Cache):
    assoc = 2
    tag_latency = 2
    data_latency = 2
    response_latency = 2
    mshrs = 4
    tgts_per_mshr = 20


class L1_ICache(L1Cache):
    is_read_only = True
    writeback_clean = True


class L1_DCache(L1Cache):
    pass


class L2Cache(Cache):
    assoc = 8
    tag_latency = 20
    data_latency = 20
    response_latency = 20
    mshrs = 20
    tgts_per_mshr = 12
    write_buffers = 8


class WalkerCache(Cache):
    assoc = 2
    tag_latency = 2
    data_latency = 2
    response_latency = 2
    mshrs = 10
    size = "1kB"
    tgts_per_mshr = 12


def config_cache(args, system):
    system.cache_line_size = args.cacheline_size
    if args.l2cache:
        system.l2 = L2Cache(
            clk_domain=system.cpu_clk_domain, size=args.l2_size, assoc=args.l2_assoc
        )
        system.tol2bus = L2XBar(clk_domain=system.cpu_clk_domain)
        system.l2.cpu_side = system.tol2bus.mem_side_ports
        system.l2.mem_side = system.membus.cpu_side_ports
    for i in range(args.num_cpus):
        if args.caches:
            icache = L1_ICache(size=args.l1i_size, assoc=args.l1i_assoc)
            dcache = L1_DCache(size=args.l1d_size, assoc=args.l1d_assoc)
            system.cpu[i].addPrivateSplitL1Caches(icache, dcache, WalkerCache(), WalkerCache())
        system.cpu[i].createInterruptController()
        if args.l2cache:
            system.cpu[i].connectAllPorts(
                system.tol2bus.cpu_side_ports,
                system.membus.cpu_side_ports,
                system.membus.mem_side_ports,
            )
        else:
            system.cpu[i].connectBus(system.membus)


# -- common/MemConfig.py ---------------------------------------------------------------------
def create_mem_intf(intf, r, i, intlv_bits, intlv_size):
    intlv_low_bit = int(math.log(intlv_size, 2))
    interface = intf()
    if issubclass(intf, m5.objects.DRAMInterface):
        if interface.addr_mapping.value == "RoRaBaChCo":
            rowbuffer = interface.device_rowbuffer_size.value * interface.devices_per_rank.value
            intlv_low_bit = int(math.log(rowbuffer, 2))
    if issubclass(intf, m5.objects.NVMInterface):  # a gem5 class simobjs lacks: never true
        fatal("NVM interfaces are not modelled")
    interface.range = AddrRange(
        r.start,
        size=r.size(),
        intlvHighBit=intlv_low_bit + intlv_bits - 1,
        xorHighBit=0,
        intlvBits=intlv_bits,
        intlvMatch=i,
    )
    return interface


def config_mem(args, system):
    intf = getattr(m5.objects, args.mem_type)
    nbr = args.mem_channels
    intlv_bits = int(math.log(nbr, 2))
    if 2**intlv_bits != nbr:
        fatal("Number of memory channels must be a power of 2")
    mem_ctrls = []
    for r in system.mem_ranges:
        for i in range(nbr):
            if issubclass(intf, m5.objects.SimpleMemory):
                mem_ctrls.append(intf(range=r))
                continue
            mem_ctrl = MemCtrl()
            mem_ctrl.dram = create_mem_intf(intf, r, i, intlv_bits, system.cache_line_size.value)
            mem_ctrls.append(mem_ctrl)
    system.mem_ctrls = mem_ctrls
    for ctrl in system.mem_ctrls:
        ctrl.port = system.membus.mem_side_ports


# -- common/FileSystemConfig.py --------------------------------------------------------------
def config_filesystem(system, args):
    fsdir = os.path.join(m5.options.outdir, "fs")
    if os.path.isdir(fsdir):
        shutil.rmtree(fsdir)
    procdir = os.path.join(fsdir, "proc")
    cpudir = os.path.join(fsdir, "sys", "devices", "system", "cpu")
    os.makedirs(procdir)
    os.makedirs(cpudir)
    os.makedirs(os.path.join(fsdir, "tmp"))
    cpus = [obj for obj in system.descendants() if isinstance(obj, BaseCPU)]
    clock = toFrequency(args.cpu_clock) / mega
    l2_size = toMemorySize(args.l2_size) / kibi
    with open(os.path.join(procdir, "cpuinfo"), "w") as f:
        for i in range(len(cpus)):
            f.write(
                f"processor       : {i}\nvendor_id       : Generic\ncpu MHz         : {clock:0.3f}\n"
                f"cache size:     : {l2_size}K\ncpu cores       : {len(cpus)}\n\n"
            )
    with open(os.path.join(cpudir, "online"), "w") as f:
        f.write(f"0-{len(cpus) - 1}")
    system.redirect_paths = [
        RedirectPath(app_path="/proc", host_paths=[procdir]),
        RedirectPath(app_path="/sys", host_paths=[os.path.join(fsdir, "sys")]),
        RedirectPath(app_path="/tmp", host_paths=[os.path.join(fsdir, "tmp")]),
    ]


# -- common/Simulation.py's run --------------------------------------------------------------
def find_cpt_dir(args, cptdir):
    if not os.path.isdir(cptdir):
        fatal(f"checkpoint dir {cptdir} does not exist!")
    cpts = sorted(
        (int(name.split(".", 1)[1]) for name in os.listdir(cptdir) if name.startswith("cpt.")),
    )
    if args.checkpoint_restore > len(cpts):
        fatal(f"Checkpoint {args.checkpoint_restore} not found")
    tick = cpts[args.checkpoint_restore - 1]
    return tick, os.path.join(cptdir, f"cpt.{tick}")


def bench_checkpoints(args, maxtick, cptdir):
    exit_event = m5.simulate(maxtick - m5.curTick())
    exit_cause = exit_event.getCause()
    taken = 0
    while exit_cause == "checkpoint":
        m5.checkpoint(os.path.join(cptdir, "cpt.%d"))
        taken += 1
        if taken == args.max_checkpoints:
            exit_cause = f"maximum {args.max_checkpoints} checkpoints dropped"
            break
        exit_event = m5.simulate(maxtick - m5.curTick())
        exit_cause = exit_event.getCause()
    return exit_event, exit_cause


def run(args, root, testsys, future_class):
    cptdir = args.checkpoint_dir or m5.options.outdir
    if args.fast_forward and args.checkpoint_restore is not None:
        fatal("Can't specify both --fast-forward and --checkpoint-restore")
    np = args.num_cpus
    if args.maxinsts:
        for i in range(np):
            testsys.cpu[i].max_insts_any_thread = args.maxinsts
    if future_class:
        switch_cpus = [future_class(switched_out=True, cpu_id=i) for i in range(np)]
        for i in range(np):
            if args.fast_forward:
                testsys.cpu[i].max_insts_any_thread = int(args.fast_forward)
            switch_cpus[i].system = testsys
            switch_cpus[i].workload = testsys.cpu[i].workload
            switch_cpus[i].clk_domain = testsys.cpu[i].clk_domain
            switch_cpus[i].isa = testsys.cpu[i].isa
            if args.maxinsts:
                switch_cpus[i].max_insts_any_thread = args.maxinsts
            switch_cpus[i].createThreads()
        testsys.switch_cpus = switch_cpus
        switch_cpu_list = [(testsys.cpu[i], switch_cpus[i]) for i in range(np)]
    checkpoint_dir, cpt_starttick = None, 0
    if args.checkpoint_restore is not None:
        cpt_starttick, checkpoint_dir = find_cpt_dir(args, cptdir)
    root.apply_config(args.param)
    m5.instantiate(checkpoint_dir)
    maxtick = m5.MaxTick
    if args.rel_max_tick:
        maxtick = args.rel_max_tick + cpt_starttick
    if future_class:
        if args.fast_forward:
            print(f"Switch at instruction count:{testsys.cpu[0].max_insts_any_thread}")
            exit_event = m5.simulate()
        else:
            print("Switch at curTick count:10000")
            exit_event = m5.simulate(10000)
        print(f"Switched CPUS @ tick {m5.curTick()}")
        m5.switchCpus(testsys, switch_cpu_list)
    if args.fast_forward:
        m5.stats.reset()
    print("**** REAL SIMULATION ****")
    exit_event, exit_cause = bench_checkpoints(args, maxtick, cptdir)
    print(f"Exiting @ tick {m5.curTick()} because {exit_cause}")
    if args.checkpoint_at_end:
        m5.checkpoint(os.path.join(cptdir, "cpt.%d"))
    if exit_event.getCode() != 0:
        print("Simulated exit code not 0! Exit code is", exit_event.getCode())


def build(args):
    processes = get_processes(args)
    CPUClass, test_mem_mode, FutureClass = set_cpu_class(args)
    np = args.num_cpus
    system = System(
        cpu=[CPUClass(cpu_id=i) for i in range(np)],
        mem_mode=test_mem_mode,
        mem_ranges=[AddrRange(args.mem_size)],
        cache_line_size=args.cacheline_size,
    )
    system.voltage_domain = VoltageDomain(voltage=args.sys_voltage)
    system.clk_domain = SrcClockDomain(clock=args.sys_clock, voltage_domain=system.voltage_domain)
    system.cpu_voltage_domain = VoltageDomain()
    system.cpu_clk_domain = SrcClockDomain(
        clock=args.cpu_clock, voltage_domain=system.cpu_voltage_domain
    )
    for cpu in system.cpu:
        cpu.clk_domain = system.cpu_clk_domain
    if is_kvm_cpu(CPUClass) or is_kvm_cpu(FutureClass):
        system.kvm_vm = KvmVM()
        system.m5ops_base = max(0xFFFF0000, Addr(args.mem_size).getValue())
        for process in processes:
            process.useArchPT = True
            process.kvmInSE = True
    for i in range(np):
        system.cpu[i].workload = processes[0] if len(processes) == 1 else processes[i]
        system.cpu[i].createThreads()
    system.membus = SystemXBar()
    system.system_port = system.membus.cpu_side_ports
    config_cache(args, system)
    config_mem(args, system)
    config_filesystem(system, args)
    system.workload = SEWorkload.init_compatible(processes[0].executable)
    return Root(full_system=False, system=system), system, FutureClass


if __name__ == "__m5_main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_options(parser)
    args = parser.parse_args()
    if not args.cmd:
        print("No workload specified. Exiting!\n", file=sys.stderr)
        sys.exit(1)
    root, system, future = build(args)
    run(args, root, system, future)
