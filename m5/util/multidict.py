"""gem5's m5.util.multidict: a dict layered over a parent mapping.

Reads fall through to the parent; writes and deletes stay local (deleting a
key the parent has hides it here only).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

__all__ = ["multidict"]


class multidict:  # noqa: N801 - gem5's name
    def __init__(self, parent: Any = None, **kwargs: Any):
        self.local: dict = dict(kwargs)
        self.parent = {} if parent is None else parent
        self.deleted: dict = {}

    def __contains__(self, key: Any) -> bool:
        return key in self.local or (key not in self.deleted and key in self.parent)

    def __getitem__(self, key: Any) -> Any:
        if key in self.local:
            return self.local[key]
        if key not in self.deleted and key in self.parent:
            return self.parent[key]
        raise KeyError(key)

    def __setitem__(self, key: Any, value: Any) -> None:
        self.deleted.pop(key, None)
        self.local[key] = value

    def __delitem__(self, key: Any) -> None:
        if key in self.local:
            del self.local[key]
        elif key in self.parent:
            self.deleted[key] = True
        else:
            raise KeyError(key)

    def __len__(self) -> int:
        return sum(1 for _ in self.next())

    def next(self) -> Iterator[tuple[Any, Any]]:
        """(key, value) pairs: local ones first, then the parent's not shadowed here."""
        yield from self.local.items()
        parent_items = (
            self.parent.next() if isinstance(self.parent, multidict) else (self.parent.items())
        )
        for key, value in parent_items:
            if key not in self.local and key not in self.deleted:
                yield key, value

    def __iter__(self) -> Iterator[Any]:
        return self.keys()

    def items(self) -> Iterator[tuple[Any, Any]]:
        yield from self.next()

    def keys(self) -> Iterator[Any]:
        for key, _ in self.next():
            yield key

    def values(self) -> Iterator[Any]:
        for _, value in self.next():
            yield value

    def has_key(self, key: Any) -> bool:
        return key in self

    def get(self, key: Any, default: Any = None) -> Any:
        try:
            return self[key]
        except KeyError:
            return default

    def setdefault(self, key: Any, default: Any) -> Any:
        try:
            return self[key]
        except KeyError:
            self[key] = default
            return default

    def __str__(self) -> str:
        return str(dict(self.items()))

    def __repr__(self) -> str:
        return repr(dict(self.items()))
