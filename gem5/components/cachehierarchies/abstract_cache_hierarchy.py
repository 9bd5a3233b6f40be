"""gem5.components.cachehierarchies.abstract_cache_hierarchy: what connects a
board's processor to its memory (caches, buses), and the tree of its caches."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from m5.objects import SubSystem

if TYPE_CHECKING:
    from gem5.components.boards.abstract_board import AbstractBoard


class CacheNode:
    """One cache in the hierarchy's tree (next_level: towards memory)."""

    def __init__(
        self,
        name: str,
        cache: Any,
        next_level: CacheNode | None,
        hierarchy: AbstractCacheHierarchy,
    ) -> None:
        self.name = name
        self.cache = cache
        self.next_level = next_level
        self.hierarchy = hierarchy
        self.prev_levels: list[CacheNode] = []
        if cache is not None:
            setattr(hierarchy, name, cache)

    def add_child(self, name: str, cache: Any) -> CacheNode:
        node = CacheNode(name, cache, self, self.hierarchy)
        self.prev_levels.append(node)
        return node


class AbstractCacheHierarchy(SubSystem):
    def __init__(self) -> None:
        super().__init__()
        self._root = CacheNode("root", None, None, self)

    def incorporate_cache(self, board: AbstractBoard) -> None:
        raise NotImplementedError

    def is_ruby(self) -> bool:
        raise NotImplementedError

    def _post_instantiate(self) -> None:
        pass

    def add_root_child(self, *args: Any, **kwargs: Any) -> CacheNode:
        return self._root.add_child(*args, **kwargs)

    def traverse(self, node: CacheNode, visit: Callable[[CacheNode, int], None]) -> int:
        """Visit the tree below `node` from the L1s up; returns the level above `node`."""
        level = 1
        for prev in node.prev_levels:
            level = self.traverse(prev, visit)
        visit(node, level)
        return level + 1
