"""Random draws shared by the synthetic county builders (all from the caller's generator)."""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from typing import TypeVar

T = TypeVar("T")


def _pick(rng: random.Random, weights: Mapping[T, float]) -> T:
    """One key of `weights`, drawn with those weights."""
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _apportion(total: int, weights: Sequence[float]) -> list[int]:
    """`total` split in proportion to `weights` by largest remainder."""
    quotas = [total * w / sum(weights) for w in weights]
    counts = [math.floor(q) for q in quotas]
    order = sorted(range(len(weights)), key=lambda i: (counts[i] - quotas[i], i))
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return counts


def _split_tenths(rng: random.Random, tenths: int, fewest: int = 1, most: int = 99) -> list[int]:
    """FTE in tenths shared over `fewest` to `most` posts of 0.5 to 1.0 FTE (5 to 10 tenths),
    about 0.8 FTE each; a pool smaller than half a post is one post."""
    if tenths < 5:
        return [tenths]
    size = min(max(round(tenths / 8), -(-tenths // 10), fewest), tenths // 5, most)
    if not 5 * size <= tenths <= 10 * size:
        raise ValueError(f"{tenths / 10} FTE does not make {fewest} to {most} posts")
    posts = [5] * size
    left = tenths - 5 * size
    while left:
        i = rng.choice([i for i, p in enumerate(posts) if p < 10])
        step = min(left, 10 - posts[i], rng.randint(1, 3))
        posts[i] += step
        left -= step
    return posts
