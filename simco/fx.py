"""Daily FX rates to the reporting currency: a seeded mean-reverting random walk."""

from __future__ import annotations

import math
import random
from decimal import Decimal

from simco.params import FX_START, REPORTING_CURRENCY
from simco.timeutil import weekday

_ONE = Decimal(1)


class Fx:
    """Rates for every weekday in [first_day, last_day]; a weekend uses Friday's."""

    def __init__(self, rng: random.Random, first_day: int, last_day: int) -> None:
        self.first = first_day
        self._rates: dict[str, list[Decimal]] = {}
        self._text: dict[str, list[str | None]] = {}
        for cur, r0 in FX_START.items():
            x = r0
            rates: list[Decimal] = []
            texts: list[str | None] = []
            current = Decimal(f"{r0:.6f}")
            for d in range(first_day, last_day + 1):
                if weekday(d) < 5:
                    x = x * math.exp(rng.gauss(0.0, 0.004) + 0.02 * math.log(r0 / x))
                    text = f"{x:.6f}"
                    current = Decimal(text)
                    texts.append(text)
                else:
                    texts.append(None)
                rates.append(current)
            self._rates[cur] = rates
            self._text[cur] = texts

    def rate(self, currency: str, day: int) -> Decimal:
        """1 unit of `currency` in the reporting currency, latest rate on or before `day`."""
        if currency == REPORTING_CURRENCY:
            return _ONE
        return self._rates[currency][day - self.first]

    def published(self, day: int) -> list[tuple[str, str]]:
        """(currency, rate text) rows published on `day` (weekdays only)."""
        out = []
        for cur in sorted(self._text):
            t = self._text[cur][day - self.first]
            if t is not None:
                out.append((cur, t))
        return out
