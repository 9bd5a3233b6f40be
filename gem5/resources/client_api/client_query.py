"""gem5.resources.client_api.client_query: what a resource look-up asks for."""

from __future__ import annotations

# the gem5 release whose standard library simobjs follows: resources list the
# gem5 versions ("24.0") they work with in their `gem5_versions` field
GEM5_VERSION = "24.0.0.1"


class ClientQuery:
    def __init__(
        self,
        resource_id: str,
        resource_version: str | None = None,
        gem5_version: str | None = GEM5_VERSION,
    ) -> None:
        self.resource_id = resource_id
        self.resource_version = resource_version
        # resources name gem5 versions by major.minor only
        self.gem5_version = ".".join(gem5_version.split(".")[:2]) if gem5_version else None

    def get_resource_id(self) -> str:
        return self.resource_id

    def get_resource_version(self) -> str | None:
        return self.resource_version

    def get_gem5_version(self) -> str | None:
        return self.gem5_version
