"""Salesforce-shaped record ids.

An 18-character id is a 3-character key prefix, a 2-character pod, a
10-character base-62 counter and the 3-character case-safe suffix Salesforce
appends. The counter alphabet is in ASCII order and zero padded, so string
order is the order the ids were handed out (the warehouse breaks ties "by
opportunity id", so this keeps that order well defined and reproducible).
"""

from __future__ import annotations

import random

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_SUFFIX = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_UPPER = {c: int("A" <= c <= "Z") for c in _ALPHABET}
_PAIRS = [a + b for a in _ALPHABET for b in _ALPHABET]  # base 62**2 digits


def _chunk_bits(chunk: str) -> str:
    """The suffix character of a 5-character chunk: bit i set when character i is upper case."""
    u = _UPPER
    return _SUFFIX[
        u.get(chunk[0], 0)
        | u.get(chunk[1], 0) << 1
        | u.get(chunk[2], 0) << 2
        | u.get(chunk[3], 0) << 3
        | u.get(chunk[4], 0) << 4
    ]


_PAIR_BITS = [_UPPER[p[0]] | _UPPER[p[1]] << 1 for p in _PAIRS]


class IdFactory:
    """Sequential ids for one Salesforce object type."""

    def __init__(self, prefix: str, rng: random.Random, pod: str = "5g") -> None:
        self.prefix = prefix + pod
        # Start deep enough into the counter space that ids look like real ones.
        self.n = rng.randrange(62**6, 62**7)
        self._high: tuple[int, str, str, int] = (-1, "", "", 0)

    def next(self) -> str:
        n = self.n
        self.n += 1
        return self.format(n)

    def format(self, n: int) -> str:
        """The id of counter value n (ids reserved in blocks are formatted later)."""
        high, low = divmod(n, 3844 * 3844)
        cached = self._high
        if cached[0] != high:
            digits = []
            h = high
            for _ in range(3):
                h, r = divmod(h, 3844)
                digits.append(_PAIRS[r])
            id11 = self.prefix + "".join(reversed(digits))  # 5 + 6 characters
            cached = (high, id11, _chunk_bits(id11[0:5]) + _chunk_bits(id11[5:10]), _UPPER[id11[10]])
            self._high = cached
        hi, lo = divmod(low, 3844)
        bits = cached[3] | _PAIR_BITS[hi] << 1 | _PAIR_BITS[lo] << 3
        return cached[1] + _PAIRS[hi] + _PAIRS[lo] + cached[2] + _SUFFIX[bits]
