"""gem5.resources.resource: the resource classes (a binary, a kernel, a disk
image, a checkpoint, a workload, a suite...) and `obtain_resource`, which
finds a resource by id in the local resources JSON files (gem5.resources.client)
and places it on disk without downloading (gem5.resources.downloader)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

from gem5.isas import ISA, get_isa_from_str
from gem5.resources import local_files
from gem5.resources.client import get_multiple_resource_json_obj, get_resource_json_obj
from gem5.resources.client_api.client_query import GEM5_VERSION, ClientQuery
from gem5.resources.downloader import SOURCE_DIR_KEY, get_resource
from m5.util import warn


class AbstractResource:
    """A resource: an id, a version, and (for most) a local path."""

    def __init__(
        self,
        id: str | None = None,  # noqa: A002 - gem5's parameter name
        resource_version: str | None = None,
        local_path: str | None = None,
        description: str | None = None,
        source: str | None = None,
        downloader: Any = None,
    ) -> None:
        self._id = id
        self._local_path = local_path
        self._description = description
        self._source = source
        self._version = resource_version
        self._downloader = downloader

    def get_id(self) -> str | None:
        return self._id

    def get_category_name(self) -> str:
        raise NotImplementedError

    def __str__(self) -> str:
        return f"{self.get_category_name()}({self._id}, {self._version})"

    def get_resource_version(self) -> str | None:
        return self._version

    def get_local_path(self) -> str | None:
        if self._downloader:
            self._downloader()
        if not self._local_path:
            return self._local_path
        path = local_files.located(self._local_path)  # a sweep's simulation: the shipped copy
        if not os.path.exists(path):
            raise Exception(
                f"Local path specified for resource, '{self._local_path}', does not exist."
            )
        return path

    def get_description(self) -> str | None:
        return self._description

    def get_source(self) -> str | None:
        return self._source


class FileResource(AbstractResource):
    def __init__(
        self,
        local_path: str,
        id: str | None = None,  # noqa: A002
        resource_version: str | None = None,
        description: str | None = None,
        source: str | None = None,
        downloader: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            local_path=local_path,
            id=id,
            description=description,
            source=source,
            resource_version=resource_version,
            downloader=downloader,
        )

    def get_category_name(self) -> str:
        return "FileResource"

    def get_local_path(self) -> str:
        path = super().get_local_path()
        if not path:
            raise Exception("FileResource path not specified.")
        if not os.path.isfile(path):
            raise Exception(f"FileResource path specified, '{path}', is not a file.")
        return path


class DirectoryResource(AbstractResource):
    def __init__(
        self,
        local_path: str,
        id: str | None = None,  # noqa: A002
        resource_version: str | None = None,
        description: str | None = None,
        source: str | None = None,
        downloader: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            local_path=local_path,
            id=id,
            description=description,
            source=source,
            resource_version=resource_version,
            downloader=downloader,
        )

    def get_category_name(self) -> str:
        return "DirectoryResource"

    def get_local_path(self) -> str:
        path = super().get_local_path()
        if not path:
            raise Exception("DirectoryResource path not specified.")
        if not os.path.isdir(path):
            raise Exception(f"DirectoryResource path specified, {path}, is not a directory.")
        return path


class DiskImageResource(FileResource):
    def __init__(self, local_path: str, root_partition: str | None = None, **kwargs: Any) -> None:
        super().__init__(local_path=local_path, **kwargs)
        self._root_partition = root_partition

    def get_root_partition(self) -> str | None:
        return self._root_partition

    def get_category_name(self) -> str:
        return "DiskImageResource"


class BinaryResource(FileResource):
    def __init__(
        self, local_path: str, architecture: ISA | str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(local_path=local_path, **kwargs)
        self._architecture: ISA | None = None
        if isinstance(architecture, str):
            self._architecture = get_isa_from_str(architecture)
        elif isinstance(architecture, ISA):
            self._architecture = architecture

    def get_category_name(self) -> str:
        return "BinaryResource"

    def get_architecture(self) -> ISA | None:
        return self._architecture


class BootloaderResource(BinaryResource):
    def get_category_name(self) -> str:
        return "BootloaderResource"


class KernelResource(BinaryResource):
    def get_category_name(self) -> str:
        return "KernelResource"


class GitResource(DirectoryResource):
    def get_category_name(self) -> str:
        return "GitResource"


class CheckpointResource(DirectoryResource):
    def get_category_name(self) -> str:
        return "CheckpointResource"


class SimpointResource(AbstractResource):
    """SimPoints as data (start instructions, weights); simobjs's CPUs cannot
    stop at them (no SimPoint probe), so boards refuse to schedule them."""

    def __init__(
        self,
        resource_version: str | None = None,
        simpoint_interval: int | None = None,
        simpoint_list: list[int] | None = None,
        weight_list: list[float] | None = None,
        warmup_interval: int = 0,
        id: str | None = None,  # noqa: A002
        workload_name: str | None = None,
        description: str | None = None,
        source: str | None = None,
        downloader: Any = None,
        local_path: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            local_path=local_path,
            id=id,
            description=description,
            source=source,
            resource_version=resource_version,
            downloader=downloader,
        )
        self._simpoint_list = simpoint_list
        self._weight_list = weight_list
        self._simpoint_interval = simpoint_interval
        self._warmup_interval = warmup_interval
        self._workload_name = workload_name

    def get_simpoint_list(self) -> list[int]:
        assert self._simpoint_list is not None, "SimPoint list is None"
        return self._simpoint_list

    def get_weight_list(self) -> list[float]:
        assert self._weight_list is not None, "Weight list is None"
        return self._weight_list

    def get_simpoint_interval(self) -> int | None:
        return self._simpoint_interval

    def get_warmup_interval(self) -> int:
        return self._warmup_interval

    def get_simpoint_start_insts(self) -> list[int]:
        """Where each SimPoint's warm-up starts (gem5's rule: never before 0)."""
        interval = self.get_simpoint_interval() or 0
        return [
            max(start - self._warmup_interval, 0) if self._warmup_interval else start
            for start in (p * interval for p in self.get_simpoint_list())
        ]

    def get_workload_name(self) -> str | None:
        return self._workload_name

    def get_category_name(self) -> str:
        return "SimpointResource"


class SuiteResource(AbstractResource):
    """A set of workloads, each with the input groups it belongs to."""

    def __init__(
        self,
        workloads: dict[WorkloadResource, set[str]] | None = None,
        resource_version: str | None = None,
        description: str | None = None,
        source: str | None = None,
        id: str | None = None,  # noqa: A002
        local_path: str | None = None,
        **kwargs: Any,
    ) -> None:
        self._workloads = dict(workloads or {})
        super().__init__(
            id=id,
            description=description,
            source=source,
            resource_version=resource_version,
            local_path=local_path,
        )

    def __iter__(self) -> Iterator[WorkloadResource]:
        yield from self._workloads.keys()

    def __len__(self) -> int:
        return len(self._workloads)

    def get_category_name(self) -> str:
        return "SuiteResource"

    def with_input_group(self, input_group: str) -> SuiteResource:
        if input_group not in self.get_input_groups():
            raise Exception(
                f"Input group {input_group} not found in Suite.\n"
                f"Available input groups are {self.get_input_groups()}"
            )
        return SuiteResource(
            workloads={w: g for w, g in self._workloads.items() if input_group in g},
            resource_version=self._version,
            description=self._description,
            source=self._source,
            id=self._id,
            local_path=self._local_path,
        )

    def get_input_groups(self) -> set[str]:
        return {group for groups in self._workloads.values() for group in groups}


class WorkloadResource(AbstractResource):
    """A board function (`set_se_binary_workload`...) and its parameters."""

    def __init__(
        self,
        function: str | None = None,
        id: str | None = None,  # noqa: A002
        resource_version: str | None = None,
        description: str | None = None,
        source: str | None = None,
        local_path: str | None = None,
        parameters: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            local_path=local_path,
            id=id,
            description=description,
            source=source,
            resource_version=resource_version,
        )
        self._func = function
        self._params = dict(parameters or {})

    def get_function_str(self) -> str | None:
        return self._func

    def get_parameters(self) -> dict[str, Any]:
        return self._params

    def set_parameter(self, parameter: str, value: Any) -> None:
        self._params[parameter] = value

    def get_category_name(self) -> str:
        return "WorkloadResource"


class UnresolvedResource(AbstractResource):
    """What `obtain_resource` returns in a sweep (gem5.utils.multisim) for a
    resource it could not obtain: the simulations whose boards use it fail with
    `error` when they run, the others are not affected."""

    def __init__(self, resource_id: str, error: Exception, **kwargs: Any) -> None:
        super().__init__(id=resource_id, resource_version=kwargs.get("resource_version"))
        self.error = error

    def get_category_name(self) -> str:
        return "UnresolvedResource"

    def get_local_path(self) -> str | None:
        raise self.error


_NOT_SUPPORTED = {
    "simpoint-directory": "SimPoint directories",
    "looppoint-pinpoint-csv": "LoopPoint",
    "looppoint-json": "LoopPoint",
    "elfie-info": "ELFies",
}

_CATEGORIES: dict[str, type[AbstractResource]] = {
    "disk-image": DiskImageResource,
    "binary": BinaryResource,
    "kernel": KernelResource,
    "checkpoint": CheckpointResource,
    "git": GitResource,
    "bootloader": BootloaderResource,
    "file": FileResource,
    "directory": DirectoryResource,
    "simpoint": SimpointResource,
    "suite": SuiteResource,
    "workload": WorkloadResource,
}


def _fields(entry: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in entry.items() if k != SOURCE_DIR_KEY}


def _make(entry: dict[str, Any], to_path: str | None, place: dict[str, Any]) -> AbstractResource:
    category = entry.get("category")
    if category in _NOT_SUPPORTED:
        raise Exception(
            f"Resource '{entry['id']}' is of category '{category}': "
            f"{_NOT_SUPPORTED[category]} are not supported by simobjs"
        )
    if category == "resource":
        path = get_resource(entry, to_path, **place)
        if "root_partition" in entry:
            return DiskImageResource(**{**_fields(entry), "local_path": path})
        return AbstractResource(
            id=entry["id"], resource_version=entry.get("resource_version"), local_path=path
        )
    if category not in _CATEGORIES:
        raise Exception(f"Resource '{entry.get('id')}' has an unknown category '{category}'")
    path = get_resource(entry, to_path, **place)
    return _CATEGORIES[category](**{**_fields(entry), "local_path": path})


def obtain_resource(
    resource_id: str,
    resource_directory: str | None = None,
    download_md5_mismatch: bool = True,
    resource_version: str | None = None,
    clients: list[str] | None = None,
    gem5_version: str | None = GEM5_VERSION,
    to_path: str | None = None,
    quiet: bool = False,
) -> AbstractResource:
    """The resource `resource_id` from the local resources JSON files: the given
    version, else the newest one for this gem5 version. Never downloads.

    In a sweep (gem5.utils.multisim), a resource that cannot be obtained comes
    back as an `UnresolvedResource`: only the simulations using it fail."""
    try:
        return _obtain(
            resource_id,
            resource_directory=resource_directory,
            download_md5_mismatch=download_md5_mismatch,
            resource_version=resource_version,
            clients=clients,
            gem5_version=gem5_version,
            to_path=to_path,
            quiet=quiet,
        )
    except Exception as e:
        if not local_files.deferring:
            raise
        return UnresolvedResource(resource_id, e, resource_version=resource_version)


def _obtain(
    resource_id: str,
    resource_directory: str | None,
    download_md5_mismatch: bool,
    resource_version: str | None,
    clients: list[str] | None,
    gem5_version: str | None,
    to_path: str | None,
    quiet: bool,
) -> AbstractResource:
    entry = get_resource_json_obj(
        resource_id, resource_version=resource_version, clients=clients, gem5_version=gem5_version
    )
    place = {
        "resource_directory": resource_directory,
        "download_md5_mismatch": download_md5_mismatch,
        "quiet": quiet,
    }
    category = entry.get("category")
    if category == "suite":
        return _get_suite(entry, to_path, place, clients, gem5_version)
    if category == "workload":
        return _get_workload(entry, to_path, place, clients, gem5_version)
    return _make(entry, to_path, place)


def _get_workload(
    workload: dict[str, Any],
    to_path: str | None,
    place: dict[str, Any],
    clients: list[str] | None,
    gem5_version: str | None,
) -> WorkloadResource:
    wanted = workload.get("resources", {})
    queries = [
        ClientQuery(r["id"], r.get("resource_version"), gem5_version) for r in wanted.values()
    ]
    entries = get_multiple_resource_json_obj(queries, clients) if queries else []
    params: dict[str, Any] = {}
    for name, ref in wanted.items():
        match = next(
            (
                e
                for e in entries
                if e["id"] == ref["id"]
                and (ref.get("resource_version") in (None, e["resource_version"]))
            ),
            None,
        )
        if match is None:
            raise Exception(
                f"Resource {ref['id']} with version {ref.get('resource_version')} not found"
            )
        params[name] = _make(match, None, place)
    params.update(workload.get("additional_params") or {})
    fields = {k: v for k, v in _fields(workload).items() if k not in ("resources", "parameters")}
    return WorkloadResource(local_path=to_path, parameters=params, **fields)


def _get_suite(
    suite: dict[str, Any],
    to_path: str | None,
    place: dict[str, Any],
    clients: list[str] | None,
    gem5_version: str | None,
) -> SuiteResource:
    groups = {w["id"]: set(w.get("input_group", [])) for w in suite.get("workloads", [])}
    queries = [
        ClientQuery(w["id"], w.get("resource_version"), gem5_version)
        for w in suite.get("workloads", [])
    ]
    workloads = {}
    for entry in get_multiple_resource_json_obj(queries, clients) if queries else []:
        workloads[_get_workload(entry, None, place, clients, gem5_version)] = groups[entry["id"]]
    fields = {k: v for k, v in _fields(suite).items() if k != "workloads"}
    return SuiteResource(workloads=workloads, local_path=to_path, **fields)


class CustomResource(AbstractResource):
    def __init__(self, local_path: str, metadata: dict | None = None) -> None:
        warn(
            "The `CustomResource` class is deprecated. Please use an `AbstractResource` "
            "subclass instead."
        )
        super().__init__(local_path=local_path)


class CustomDiskImageResource(DiskImageResource):
    def __init__(
        self,
        local_path: str,
        resource_version: str | None = None,
        root_partition: str | None = None,
        metadata: dict | None = None,
    ) -> None:
        warn(
            "The `CustomDiskImageResource` class is deprecated. Please use "
            "`DiskImageResource` instead."
        )
        super().__init__(
            local_path=local_path, root_partition=root_partition, resource_version=resource_version
        )


def Resource(  # noqa: N802 - gem5's name
    resource_id: str,
    resource_directory: str | None = None,
    download_md5_mismatch: bool = True,
    resource_version: str | None = None,
    clients: list[str] | None = None,
) -> AbstractResource:
    warn("`Resource` has been deprecated. Please use the `obtain_resource` function instead.")
    return obtain_resource(
        resource_id,
        resource_directory=resource_directory,
        download_md5_mismatch=download_md5_mismatch,
        resource_version=resource_version,
        clients=clients,
    )
