"""The random bytes SE programs get (getrandom, AT_RANDOM, /dev/urandom): a
counter-mode SHA-256 stream from a seed, so runs repeat and a checkpoint holds its
whole state in two integers."""

from __future__ import annotations

import hashlib


class SeededBytes:
    def __init__(self, seed: int, counter: int = 0) -> None:
        self.seed = seed
        self.counter = counter  # bytes handed out so far

    def __call__(self, n: int) -> bytes:
        out = bytearray()
        block, skip = divmod(self.counter, 32)
        while len(out) < n + skip:
            out += hashlib.sha256(f"{self.seed}:{block}".encode()).digest()
            block += 1
        data = bytes(out[skip : skip + n])
        self.counter += n
        return data
