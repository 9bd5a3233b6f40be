"""Load a declarative configuration (YAML or JSON) into declaration objects.

The file is first checked against the schema generated from the catalog
(`simobjs.config.schema`); then nodes become SimObjects, params go through
the same conversion as in a Python script, and ports are connected in file
order. Every problem names the file, the place in the file
(`system.cpu[0].hostFactor`), what was expected and what was given.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from simobjs.config.schema import ALLOWED_CALLS, generate_schema
from simobjs.errors import ConfigError, Problem, cut
from simobjs.params.desc import is_simobject_class
from simobjs.params.proxy import Parent, Self
from simobjs.params.types import NULL
from simobjs.sim.files import open_regular

_schema_cache: dict | None = None
_ENDPOINT = re.compile(
    r"^(?P<path>[A-Za-z_][A-Za-z0-9_.]*)\.(?P<port>[A-Za-z_][A-Za-z0-9_]*)(\[(?P<index>[0-9]+)\])?$"
)
_PROXY = re.compile(r"^(Parent|Self)\.(.+)$")
_STEP = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)|\[([0-9]+)\]")


def _schema() -> dict:
    global _schema_cache
    if _schema_cache is None:
        _schema_cache = generate_schema()
    return _schema_cache


def format_path(parts: Iterable[Any]) -> str:
    """['root','children','system','children','cpu',0,'params','x'] -> 'system.cpu[0].x'."""
    out = ""
    parts = list(parts)
    if parts and parts[0] == "root":
        parts = parts[1:]
    elif parts and parts[0] == "connections":
        out = "connections"
        parts = parts[1:]
    for p in parts:
        if p in ("children", "params") and not out.endswith("."):
            continue
        if isinstance(p, int):
            out += f"[{p}]"
        else:
            out += f".{p}" if out else str(p)
    return out or "root"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _node_at(doc: Any, parts: list) -> Any:
    node = doc
    for p in parts:
        try:
            node = node[p]
        except (KeyError, IndexError, TypeError):
            return None
    return node


def _expected_for_param(doc: Any, parts: list) -> str | None:
    """The declared type of the param at `parts` (…, 'params', name, [i])."""
    if "params" not in parts:
        return None
    i = len(parts) - 1 - parts[::-1].index("params")
    node = _node_at(doc, parts[:i])
    if not isinstance(node, dict) or i + 1 >= len(parts):
        return None
    from simobjs.objects import concrete

    cls = concrete().get(node.get("type"))
    pdesc = cls._params.get(parts[i + 1]) if cls else None
    if pdesc is None:
        return None
    what = f"a {pdesc.ptype_name}"
    if is_simobject_class(pdesc.ptype):
        what += " node, '@path' or a Parent/Self proxy"
    return ("a list of " if pdesc.vector else "") + what


_SHAPE = ("type", "const", "pattern", "enum")


def _leaves(err: jsonschema.ValidationError) -> list[jsonschema.ValidationError]:
    """The errors that explain `err`: inside an anyOf, follow the branch whose
    shape matched (a dict for a node, a list for a vector) and go deeper."""
    if not err.context:
        return [err]
    branches: dict[Any, list] = {}
    for sub in err.context:
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    depth = len(err.absolute_path)

    def mismatched(subs: list) -> bool:
        return any(len(s.absolute_path) == depth and s.validator in _SHAPE for s in subs)

    fitting = [b for b in branches.values() if not mismatched(b)]
    if not fitting:
        return [err]
    best = max(fitting, key=lambda b: max(len(s.absolute_path) for s in b))
    return [leaf for s in best for leaf in _leaves(s)]


def _schema_problems(doc: Any, where: str) -> list[Problem]:
    validator = jsonschema.Draft202012Validator(_schema())
    problems = []
    errors = [leaf for err in validator.iter_errors(doc) for leaf in _leaves(err)]
    for err in sorted(errors, key=lambda e: list(map(str, e.absolute_path))):
        parts = list(err.absolute_path)
        if err.validator == "additionalProperties" and parts and parts[-1] == "params":
            node = _node_at(doc, parts[:-1]) or {}
            allowed = set(err.schema.get("properties", {}))
            for key in sorted(set(err.instance) - allowed):
                problems.append(
                    Problem(
                        f"{where}:{format_path(parts + [key])}",
                        f"{node.get('type')} has no parameter {key}",
                        expected=f"one of {', '.join(sorted(allowed))}",
                        got=key,
                    )
                )
            continue
        expected = _expected_for_param(doc, parts)
        if expected is None:
            if err.validator == "enum":
                expected = "one of " + ", ".join(map(str, err.validator_value))
            elif err.validator == "type":
                expected = str(err.validator_value)
            elif err.validator == "required":
                expected = "keys " + ", ".join(err.validator_value)
            else:
                expected = err.validator
        problems.append(
            Problem(
                f"{where}:{format_path(parts)}",
                # (jsonschema's message repeats the whole value: cut it)
                cut(err.message, 300)
                if err.validator != "anyOf"
                else "value does not fit the param",
                expected=expected,
                got=_short(err.instance),
            )
        )
    return problems


def _proxy_from(text: str) -> Any:
    head, rest = _PROXY.match(text).groups()
    proxy = Parent if head == "Parent" else Self
    for name, index in _STEP.findall(rest):
        proxy = proxy[int(index)] if index else getattr(proxy, name)
    return proxy


class _Builder:
    def __init__(self, where: str):
        self.where = where
        self.problems: list[Problem] = []
        self.refs: list[tuple[Any, str, Any, str]] = []  # (obj, param, value, file path)
        self.calls: list[tuple[Any, list[str], str]] = []
        self.by_path: dict[str, Any] = {}

    def problem(
        self, path: str, message: str, expected: str | None = None, got: str | None = None
    ) -> None:
        self.problems.append(Problem(f"{self.where}:{path}", message, expected=expected, got=got))

    def node(self, spec: dict, fpath: str) -> Any:
        from simobjs.objects import concrete

        cls = concrete()[spec["type"]]
        obj = cls()
        for name, value in (spec.get("params") or {}).items():
            self.param(obj, name, value, f"{fpath}.{name}" if fpath != "root" else name)
        for name, child in (spec.get("children") or {}).items():
            cpath = f"{fpath}.{name}" if fpath != "root" else name
            if isinstance(child, list):
                made = [self.node(c, f"{cpath}[{i}]") for i, c in enumerate(child)]
            else:
                made = self.node(child, cpath)
            try:
                setattr(obj, name, made)
            except ConfigError as e:
                self.problem(
                    cpath, e.problems[0].message, e.problems[0].expected, e.problems[0].got
                )
        if spec.get("calls"):
            self.calls.append((obj, list(spec["calls"]), fpath))
        return obj

    def _value(self, obj: Any, name: str, value: Any, fpath: str) -> tuple[Any, bool]:
        """(converted python value, deferred?) for one param value."""
        if isinstance(value, dict) and "type" in value:
            return self.node(value, fpath), False
        if isinstance(value, str) and value.startswith("@"):
            return value[1:], True
        if isinstance(value, str) and _PROXY.match(value):
            return _proxy_from(value), False
        if value is None or value == "Null":
            return NULL, False
        if isinstance(value, dict):
            from simobjs.params.types import AddrRange

            return AddrRange(**value), False
        return value, False

    def param(self, obj: Any, name: str, value: Any, fpath: str) -> None:
        try:
            if isinstance(value, list):
                items = [self._value(obj, name, v, f"{fpath}[{i}]") for i, v in enumerate(value)]
                if any(deferred for _, deferred in items):
                    self.refs.append((obj, name, [v for v, _ in items], fpath))
                    return
                value = [v for v, _ in items]
            else:
                value, deferred = self._value(obj, name, value, fpath)
                if deferred:
                    self.refs.append((obj, name, value, fpath))
                    return
            setattr(obj, name, value)
        except ConfigError as e:
            p = e.problems[0]
            self.problem(fpath, p.message, p.expected, p.got)
        except (TypeError, ValueError) as e:
            self.problem(fpath, str(e), got=_short(value))

    def index_paths(self, root: Any) -> None:
        self.by_path = {o.path(): o for o in root.descendants()}

    def lookup(self, path: str, fpath: str) -> Any:
        obj = self.by_path.get(path)
        if obj is None:
            self.problem(
                fpath, f"no object at '{path}'", expected="a path in the configuration", got=path
            )
        return obj

    def resolve_refs(self) -> None:
        for obj, name, value, fpath in self.refs:
            vals = value if isinstance(value, list) else [value]
            found = []
            for v in vals:
                target = self.lookup(v, fpath) if isinstance(v, str) else v
                if target is None:
                    break
                found.append(target)
            else:
                try:
                    setattr(obj, name, found if isinstance(value, list) else found[0])
                except ConfigError as e:
                    p = e.problems[0]
                    self.problem(fpath, p.message, p.expected, p.got)

    def run_calls(self) -> None:
        for obj, calls, fpath in self.calls:
            for call in calls:
                if call not in ALLOWED_CALLS or not hasattr(obj, call):
                    self.problem(
                        fpath,
                        f"{type(obj).__name__} has no method {call}",
                        expected=str(ALLOWED_CALLS),
                        got=call,
                    )
                    continue
                try:
                    getattr(obj, call)()
                except ConfigError as e:
                    self.problem(fpath, e.problems[0].message)

    def endpoint(self, text: str, fpath: str) -> Any:
        m = _ENDPOINT.match(text)
        if m is None:
            self.problem(
                fpath, "not a port endpoint", expected="<object path>.<port>[<index>]", got=text
            )
            return None
        obj = self.lookup(m.group("path"), fpath)
        if obj is None:
            return None
        port = m.group("port")
        if port not in type(obj)._ports:
            self.problem(
                fpath,
                f"{type(obj).__name__} has no port {port}",
                expected=", ".join(sorted(type(obj)._ports)),
                got=port,
            )
            return None
        ref = getattr(obj, port)
        if m.group("index") is not None:
            if not hasattr(ref, "_get_next"):
                self.problem(fpath, f"port {port} is not a vector port", got=text)
                return None
            return ref[int(m.group("index"))]
        return ref

    def connect(self, links: list) -> None:
        for i, (a, b) in enumerate(links):
            fpath = f"connections[{i}]"
            left, right = self.endpoint(a, fpath), self.endpoint(b, fpath)
            if left is None or right is None:
                continue
            try:
                if hasattr(left, "_get_next"):
                    left = left._get_next()
                left.connect(right)
            except ConfigError as e:
                self.problem(fpath, e.problems[0].message)


def load_document(doc: Any, where: str = "<config>") -> Any:
    """Build the declaration tree described by `doc` (already parsed); returns the Root."""
    problems = _schema_problems(doc, where)
    if problems:
        raise ConfigError(problems)
    b = _Builder(where)
    root = b.node(doc["root"], "root")
    b.run_calls()
    b.index_paths(root)
    b.resolve_refs()
    b.connect(doc.get("connections") or [])
    if b.problems:
        raise ConfigError(b.problems)
    return root


# Limits checked before a document is built: a 1 KB YAML file of nested aliases
# ("billion laughs") expands to billions of nodes, which the schema check would
# walk and every error message would repeat.
MAX_CONFIG_BYTES = 16 << 20
MAX_CONFIG_NODES = 200_000


def load_file(path: str | os.PathLike) -> Any:
    """Load a .yaml/.yml/.json configuration file; returns its Root."""
    p = Path(path)
    try:
        with open_regular(p) as f:
            if os.fstat(f.fileno()).st_size > MAX_CONFIG_BYTES:
                raise ConfigError(
                    Problem(
                        str(p),
                        f"larger than {MAX_CONFIG_BYTES >> 20} MiB",
                        expected="a configuration file",
                    )
                )
            text = f.read().decode(errors="replace")
    except OSError as e:
        raise ConfigError(Problem(str(p), f"cannot read: {e.strerror or e}")) from None
    try:
        doc = json.loads(text) if p.suffix == ".json" else _safe_yaml(text, str(p))
    except (yaml.YAMLError, json.JSONDecodeError) as e:
        raise ConfigError(Problem(str(p), f"cannot parse: {cut(str(e), 500)}")) from None
    except RecursionError:
        raise ConfigError(Problem(str(p), "cannot parse: nested too deeply")) from None
    return load_document(doc, str(p))


def _safe_yaml(text: str, where: str) -> Any:
    """yaml.safe_load, refusing a document whose aliases expand it past MAX_CONFIG_NODES
    nodes (or refer to themselves) before anything is built from it."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        count = _expanded_nodes(node, {}, set(), where)
        if count > MAX_CONFIG_NODES:
            raise ConfigError(
                Problem(
                    where,
                    f"its aliases (*name) expand it to {count} nodes",
                    expected=f"at most {MAX_CONFIG_NODES} nodes",
                    got=f"{count} nodes (an alias bomb?)",
                )
            )
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _expanded_nodes(node: yaml.Node, memo: dict[int, int], open_: set[int], where: str) -> int:
    """How many nodes `node` stands for once every alias is expanded (each distinct node
    is visited once, so a bomb is measured without being expanded)."""
    key = id(node)
    if key in memo:
        return memo[key]
    if key in open_:
        line = node.start_mark.line + 1
        raise ConfigError(
            Problem(where, f"line {line}: an alias refers to a node that contains it")
        )
    open_.add(key)
    total = 1
    if isinstance(node, yaml.SequenceNode):
        total += sum(_expanded_nodes(child, memo, open_, where) for child in node.value)
    elif isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            total += _expanded_nodes(k, memo, open_, where) + _expanded_nodes(v, memo, open_, where)
    open_.discard(key)
    memo[key] = total
    return total
