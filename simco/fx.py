"""Daily FX rates to the reporting currency: a seeded mean-reverting random walk."""

from __future__ import annotations

import math
import random
from decimal import Decimal

from simco.params import FX_START, REPORTING_CURRENCY
from simco.timeutil import weekday

_ONE = Decimal(1)


class Fx:
    """Rates for every weekday from first_day on; a weekend uses Friday's.

    Each currency walks on its own random stream, one draw per weekday, and the walk is
    extended only as far as a rate is asked for: a day's rate depends on the seed and the
    days before it, never on how far the simulation runs (a later --end keeps every rate).
    """

    def __init__(self, seed: int, first_day: int) -> None:
        self.first = first_day
        self._walk = {cur: (random.Random(f"{seed}:fx:{cur}"), r0) for cur, r0 in FX_START.items()}
        self._x = dict(FX_START)
        self._rates: dict[str, list[Decimal]] = {cur: [] for cur in FX_START}
        self._text: dict[str, list[str | None]] = {cur: [] for cur in FX_START}
        self._current = {cur: Decimal(f"{r0:.6f}") for cur, r0 in FX_START.items()}

    def _extend(self, day: int) -> None:
        for cur, (rng, r0) in self._walk.items():
            rates, texts = self._rates[cur], self._text[cur]
            for d in range(self.first + len(rates), day + 1):
                if weekday(d) < 5:
                    x = self._x[cur] = self._x[cur] * math.exp(rng.gauss(0.0, 0.004) + 0.02 * math.log(r0 / self._x[cur]))
                    text = f"{x:.6f}"
                    self._current[cur] = Decimal(text)
                    texts.append(text)
                else:
                    texts.append(None)
                rates.append(self._current[cur])

    def rate(self, currency: str, day: int) -> Decimal:
        """1 unit of `currency` in the reporting currency, latest rate on or before `day`."""
        if currency == REPORTING_CURRENCY:
            return _ONE
        rates = self._rates[currency]
        if day - self.first >= len(rates):
            self._extend(day)
        return rates[day - self.first]

    def published(self, day: int) -> list[tuple[str, str]]:
        """(currency, rate text) rows published on `day` (weekdays only)."""
        out = []
        for cur in sorted(self._text):
            texts = self._text[cur]
            if day - self.first >= len(texts):
                self._extend(day)
            t = texts[day - self.first]
            if t is not None:
                out.append((cur, t))
        return out
