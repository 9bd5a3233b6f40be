"""Terminal: where a UART's output goes (gem5's Terminal, without the socket).

`outfile`: none, stdoutput/stdout (this process's stdout), stderror, file
(`<outdir>/<terminal path>`, e.g. m5out/system.terminal), both (file and stdout).
Input for the guest is fed with `feed(bytes)`. The file gets the guest's bytes
as they are; a console stream gets them decoded as UTF-8 (an invalid sequence
shows as U+FFFD), so a guest printing UTF-8 text reads right.
"""

from __future__ import annotations

import codecs
import os
import sys
from collections import deque

from simobjs.sim import debug, files
from simobjs.sim.model import Model, Params

OUTFILE_MODES = ("none", "stdoutput", "stderror", "file", "stdout", "both")


class Terminal(Model):
    def __init__(self, params: Params):
        super().__init__(params)
        mode = params.outfile
        if mode not in OUTFILE_MODES:
            raise ValueError(f"{self.name()}: outfile must be one of {OUTFILE_MODES}, got {mode!r}")
        self.mode = mode
        self.number = params.number
        self.output = bytearray()  # everything the guest wrote
        self._input: deque[int] = deque()
        self._file = None
        self._stream = None
        self._decode = codecs.getincrementaldecoder("utf-8")("replace").decode
        self.path: str | None = None
        if mode in ("stdoutput", "stdout", "both"):
            self._stream = sys.stdout
        elif mode == "stderror":
            self._stream = sys.stderr
        if mode in ("file", "both"):
            outdir = getattr(self.sim, "outdir", None) if self.sim is not None else None
            if outdir is not None:
                self.path = os.path.join(outdir, self.name())
                self._file = files.open_output(self.path, "wb")  # closed in close()

    # -- guest output -----------------------------------------------------------------
    def writeData(self, byte: int) -> None:
        """One byte from the UART."""
        self.output.append(byte)
        if self._file is not None:
            self._file.write(bytes((byte,)))
            if byte == 0x0A:
                self._file.flush()
        if self._stream is not None:
            # (a byte of a multi-byte character comes out when the character is complete)
            self._stream.write(self._decode(bytes((byte,))))
            if byte == 0x0A:
                self._stream.flush()
        if debug.flags.Terminal:
            debug.dprintf(self, "out %#04x %r", byte, chr(byte))

    def text(self) -> str:
        return self.output.decode("latin-1")

    # -- guest input ------------------------------------------------------------------
    def feed(self, data: bytes) -> None:
        self._input.extend(data)

    def dataAvailable(self) -> bool:
        return bool(self._input)

    def readData(self) -> int:
        return self._input.popleft() if self._input else 0

    # -- lifecycle --------------------------------------------------------------------
    def flush(self) -> None:
        if self._file is not None:
            self._file.flush()
        if self._stream is not None:
            self._stream.flush()

    def serialize(self, section) -> None:
        self.flush()  # a checkpoint's output directory then has the output up to it

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        if self._stream is not None:
            self._stream.flush()
