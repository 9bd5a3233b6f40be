"""gem5.resources.client: where resources are looked up. gem5's rules pick the
sources: GEM5_RESOURCE_JSON (replaces the configuration), else the config file
GEM5_CONFIG, else ./gem5-config.json, else gem5's default configuration;
GEM5_RESOURCE_JSON_APPEND adds a JSON file to any of them. simobjs reads only
local JSON files: gem5's default configuration names the gem5 Resources
database on the web, which simobjs never contacts."""

from __future__ import annotations

import itertools
import json
import os
from pathlib import Path
from typing import Any

from gem5.resources import local_files
from gem5.resources.client_api.client_query import GEM5_VERSION, ClientQuery
from gem5.resources.client_api.jsonclient import JSONClient, sort_resources
from m5.util import inform, warn

DEFAULT_CONFIG: dict[str, Any] = {"sources": {}}
NEVER_DOWNLOADS = (
    "simobjs never downloads resources: list them in a local resources JSON file named by "
    "GEM5_RESOURCE_JSON (or GEM5_RESOURCE_JSON_APPEND, or a gem5-config.json / GEM5_CONFIG "
    "whose sources are local JSON files), with `url` a file:// URL or a local path"
)

clientwrapper: dict[str, JSONClient] | None = None
_described: list[str] = []  # "NAME (location)" of every source, for error messages
_made_for: tuple | None = None


def getFileContent(file_path: Path) -> dict:  # noqa: N802 - gem5's name
    readable = Path(local_files.located(file_path))
    if not readable.exists():
        raise Exception(f"File not found at {file_path}")
    with open(readable) as f:
        return json.load(f)


def _environment() -> tuple:
    keys = ("GEM5_RESOURCE_JSON", "GEM5_RESOURCE_JSON_APPEND", "GEM5_CONFIG")
    return (*(os.environ.get(k) for k in keys), str(Path.cwd()))


def _get_clientwrapper() -> dict[str, JSONClient]:
    """The clients, made once per environment (gem5 makes them once per process)."""
    global clientwrapper, _made_for
    if clientwrapper is not None and _made_for == _environment():
        return clientwrapper
    env = os.environ
    if "GEM5_RESOURCE_JSON" in env and "GEM5_RESOURCE_JSON_APPEND" in env:
        raise Exception(
            "Both GEM5_RESOURCE_JSON and GEM5_RESOURCE_JSON_APPEND are set. Please set "
            "only one of them."
        )
    local_config = local_files.client_cwd().resolve() / "gem5-config.json"
    config: dict[str, Any]
    if "GEM5_RESOURCE_JSON" in env:
        config = {
            "sources": {"GEM5_RESOURCE_JSON": {"url": env["GEM5_RESOURCE_JSON"], "isMongo": False}}
        }
        if "GEM5_CONFIG" in env:
            warn(
                "Both GEM5_CONFIG and GEM5_RESOURCE_JSON are set.\nGEM5_CONFIG will be "
                "ignored in favor of the GEM5_RESOURCE_JSON environment variable."
            )
        elif local_config.exists():
            warn(
                "Both gem5-config.json and GEM5_RESOURCE_JSON are set.\ngem5-config.json "
                "will be ignored in favor of the GEM5_RESOURCE_JSON environment variable."
            )
        else:
            warn(
                "GEM5_RESOURCE_JSON is set.\ngem5-default-config will be ignored in favor "
                "of the GEM5_RESOURCE_JSON environment variable."
            )
    elif "GEM5_CONFIG" in env:
        config = getFileContent(Path(env["GEM5_CONFIG"]))
        inform("Using config file specified by $GEM5_CONFIG")
        inform(f"Using config file at {env['GEM5_CONFIG']}")
    elif Path(local_files.located(local_config)).exists():
        config = getFileContent(local_config)
        inform(f"Using config file at {local_config}")
    else:
        config = json.loads(json.dumps(DEFAULT_CONFIG))
        inform("Using default config")
    config.setdefault("sources", {})
    if "GEM5_RESOURCE_JSON_APPEND" in env:
        config["sources"]["GEM5_RESOURCE_JSON_APPEND"] = {
            "url": env["GEM5_RESOURCE_JSON_APPEND"],
            "isMongo": False,
        }
        inform(f"Appending resources from {env['GEM5_RESOURCE_JSON_APPEND']}")
    clientwrapper = _create_clients(config)
    _made_for = _environment()
    return clientwrapper


def _create_clients(config: dict[str, Any]) -> dict[str, JSONClient]:
    clients: dict[str, JSONClient] = {}
    _described.clear()
    for name, source in config["sources"].items():
        location = source.get("url", "?")
        _described.append(f"{name} ({location})")
        try:
            if source.get("isMongo"):
                raise Exception(
                    f"'{name}' is a MongoDB Atlas database on the web: simobjs never contacts it"
                )
            clients[name] = JSONClient(location)
        except Exception as e:  # noqa: BLE001 - gem5 warns and goes on without the client
            warn(f"Error creating client {name}: {e}")
    return clients


def describe_sources() -> str:
    """The sources looked in, for an error message."""
    if not _described:
        return (
            "no resource sources are configured (gem5's default configuration names only "
            "the gem5 Resources database on the web)"
        )
    return "looked in " + ", ".join(_described)


def list_resources(
    clients: list[str] | None = None, gem5_version: str | None = GEM5_VERSION
) -> dict[str, list[str]]:
    """{resource id: [its versions]} over the chosen clients."""
    wrapper = _get_clientwrapper()
    found: dict[str, list[str]] = {}
    for name in list(wrapper) if clients is None else clients:
        if name not in wrapper:
            raise Exception(f"Client: {name} does not exist")
        for resource in wrapper[name].get_resources(gem5_version=gem5_version):
            found.setdefault(resource["id"], []).append(resource["resource_version"])
    return found


def get_resource_json_obj(
    resource_id: str,
    resource_version: str | None = None,
    clients: list[str] | None = None,
    gem5_version: str | None = GEM5_VERSION,
) -> dict[str, Any]:
    """The JSON entry of `resource_id`: the given version, else the newest one
    compatible with `gem5_version`."""
    query = ClientQuery(resource_id, resource_version, gem5_version)
    return get_multiple_resource_json_obj([query], clients)[0]


def get_multiple_resource_json_obj(
    client_queries: list[ClientQuery], clients: list[str] | None = None
) -> list[dict[str, Any]]:
    wrapper = _get_clientwrapper()
    names = list(wrapper) if not clients else clients
    found: dict[str, list[dict[str, Any]]] = {q.get_resource_id(): [] for q in client_queries}
    for name in names:
        if name not in wrapper:
            raise Exception(f"Client: {name} does not exist")
        for rid, resource in wrapper[name].get_resources_by_id(client_queries).items():
            if rid in found:
                found[rid].append(resource)
    for rid, resources in found.items():
        for a, b in itertools.combinations(resources, 2):
            if a["resource_version"] == b["resource_version"]:
                raise Exception(
                    f"Resource {rid} has multiple resources with the same version: "
                    f"{a['resource_version']}"
                )
    out = []
    for query in client_queries:
        rid = query.get_resource_id()
        if not found[rid]:
            raise Exception(_not_found(query, wrapper, names))
        out.append(sort_resources(found[rid])[0])
    return out


def _not_found(query: ClientQuery, wrapper: dict[str, JSONClient], names: list[str]) -> str:
    rid = query.get_resource_id()
    text = f"Resource with ID '{rid}' not found"
    if query.get_resource_version():
        text += f" (version {query.get_resource_version()})"
    text += f": {describe_sources()}."
    others = [
        f"{version} (gem5 {', '.join(g5) or '-'}) in {name}"
        for name in names
        if name in wrapper
        for version, g5 in wrapper[name].versions_of(rid)
    ]
    if others:
        text += (
            f" Entries with that ID exist but none matches gem5 {query.get_gem5_version()} "
            f"and the version asked for: {'; '.join(others)}."
        )
    return f"{text} {NEVER_DOWNLOADS}."
