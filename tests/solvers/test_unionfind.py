"""The one union-find: components of the rota's groups and of the caseload's teams."""

from __future__ import annotations

from allocator.unionfind import UnionFind


def test_groups_keep_first_seen_order_whichever_item_is_the_root() -> None:
    linked = UnionFind("abcde")
    linked.union("d", "b")
    linked.union("e", "a")
    assert linked.groups() == [["a", "e"], ["b", "d"], ["c"]]
    assert linked.find("b") == linked.find("d") != linked.find("c")


def test_union_adds_unknown_items_and_joins_chains() -> None:
    linked: UnionFind[int] = UnionFind()
    linked.add(1)
    linked.union(2, 3)
    linked.union(3, 1)
    linked.add(4)
    linked.add(1)
    assert linked.groups() == [[1, 2, 3], [4]]
