"""gem5.resources.client_api.jsonclient: resources listed in a local JSON file
(a path or a file:// URL). simobjs never downloads: a web URL is refused."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from gem5.resources import local_files
from gem5.resources.client_api.client_query import ClientQuery


def local_path_of(location: str) -> Path | None:
    """The local path a file:// URL or a plain path names; None for other URLs."""
    parsed = urlparse(location)
    if parsed.scheme == "file":
        if parsed.netloc not in ("", "localhost"):
            raise Exception(
                f"File URI '{location}' specifies host '{parsed.netloc}'. "
                "Only localhost is permitted."
            )
        return Path(parsed.path)
    if parsed.scheme and len(parsed.scheme) > 1:  # a one-letter scheme is a drive, not a URL
        return None
    return Path(location)


def version_key(resource: dict[str, Any]) -> tuple:
    """gem5's order of resource versions: numeric parts as numbers ("1.10" > "1.9")."""
    key: tuple = (resource["id"].lower(),)
    for part in str(resource["resource_version"]).split("."):
        key += (int(part),) if part.isdigit() else (part.lower(),)
    return key


def sort_resources(resources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Newest version first."""
    return sorted(resources, key=version_key, reverse=True)


class JSONClient:
    def __init__(self, path: str) -> None:
        self.path = path
        local = local_path_of(path)
        if local is None:
            raise Exception(
                f"Resources location '{path}' is a web URL: simobjs never downloads; "
                "name a local JSON file (a path or a file:// URL)"
            )
        readable = Path(local_files.located(local))  # a sweep's simulation: the shipped copy
        if not readable.is_file():
            raise Exception(f"Resources location '{path}' is not a valid path or URL.")
        self.file = local_files.client_absolute(local).resolve()
        with open(readable) as f:
            resources = json.load(f)
        if isinstance(resources, dict):  # a single resource
            resources = [resources]
        for entry in resources:  # relative `url` paths are relative to this file
            entry["_simobjs_source_dir"] = str(self.file.parent)
        self.resources: list[dict[str, Any]] = resources

    def get_resources_json(self) -> list[dict[str, Any]]:
        return self.resources

    def _matches(self, resource: dict[str, Any], query: ClientQuery) -> bool:
        if resource.get("id") != query.get_resource_id():
            return False
        wanted = query.get_resource_version()
        if wanted is not None and resource.get("resource_version") != wanted:
            return False
        gem5 = query.get_gem5_version()
        if gem5 is not None and not gem5.upper().startswith("DEVELOP"):
            return gem5 in resource.get("gem5_versions", [])
        return True

    def get_resources(
        self, client_queries: list[ClientQuery] | None = None, gem5_version: str | None = None
    ) -> Any:
        """With queries: {id: the newest matching resource}. Without: every resource
        compatible with `gem5_version` (list_resources)."""
        if client_queries is None:
            if not gem5_version:
                return list(self.resources)
            return [
                r
                for r in self.resources
                if any(gem5_version.startswith(v) for v in r.get("gem5_versions", []))
            ]
        found: dict[str, list[dict[str, Any]]] = {}
        for resource in self.resources:
            if any(self._matches(resource, q) for q in client_queries):
                found.setdefault(resource["id"], []).append(resource)
        return {rid: sort_resources(rs)[0] for rid, rs in found.items()}

    def get_resources_by_id(self, client_queries: list[ClientQuery]) -> dict[str, Any]:
        return self.get_resources(client_queries=client_queries)

    def versions_of(self, resource_id: str) -> list[tuple[str, list[str]]]:
        """(resource_version, gem5_versions) of every entry with this id, for errors."""
        return [
            (str(r.get("resource_version")), list(r.get("gem5_versions", [])))
            for r in self.resources
            if r.get("id") == resource_id
        ]
