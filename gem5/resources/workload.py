"""gem5.resources.workload: gem5's deprecated Workload/CustomWorkload helpers."""

from __future__ import annotations

from typing import Any

from gem5.resources.client_api.client_query import GEM5_VERSION
from gem5.resources.resource import AbstractResource, WorkloadResource, obtain_resource
from m5.util import warn


def CustomWorkload(function: str, parameters: dict[str, Any]) -> WorkloadResource:  # noqa: N802
    warn(
        "The `CustomWorkload` class is deprecated. Please use the "
        "`gem5.resources.resource.WorkloadResource` class instead."
    )
    return WorkloadResource(function=function, parameters=parameters)


def Workload(  # noqa: N802
    workload_name: str,
    resource_directory: str | None = None,
    resource_version: str | None = None,
    clients: list[str] | None = None,
    gem5_version: str | None = GEM5_VERSION,
) -> AbstractResource:
    warn(
        "`Workload` has been deprecated. Please use the `obtain_resource` function instead:"
        f'\n\nobtain_resource(resource_id="{workload_name}")'
    )
    return obtain_resource(
        workload_name,
        resource_directory=resource_directory,
        gem5_version=gem5_version,
        clients=clients,
        resource_version=resource_version,
    )
