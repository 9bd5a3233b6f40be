"""Run a static Linux program in syscall-emulation (SE) mode, as gem5's se.py does.

    simobjs configs/se_hello.py --cmd /bin/busybox --options "sh -c 'echo $((6*7))'"
    simobjs configs/se_hello.py --cpu-type X86AtomicSimpleCPU --cmd ./prog
    simobjs configs/se_hello.py --cpu-type X86TimingSimpleCPU --cmd ./prog
    simobjs configs/se_hello.py --cmd ./prog --switch-cpu-type X86AtomicSimpleCPU

Without --cmd it builds and runs the shipped `hello` example (glibc). The calls are
gem5's: Process(cmd, ...) per workload, cpu.workload = process, cpu.createThreads(),
createInterruptController() and connectBus(membus), KvmVM and useArchPT/kvmInSE for
the KVM CPU, system.workload = SEWorkload.init_compatible(binary),
Root(full_system=False). With --switch-cpu-type a switched-out CPU of that type
takes over at the program's m5_switch_cpu() (and at work items with
--work-item-switch), as configs/common/Simulation.py's switch CPUs do; a
m5_checkpoint() writes <checkpoint-dir>/cpt.<tick>, --checkpoint-restore N
restores the N-th of them. `build(args)` returns the Root for other scripts.
"""

import argparse
import glob
import os
import shlex

import m5
from m5.objects import *

CPU_TYPES = {
    "X86KvmCPU": "atomic_noncaching",
    "X86AtomicSimpleCPU": "atomic",
    "X86TimingSimpleCPU": "timing",
}


def add_options(parser):
    parser.add_argument("-c", "--cmd", default="", help="The binary to run in SE mode.")
    parser.add_argument("-o", "--options", default="", help="The options to pass to the binary.")
    parser.add_argument("-e", "--env", default="", help="Initialize the environment from a file.")
    parser.add_argument("-i", "--input", default="", help="Read stdin from a file.")
    parser.add_argument("--output", default="", help="Redirect stdout to a file (in the outdir).")
    parser.add_argument("--errout", default="", help="Redirect stderr to a file (in the outdir).")
    parser.add_argument("--cpu-type", default="X86KvmCPU", choices=sorted(CPU_TYPES))
    parser.add_argument(
        "--switch-cpu-type",
        default="",
        choices=["", *sorted(CPU_TYPES)],
        help="a switched-out CPU the program's m5_switch_cpu() moves it to",
    )
    parser.add_argument(
        "--work-item-switch",
        action="store_true",
        help="also switch CPUs at every m5_work_begin/m5_work_end",
    )
    parser.add_argument("--num-cpus", type=int, default=1)
    parser.add_argument("--mem-size", default="512MiB")
    parser.add_argument("--sys-clock", default="1GHz")
    parser.add_argument("--cpu-clock", default="2GHz")
    parser.add_argument("--checkpoint-dir", default=None)
    parser.add_argument("-r", "--checkpoint-restore", type=int, default=None)
    parser.add_argument(
        "--sandbox-root",
        default="",
        help="host directory the program sees as / (default: the current one)",
    )


def get_processes(args):
    """One Process per ';'-separated --cmd, as se.py's get_processes()."""
    processes = []
    inputs = args.input.split(";") if args.input else []
    outputs = args.output.split(";") if args.output else []
    errouts = args.errout.split(";") if args.errout else []
    pargs = args.options.split(";") if args.options else []
    for idx, wrkld in enumerate(args.cmd.split(";")):
        process = Process(pid=100 + idx)
        process.executable = wrkld
        process.cwd = os.getcwd()
        process.gid = os.getgid()
        if args.env:
            with open(args.env) as f:
                process.env = [line.rstrip() for line in f]
        process.cmd = [wrkld] + (shlex.split(pargs[idx]) if len(pargs) > idx else [])
        if len(inputs) > idx:
            process.input = inputs[idx]
        if len(outputs) > idx:
            process.output = outputs[idx]
        if len(errouts) > idx:
            process.errout = errouts[idx]
        if args.sandbox_root:
            process.sandbox_root = args.sandbox_root
        processes.append(process)
    return processes


def build(args):
    processes = get_processes(args)
    kvm_used = "X86KvmCPU" in (args.cpu_type, args.switch_cpu_type)
    mem_mode = CPU_TYPES[args.cpu_type]
    CPUClass = globals()[args.cpu_type]
    np = args.num_cpus
    system = System(
        cpu=[CPUClass(cpu_id=i) for i in range(np)],
        mem_mode=mem_mode,
        mem_ranges=[AddrRange(args.mem_size)],
    )
    system.voltage_domain = VoltageDomain()
    system.clk_domain = SrcClockDomain(clock=args.sys_clock, voltage_domain=system.voltage_domain)
    system.cpu_voltage_domain = VoltageDomain()
    system.cpu_clk_domain = SrcClockDomain(
        clock=args.cpu_clock, voltage_domain=system.cpu_voltage_domain
    )
    for cpu in system.cpu:
        cpu.clk_domain = system.cpu_clk_domain
    if kvm_used:
        system.kvm_vm = KvmVM()
        system.m5ops_base = max(0xFFFF0000, Addr(args.mem_size).getValue())
        for process in processes:
            process.useArchPT = True
            process.kvmInSE = True
    for i in range(np):
        system.cpu[i].workload = processes[i] if len(processes) > 1 else processes[0]
        system.cpu[i].createThreads()
    system.membus = SystemXBar()
    system.system_port = system.membus.cpu_side_ports
    for i in range(np):
        system.cpu[i].createInterruptController()
        system.cpu[i].connectBus(system.membus)
    system.mem_ctrl = SimpleMemory(range=system.mem_ranges[0])
    system.mem_ctrl.port = system.membus.mem_side_ports
    system.workload = SEWorkload.init_compatible(processes[0].executable)
    if args.work_item_switch:
        system.exit_on_work_items = True
    root = Root(full_system=False, system=system)
    if args.switch_cpu_type:  # as Simulation.run does, once the system has its parent
        SwitchClass = globals()[args.switch_cpu_type]
        switch_cpus = [SwitchClass(switched_out=True, cpu_id=i) for i in range(np)]
        for i in range(np):
            switch_cpus[i].system = system
            switch_cpus[i].workload = system.cpu[i].workload
            switch_cpus[i].clk_domain = system.cpu[i].clk_domain
            switch_cpus[i].isa = system.cpu[i].isa
            switch_cpus[i].createThreads()
        system.switch_cpus = switch_cpus
    return root


def restore_dir(args):
    """The N-th checkpoint (by tick) in --checkpoint-dir, as Simulation.py picks it."""
    if args.checkpoint_restore is None:
        return None
    cpts = sorted(
        glob.glob(os.path.join(args.checkpoint_dir or m5.options.outdir, "cpt.*")),
        key=lambda p: int(p.rsplit(".", 1)[1]),
    )
    if not 1 <= args.checkpoint_restore <= len(cpts):
        m5.util.fatal(f"checkpoint {args.checkpoint_restore} not found ({len(cpts)} present)")
    return cpts[args.checkpoint_restore - 1]


def run(args, root):
    system = root.system
    m5.instantiate(restore_dir(args))
    running = list(system.cpu)
    spare = list(getattr(system, "switch_cpus", []))
    switch_causes = {"switchcpu"} | ({"workbegin", "workend"} if args.work_item_switch else set())
    while True:
        event = m5.simulate()
        cause = event.getCause()
        if cause == "checkpoint":
            m5.checkpoint(os.path.join(args.checkpoint_dir or m5.options.outdir, "cpt.%d"))
        elif cause in switch_causes and spare:
            m5.switchCpus(system, list(zip(running, spare, strict=True)))
            running, spare = spare, running
        elif cause not in switch_causes:
            break
    print(f"Exiting @ tick {m5.curTick()} because {cause}")
    return event.getCode()


def default_program():
    from simobjs.guest.se_build import se_example

    return str(se_example("hello"))


if __name__ == "__m5_main__" or __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_options(parser)
    args = parser.parse_args()
    if not args.cmd:
        args.cmd = default_program()
    raise SystemExit(run(args, build(args)))
