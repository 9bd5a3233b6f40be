"""The file tree an SE program sees: a host directory as `/`, walked component by
component so that no path escapes it (`..` stops at the root, symbolic links are
followed inside it, absolute links included), with a few synthesised entries.

- `/` is `root` (default: the directory simobjs was started in); it is read-only
  except under the output directory, where the program may create and change files.
- `/tmp` is `<outdir>/fs/tmp` (writable), as gem5's se.py redirects it.
- `System.redirect_paths` (gem5's RedirectPath: configs/common/FileSystemConfig.py
  sets `/proc`, `/sys` and `/tmp` to directories it fills in the outdir) maps a
  guest directory to host ones: the rest of the path is taken from the first host
  directory where it exists, else from the first one (gem5's rule). A redirect of
  `/tmp` replaces the default one.
- `/dev/null`, `/dev/zero`, `/dev/urandom` (and `/dev/random`), `/dev/mem` (only
  the m5ops page may be mapped from it), `/proc/self/exe`, `/proc/self/maps`,
  `/proc/<own pid>/...` are synthesised; the rest of `/proc` (unless redirected),
  `/sys` and `/dev` is empty.
"""

from __future__ import annotations

import errno
import os
from collections import deque
from dataclasses import dataclass

MAX_LINKS = 40
DEVICES = {"null", "zero", "urandom", "random", "mem"}
PROC_FILES = {"exe", "maps", "cmdline", "status"}


class FsError(Exception):
    def __init__(self, err: int) -> None:
        super().__init__(os.strerror(err))
        self.errno = err


@dataclass(frozen=True)
class Resolved:
    """A resolved path: `kind` is host, dev, proc or virtual-dir."""

    guest: str  # the normalised guest path
    kind: str
    host: str | None = None  # host path (kind host, proc exe)
    name: str = ""  # device or proc entry name
    writable: bool = False


class Sandbox:
    def __init__(
        self, root: str, outdir: str | None, redirects: list[tuple[str, list[str]]] = ()
    ) -> None:
        self.root = os.path.realpath(root)
        # (guest path components, host directories), in the order given (first match wins)
        self.redirects = [
            (tuple(p for p in app.split("/") if p), [os.path.realpath(h) for h in hosts])
            for app, hosts in redirects
            if hosts
        ]
        self.writable_dirs: list[str] = []
        self.tmp = None
        if outdir is not None:
            out = os.path.realpath(outdir)
            self.writable_dirs.append(out)
            self.tmp = os.path.join(out, "fs", "tmp")
        self.exe_aliases: dict[str, str] = {}  # guest path -> host file (programs outside root)

    # -- mapping --------------------------------------------------------------------------
    def guest_path_of(self, host: str) -> str:
        """The guest path of a host file: inside the root, its path there; else the host
        path itself (remembered, so the program can open and exec it by that name)."""
        host = os.path.realpath(host)
        if host == self.root:
            return "/"
        if host.startswith(self.root + os.sep):
            return host[len(self.root) :]
        self.exe_aliases[host] = host
        return host

    def _host_of(self, parts: list[str]) -> str:
        for app, hosts in self.redirects:
            if tuple(parts[: len(app)]) == app:
                tail = parts[len(app) :]
                for host in hosts:
                    if os.path.lexists(os.path.join(host, *tail)):
                        return os.path.join(host, *tail)
                return os.path.join(hosts[0], *tail)
        if parts and parts[0] == "tmp" and self.tmp is not None:
            os.makedirs(self.tmp, exist_ok=True)
            return os.path.join(self.tmp, *parts[1:])
        return os.path.join(self.root, *parts) if parts else self.root

    def is_writable(self, host: str) -> bool:
        real = os.path.realpath(host)
        return any(real == d or real.startswith(d + os.sep) for d in self.writable_dirs) or (
            self.tmp is not None and (real == self.tmp or real.startswith(self.tmp + os.sep))
        )

    # -- resolution -------------------------------------------------------------------------
    def resolve(
        self, cwd: str, path: str, follow: bool = True, pid: int = 0, exe: str = ""
    ) -> Resolved:
        """Resolve `path` (relative to the guest directory `cwd`). `follow`: follow a
        symbolic link in the last component too. `pid` and `exe` answer /proc/self."""
        if path == "":
            raise FsError(errno.ENOENT)
        if "\0" in path:
            raise FsError(errno.EINVAL)
        full = path if path.startswith("/") else cwd.rstrip("/") + "/" + path
        alias = self.exe_aliases.get(os.path.normpath(full))
        if alias is not None:
            return Resolved(os.path.normpath(full), "host", alias)
        todo = deque(full.split("/"))
        parts: list[str] = []
        hops = 0
        while todo:
            c = todo.popleft()
            if c in ("", "."):
                continue
            if c == "..":
                if parts:
                    parts.pop()
                continue
            parts.append(c)
            special = self._special(parts, bool(todo), pid, exe, follow)
            if special is not None:
                if todo and special.kind != "virtual-dir":
                    raise FsError(errno.ENOTDIR)
                if special.kind == "virtual-dir" and todo:
                    continue
                return special
            host = self._host_of(parts)
            if (todo or follow) and os.path.islink(host):
                hops += 1
                if hops > MAX_LINKS:
                    raise FsError(errno.ELOOP)
                target = os.readlink(host)
                parts.pop()
                if target.startswith("/"):
                    parts = []
                todo.extendleft(reversed(target.split("/")))
        guest = "/" + "/".join(parts)
        host = self._host_of(parts)
        return Resolved(guest, "host", host, writable=self.is_writable(host))

    def _special(self, parts: list[str], more: bool, pid: int, exe: str, follow: bool):
        top = parts[0]
        if top == "dev" and len(parts) == 2 and parts[1] in DEVICES:
            return Resolved("/dev/" + parts[1], "dev", name=parts[1])
        if top == "proc":
            if len(parts) == 1:
                return Resolved("/proc", "virtual-dir")
            if parts[1] not in ("self", "thread-self", str(pid)):
                if self._redirected(parts):
                    return None  # /proc/cpuinfo etc. from the redirect's directory
                raise FsError(errno.ENOENT)
            if len(parts) == 2:
                return Resolved("/proc/self", "virtual-dir")
            entry = parts[2]
            if entry not in PROC_FILES or len(parts) > 3:
                raise FsError(errno.ENOENT)
            if entry == "exe":
                if follow or more:
                    if not exe:
                        raise FsError(errno.ENOENT)
                    return self.resolve("/", exe)  # the link /proc/self/exe
                return Resolved("/proc/self/exe", "proc", name="exe")
            return Resolved(f"/proc/self/{entry}", "proc", name=entry)
        if top == "dev" and len(parts) == 1 and not self._exists_on_host(parts):
            return Resolved("/dev", "virtual-dir")
        return None

    def _redirected(self, parts: list[str]) -> bool:
        return any(tuple(parts[: len(app)]) == app for app, _ in self.redirects)

    def _exists_on_host(self, parts: list[str]) -> bool:
        return os.path.lexists(self._host_of(parts))
