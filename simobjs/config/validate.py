"""Whole-graph checks run by prepare(): every problem is reported at once."""

from __future__ import annotations

from typing import Any

import networkx as nx

from simobjs.errors import Problem
from simobjs.params.desc import is_simobject
from simobjs.params.ports import PortRef
from simobjs.params.proxy import _snake
from simobjs.params.types import AddrRange


def check_all(root: Any, objs: list[Any]) -> list[Problem]:
    problems: list[Problem] = []
    problems += _roots(root, objs)
    problems += _duplicates(objs)
    for obj in objs:
        problems += _abstract(obj)
        problems += _unset_params(obj)
        problems += _required_ports(obj)
        problems += _accepted_inputs(obj)
    problems += _overlaps(objs)
    problems += _reference_cycles(objs)
    for obj in objs:
        problems += _mem_ranges(obj)
    return problems


SHOWN_OVERLAPS = 3  # examples named in the one problem; the rest are counted


def _mem_ranges(obj: Any) -> list[Problem]:
    """A System's main-memory ranges must be disjoint: a repeated or overlapping range
    would map one address twice (gem5 catches it later, per memory). One problem per
    object, naming a few pairs and counting the rest: 200,000 repeats are one line."""
    ranges = obj._values.get("mem_ranges")
    if not isinstance(ranges, list) or len(ranges) < 2:
        return []
    order = sorted((r.start, r.end, i, r) for i, r in enumerate(ranges) if isinstance(r, AddrRange))
    examples: list[str] = []
    count = 0
    holder: tuple[int, AddrRange] | None = None  # the earlier range reaching furthest
    seen: list[tuple[int, AddrRange]] = []
    for start, end, i, rng in order:
        hit = None
        if holder is not None and start < holder[1].end:
            if holder[1].intersects(rng):
                hit = holder
            else:  # interleaved ranges may share an interval without sharing an address
                hit = next((c for c in seen if c[1].end > start and c[1].intersects(rng)), None)
        if hit is not None:
            count += 1
            if len(examples) < SHOWN_OVERLAPS:
                what = "repeats" if hit[1] == rng else "overlaps"
                examples.append(f"[{i}] {_hex(rng)} {what} [{hit[0]}] {_hex(hit[1])}")
        if rng.masks:
            seen.append((i, rng))
        if holder is None or end > holder[1].end:
            holder = (i, rng)
    if not count:
        return []
    more = f", and {count - len(examples)} more" if count > len(examples) else ""
    return [
        Problem(
            obj.path(),
            f"{count} of its {len(ranges)} memory ranges repeat or overlap another: "
            + "; ".join(examples)
            + more,
            param="mem_ranges",
            expected="disjoint address ranges",
        )
    ]


def _is_a(obj: Any, type_name: str) -> bool:
    return any(k.__name__ == type_name for k in type(obj).__mro__)


def _accepted_inputs(obj: Any) -> list[Problem]:
    """An object with an accepted input (a KVM CPU's old `kvmVM`) that was not set
    needs one such object among the children of itself or of a parent, where
    the model will find it (gem5: the system's KvmVM)."""
    out = []
    for attr, type_name in type(obj)._accepted_inputs.items():
        if attr in obj.__dict__.get("_inputs", {}):
            continue
        found = any(
            _is_a(child, type_name)
            for node in obj._ancestors()
            for child in node._children.values()
            if is_simobject(child)
        )
        if not found:
            example = _snake(type_name)
            parent = obj.get_parent()
            where = parent.path() if parent is not None else "its system"
            out.append(
                Problem(
                    obj.path(),
                    f"no {type_name} is a child of {obj.path()} or of its parents: add one, "
                    f"e.g. {where}.{example} = {type_name}()",
                )
            )
    return out


def _duplicates(objs: list[Any]) -> list[Problem]:
    seen: set[int] = set()
    out = []
    for o in objs:
        if id(o) in seen:
            out.append(Problem(o.path(), "the same object appears twice in the tree"))
        seen.add(id(o))
    return out


def _roots(root: Any, objs: list[Any]) -> list[Problem]:
    extra = [o for o in objs if getattr(o, "_is_root", False) and o is not root]
    return [
        Problem(o.path(), "a second Root in the configuration (only one Root may exist)")
        for o in extra
    ]


def _abstract(obj: Any) -> list[Problem]:
    cls = type(obj)
    if cls.abstract:
        return [
            Problem(
                obj.path(),
                f"Cannot instantiate an abstract SimObject ({obj.path()}): "
                f"{cls.__name__} is abstract, use a concrete subclass",
                verbatim=True,
            )
        ]
    if cls._model is None:
        return [Problem(obj.path(), f"{cls.__name__} names no runtime model (_model)")]
    return []


def _unset_params(obj: Any) -> list[Problem]:
    out = []
    path = obj.path()
    for name in type(obj)._params:
        if obj._values.get(name) is None:
            out.append(
                Problem(
                    path,
                    f"{path}.{name} without default or user set value",
                    param=name,
                    verbatim=True,
                )
            )
    return out


def _required_ports(obj: Any) -> list[Problem]:
    out = []
    for name, port in sorted(type(obj)._ports.items()):
        if not obj._port_required(name, port):
            continue
        ref = obj._port_refs.get(name)
        if ref is None or not any(isinstance(el.peer, PortRef) for el in ref.elements()):
            out.append(
                Problem(
                    obj.path(),
                    f"port '{name}' is not connected",
                    param=name,
                    expected="a connection",
                    got="none",
                )
            )
    return out


def _overlaps(objs: list[Any]) -> list[Problem]:
    """Address ranges of the responders on one crossbar must not overlap."""
    out = []
    for bus in objs:
        ref = bus._port_refs.get("mem_side_ports")
        if ref is None or not getattr(type(bus), "_routes_by_address", False):
            continue
        claims: list[tuple[AddrRange, str]] = []
        for el in ref.elements():
            if isinstance(el.peer, PortRef):
                dev = el.peer.simobj
                claims += [(r, dev.path()) for r in dev._addr_ranges()]
        claims.sort(key=lambda c: (c[0].start, c[0].end))
        # A sweep over ranges sorted by start: each range is compared with the
        # ranges still open, so this is O(n log n) for non-overlapping maps.
        open_claims: list[tuple[AddrRange, str]] = []
        for rng, who in claims:
            open_claims = [c for c in open_claims if c[0].end > rng.start]
            for other, other_who in open_claims:
                if other.intersects(rng):
                    out.append(
                        Problem(
                            bus.path(),
                            f"address range {_hex(other)} of {other_who} overlaps {_hex(rng)} of {who}",
                            expected="disjoint address ranges on one bus",
                            got=f"{other_who} and {who}",
                        )
                    )
            open_claims.append((rng, who))
    return out


def _hex(r: AddrRange) -> str:
    return f"[{r.start:#x}, {r.end:#x})"


def reference_graph(objs: list[Any]) -> nx.DiGraph:
    """Objects and the SimObject params that point from one to another."""
    g = nx.DiGraph()
    for obj in objs:
        g.add_node(id(obj), obj=obj)
        for name, value in obj._values.items():
            for target in value if isinstance(value, list) else [value]:
                if is_simobject(target) and target is not obj:
                    g.add_edge(id(obj), id(target), param=name)
    return g


def _reference_cycles(objs: list[Any]) -> list[Problem]:
    g = reference_graph(objs)
    # A child-param (obj.x = child) is built before its parent, like any
    # other param, so a loop of references cannot be built in any order.
    if nx.is_directed_acyclic_graph(g):  # linear; find_cycle alone is not on a DAG
        return []
    loop = next(c for c in nx.strongly_connected_components(g) if len(c) > 1)
    cycle = nx.find_cycle(g.subgraph(loop))
    names = [f"{g.nodes[a]['obj'].path()}.{g.edges[a, b]['param']}" for a, b in cycle]
    return [
        Problem(
            g.nodes[cycle[0][0]]["obj"].path(),
            "SimObject params form a cycle: " + " -> ".join(names),
        )
    ]
