"""Union-find: the groups of items that pairwise links join (a job's independent components)."""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import Generic, TypeVar

T = TypeVar("T", bound=Hashable)


class UnionFind(Generic[T]):
    """Disjoint sets of items, joined by `union`, with path halving."""

    def __init__(self, items: Iterable[T] = ()) -> None:
        self._parent: dict[T, T] = {item: item for item in items}

    def add(self, item: T) -> None:
        """Make `item` a set of its own, unless it is already known."""
        self._parent.setdefault(item, item)

    def find(self, item: T) -> T:
        """The representative of `item`'s set (`item` must be known)."""
        parent = self._parent
        while parent[item] != item:
            parent[item] = parent[parent[item]]
            item = parent[item]
        return item

    def union(self, a: T, b: T) -> None:
        """Join the sets of `a` and `b` (adding either if new)."""
        self.add(a)
        self.add(b)
        self._parent[self.find(a)] = self.find(b)

    def groups(self) -> list[list[T]]:
        """Every set, each in the order its items were first added, ordered by its first item."""
        found: dict[T, list[T]] = {}
        for item in self._parent:
            found.setdefault(self.find(item), []).append(item)
        return list(found.values())
