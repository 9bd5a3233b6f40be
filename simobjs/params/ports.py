"""Port declarations and the references that connect them.

A class body declares `icache_port = RequestPort("...")`; each instance gets a
`PortRef` (or `VectorPortRef`) on first use; `a.p = b.q` connects both ends.
Interrupt wires (IntSourcePin/IntSinkPin) are ports with their own roles.
"""

from __future__ import annotations

from typing import Any

from simobjs.errors import ConfigError, ConfigTypeError, Problem

REQUESTOR = "GEM5 REQUESTOR"
RESPONDER = "GEM5 RESPONDER"
INT_SOURCE = "INT SOURCE PIN"
INT_SINK = "INT SINK PIN"

_compatible: dict[str, set[str]] = {}


def make_compatible(role: str, peer: str) -> None:
    _compatible.setdefault(role, set()).add(peer)
    _compatible.setdefault(peer, set()).add(role)


make_compatible(REQUESTOR, RESPONDER)
make_compatible(INT_SOURCE, INT_SINK)


def _fatal(path: str, message: str) -> ConfigError:
    return ConfigError(Problem(path, message))


class PortRef:
    """One end of one connection: `simobj.name` or `simobj.name[index]`."""

    def __init__(
        self, simobj: Any, name: str, role: str, is_source: bool, required: bool, index: int = -1
    ):
        self.simobj = simobj
        self.name = name
        self.role = role
        self.is_source = is_source
        self.required = required
        self.index = index
        self.peer: PortRef | Any | None = None

    def __str__(self) -> str:
        if self.index < 0:
            return f"{self.simobj.path()}.{self.name}"
        return "%s.%s[%d]" % (self.simobj.path(), self.name, self.index)

    __repr__ = __str__

    def __len__(self) -> int:
        return int(self.peer is not None)

    def ini_str(self) -> str:
        return str(self.peer)

    def get_config_as_dict(self) -> dict:
        return {
            "role": self.role,
            "peer": None if self.peer is None else str(self.peer),
            "is_source": str(self.is_source),
        }

    @property
    def peerObj(self) -> Any:
        return self.peer.simobj if isinstance(self.peer, PortRef) else None

    def connect(self, other: Any) -> None:
        from simobjs.params.proxy import BaseProxy

        if isinstance(other, VectorPortRef):
            other = other._get_next()
        if self.peer is not None and not isinstance(self.peer, BaseProxy):
            raise _fatal(
                self.simobj.path(),
                f"Port {self} is already connected to {self.peer}, cannot connect {other}",
            )
        if isinstance(other, BaseProxy):
            self.peer = other
            return
        if not isinstance(other, PortRef):
            raise ConfigTypeError(
                Problem(
                    self.simobj.path(),
                    f"assigning non-port reference '{other}' to port '{self}'",
                    expected="a port",
                    got=repr(other),
                )
            )
        if other.role not in _compatible.get(self.role, ()):
            raise _fatal(
                self.simobj.path(),
                f"Ports {self} and {other} with roles '{self.role}' and '{other.role}' are not compatible",
            )
        if (
            other.peer is not None
            and other.peer is not self
            and not isinstance(other.peer, BaseProxy)
        ):
            raise _fatal(
                other.simobj.path(),
                f"Port {other} is already connected to {other.peer}, cannot connect {self}",
            )
        self.peer = other
        if other.peer is not self:
            other.peer = self

    def splice(self, new_1: PortRef, new_2: PortRef) -> None:
        """Insert new_1/new_2 into this existing link (gem5's splice)."""
        if not isinstance(self.peer, PortRef):
            raise _fatal(
                self.simobj.path(), f"Port {self} not connected, cannot splice in new peers"
            )
        if not isinstance(new_1, PortRef) or not isinstance(new_2, PortRef):
            raise ConfigTypeError(
                f"Splicing non-port references '{new_1}','{new_2}' to port '{self}'"
            )
        old = self.peer

        def ok(a: PortRef, b: PortRef) -> bool:
            return b.role in _compatible.get(a.role, ())

        if ok(old, new_1) and ok(self, new_2):
            pairs = ((old, new_1), (self, new_2))
        elif ok(old, new_2) and ok(self, new_1):
            pairs = ((old, new_2), (self, new_1))
        else:
            raise _fatal(
                self.simobj.path(),
                f"Ports {self}({self.role}) and {old}({old.role}) can't be compatibly spliced with {new_1}({new_1.role}) and {new_2}({new_2.role})",
            )
        for a, b in pairs:
            a.peer, b.peer = b, a

    def elements(self) -> list[PortRef]:
        return [self]

    def _not_vector(self, key: Any) -> ConfigTypeError:
        return ConfigTypeError(
            Problem(
                self.simobj.path(),
                f"port '{self}' is not a vector port",
                param=self.name,
                got=f"[{key!r}]",
            )
        )

    def __getitem__(self, key: Any) -> PortRef:
        raise self._not_vector(key)

    def __setitem__(self, key: Any, value: Any) -> None:
        raise self._not_vector(key)


class VectorPortRef:
    """A vector port: elements appended on assignment, or placed by index."""

    def __init__(self, simobj: Any, name: str, role: str, is_source: bool, required: bool):
        self.simobj = simobj
        self.name = name
        self.role = role
        self.is_source = is_source
        self.required = required
        self._elements: list[PortRef] = []

    def __str__(self) -> str:
        return f"{self.simobj.path()}.{self.name}[:]"

    __repr__ = __str__

    def __len__(self) -> int:
        return len(self._elements)

    def ini_str(self) -> str:
        return " ".join(el.ini_str() for el in self._elements)

    def get_config_as_dict(self) -> dict:
        return {
            "role": self.role,
            "peer": [el.ini_str() for el in self._elements],
            "is_source": str(self.is_source),
        }

    def __getitem__(self, key: int) -> PortRef:
        if not isinstance(key, int) or isinstance(key, bool) or key < 0:
            raise ConfigTypeError(
                Problem(
                    self.simobj.path(),
                    "VectorPort index must be a non-negative integer",
                    got=repr(key),
                )
            )
        while key >= len(self._elements):
            self._elements.append(
                PortRef(
                    self.simobj,
                    self.name,
                    self.role,
                    self.is_source,
                    self.required,
                    len(self._elements),
                )
            )
        return self._elements[key]

    def _get_next(self) -> PortRef:
        return self[len(self._elements)]

    def __setitem__(self, key: int, value: Any) -> None:
        self[key].connect(value)

    def connect(self, other: Any) -> None:
        if isinstance(other, list | tuple):
            for ref in other:
                self._get_next().connect(ref)
        else:
            self._get_next().connect(other)

    def elements(self) -> list[PortRef]:
        return list(self._elements)


class Port:
    """A port declaration in a class body."""

    role: str = REQUESTOR
    is_source: bool = True
    vector: bool = False

    def __init__(self, desc: str = "", required: bool = False):
        self.desc = desc
        self.required = required
        self.name = ""

    def make_ref(self, simobj: Any) -> PortRef | VectorPortRef:
        cls = VectorPortRef if self.vector else PortRef
        return cls(simobj, self.name, self.role, self.is_source, self.required)


class RequestPort(Port):
    role, is_source = REQUESTOR, True


class ResponsePort(Port):
    role, is_source = RESPONDER, False


class VectorRequestPort(RequestPort):
    vector = True


class VectorResponsePort(ResponsePort):
    vector = True


MasterPort = RequestPort
SlavePort = ResponsePort
VectorMasterPort = VectorRequestPort
VectorSlavePort = VectorResponsePort


class IntSourcePin(Port):
    """An interrupt line's driving end (a device's output)."""

    role, is_source = INT_SOURCE, True


class VectorIntSourcePin(IntSourcePin):
    vector = True


class IntSinkPin(Port):
    """An interrupt line's receiving end (a controller's input)."""

    role, is_source = INT_SINK, False


class VectorIntSinkPin(IntSinkPin):
    vector = True


class DeprecatedParam:
    """An old name for a param or port: `slave = DeprecatedParam(cpu_side_ports, "...")`."""

    def __init__(self, new_param: Any, message: str = ""):
        self.new_param = new_param
        self.message = message
        self.new_name = ""
