"""JSON Schema for declarative (YAML/JSON) configurations, generated from the
declarations themselves so it can never drift from the catalog.

Document shape::

    root:                       # an object node
      type: Root
      params: {full_system: true}
      children:
        system:
          type: System
          params: {mem_mode: atomic_noncaching, mem_ranges: ["512MiB"]}
          calls: [ ]            # methods run after params (e.g. createThreads)
          children:
            cpu: [ {type: X86KvmCPU, calls: [createThreads]} ]
    connections:                # port links, in order (vector ports append)
      - [system.system_port, system.membus.cpu_side_ports]

A SimObject param takes an inline node or "@path" (an object elsewhere in the
tree); any param may take "Parent.x", "Self.x", "Parent.any" or "Self.all".
"""

from __future__ import annotations

from typing import Any

from simobjs.params.desc import is_simobject_class

# Methods a node may ask for in `calls` (gem5 scripts call these on CPUs).
ALLOWED_CALLS = ("createThreads", "createInterruptController")

PROXY_PATTERN = r"^(Parent|Self)\.[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*|\[[0-9]+\])*$"
REF_PATTERN = r"^@[A-Za-z_][A-Za-z0-9_.\[\]]*$"


def _proxy_or_ref() -> list[dict]:
    return [{"type": "string", "pattern": PROXY_PATTERN}]


def param_schema(pdesc: Any) -> dict:
    """Schema of one param's value."""
    if is_simobject_class(pdesc.ptype):
        one = {
            "anyOf": [
                {"$ref": "#/$defs/node"},
                {"type": "string", "pattern": REF_PATTERN},
                {"type": "null"},
                {"const": "Null"},
                *_proxy_or_ref(),
            ]
        }
    else:
        one = {"anyOf": [pdesc.ptype.json_schema() or {}, *_proxy_or_ref()]}
    if pdesc.vector:
        return {"anyOf": [{"type": "array", "items": one}, one]}
    return one


def class_schema(cls: type) -> dict:
    """Schema of a node whose `type` is `cls`."""
    params = {name: param_schema(p) for name, p in sorted(cls._params.items())}
    for name in sorted(cls._accepted_inputs):  # accepted from old configs, written nowhere
        params[name] = {
            "anyOf": [{"$ref": "#/$defs/node"}, {"type": "string", "pattern": REF_PATTERN}],
            "description": "accepted from older gem5 configurations; not a param of gem5 v24",
        }
    return {
        "type": "object",
        "properties": {
            "type": {"const": cls.__name__},
            "params": {"type": "object", "properties": params, "additionalProperties": False},
            "children": {"$ref": "#/$defs/children"},
            "calls": {"type": "array", "items": {"enum": list(ALLOWED_CALLS)}},
        },
        "required": ["type"],
        "additionalProperties": False,
    }


def generate_schema() -> dict:
    """The JSON Schema (draft 2020-12) of a declarative configuration."""
    from simobjs.objects import concrete

    classes = concrete()
    defs: dict[str, Any] = {name: class_schema(cls) for name, cls in sorted(classes.items())}
    defs["node"] = {
        "type": "object",
        "properties": {"type": {"enum": sorted(classes)}},
        "required": ["type"],
        "allOf": [
            {"if": {"properties": {"type": {"const": name}}}, "then": {"$ref": f"#/$defs/{name}"}}
            for name in sorted(classes)
        ],
    }
    defs["children"] = {
        "type": "object",
        "additionalProperties": {
            "anyOf": [
                {"$ref": "#/$defs/node"},
                {"type": "array", "items": {"$ref": "#/$defs/node"}, "minItems": 1},
            ]
        },
    }
    endpoint = {"type": "string", "pattern": r"^[A-Za-z_][A-Za-z0-9_.]*(\[[0-9]+\])?$"}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://simobjs.invalid/config.schema.json",
        "title": "simobjs declarative configuration",
        "type": "object",
        "properties": {
            "root": {"$ref": "#/$defs/node"},
            "connections": {
                "type": "array",
                "items": {
                    "type": "array",
                    "prefixItems": [endpoint, endpoint],
                    "minItems": 2,
                    "maxItems": 2,
                },
            },
        },
        "required": ["root"],
        "additionalProperties": False,
        "$defs": defs,
    }
