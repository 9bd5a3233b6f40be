"""The Process model (gem5's Process): what one hardware thread runs in SE mode.

It holds the program, its arguments, environment, working directory, standard
streams and ids; the SE workload (`simobjs.se.workload`) starts it at
initState. Streams follow gem5: `input` is opened as given ("cin": the
simulator's stdin), `output`/`errout` are files in the output directory
("cout"/"cerr": the simulator's stdout/stderr).
"""

from __future__ import annotations

import os

from simobjs.base.elf import ProgramError, inspect_program
from simobjs.errors import ConfigError, Problem
from simobjs.se.files import O_RDONLY, O_WRONLY, FdTable, Stream
from simobjs.se.fs import FsError
from simobjs.sim.model import Model, Params

STD_NAMES = {
    "cin": "cin",
    "stdin": "cin",
    "cout": "cout",
    "stdout": "cout",
    "cerr": "cerr",
    "stderr": "cerr",
}


class Process(Model):
    def __init__(self, params: Params):
        super().__init__(params)
        p = params
        self.cmd = [str(c) for c in (p.cmd or [])]
        self.executable = str(p.executable or (self.cmd[0] if self.cmd else ""))
        self.env = [str(e) for e in (p.env or [])]
        self.cwd = str(p.cwd or os.getcwd())
        self.input, self.output, self.errout = str(p.input), str(p.output), str(p.errout)
        self.pid, self.ppid, self.pgid = int(p.pid), int(p.ppid), int(p.pgid)
        self.ids = (int(p.uid), int(p.euid), int(p.gid), int(p.egid))
        self.max_stack = int(p.maxStackSize)
        self.release = str(p.release)
        self.sandbox_root = str(p.sandbox_root or "")
        self.random_seed = int(p.random_seed or 0)
        self.kvm_in_se = bool(p.kvmInSE)
        self.use_arch_pt = bool(p.useArchPT)
        self.task = None  # the first thread, once started

    def init(self) -> None:
        problems = []
        if not self.executable:
            problems.append(
                Problem(
                    self.name(),
                    "no program to run",
                    "cmd",
                    expected="[executable, args...]",
                    got="[]",
                )
            )
        else:
            try:
                inspect_program(self.executable)
            except ProgramError as e:
                problems.append(
                    Problem(
                        self.name(),
                        e.problem,
                        "executable" if self.params.executable else "cmd",
                        got=e.file,
                    )
                )
        if problems:
            raise ConfigError(problems)

    # -- what the kernel asks -------------------------------------------------------------------
    def argv(self) -> list[bytes]:
        args = self.cmd or [self.executable]
        return [os.fsencode(a) for a in args]

    def streams(self, outdir: str | None) -> FdTable:
        """Descriptors 0, 1, 2 (gem5's Process stdin/stdout/stderr resolution)."""
        table = FdTable()
        table.set(0, self._stream("input", self.input, outdir))
        table.set(1, self._stream("output", self.output, outdir))
        if self.errout == self.output:
            table.set(2, table.get(1))  # one file, one offset (gem5 reuses the descriptor)
        else:
            table.set(2, self._stream("errout", self.errout, outdir))
        return table

    def _stream(self, role: str, name: str, outdir: str | None) -> Stream:
        flags = O_RDONLY if role == "input" else O_WRONLY
        if name in STD_NAMES:
            return Stream(role, STD_NAMES[name], None, flags)
        if role == "input":
            host = name
        else:
            host = os.path.join(outdir, name) if outdir and not os.path.isabs(name) else name
        try:
            return Stream(role, name, host, flags)
        except FsError as e:
            raise ConfigError(Problem(self.name(), f"cannot open {host}: {e}", role)) from None

    def map(self, vaddr: int, paddr: int, size: int, cacheable: bool = True) -> bool:
        """gem5's Process.map: a device range mapped into the program (uncached)."""
        if self.task is None:
            return False
        from simobjs.se.mm import Vma

        mm = self.task.proc.mm
        if mm.overlaps(vaddr, vaddr + size):
            return False
        mm.add(Vma(vaddr, vaddr + size, 3, shared=True, kind="m5ops", phys=paddr))
        return True
