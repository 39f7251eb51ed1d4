"""How a size follows the axis groups (`Origin`), and fitting one to the sizes seen in the runs.

The fitting is plain arithmetic on the sizes a dim had in the base run and in each run of a group
(`GroupFit.of`), then on the fits of all the groups it moved with (`fit_origin`): no traces, no calls.
`provenance` gathers those sizes from the traces and keeps every origin.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction


@dataclass(frozen=True)
class Origin:
    """How one size follows the axis groups: Σ coef·|group| + factor·Π|product| + offset.

    Args:
        terms: (group id, coefficient) in group order: `(("g1", 1),)` is |g1|, `(("g0", 4),)` is 4·|g0|
            (the batch times a constant, such as heads).
        offset: the constant part; a size that follows no group is just its offset (`constant`).
        product: groups multiplied, a group twice for a square: `("g0", "g1")` with `factor` 1 is
            |g0|·|g1| (a flatten of B and T); `()` when there is no product.
        factor: the constant the product is multiplied by.
        exact: False when the size moves with its groups but not linearly (a strided conv, a
            pooling): `terms` then hold the slopes seen, snapped to k or 1/k, and there is no offset.
        checked: False when the form comes from one run of a group only (the other could not run or
            had the same size), so it was not checked against a second one.
        blind: groups whose every run failed before making this call (the model takes no other size
            of them, e.g. features a Linear is built for): the form says nothing about those.
    """

    terms: tuple[tuple[str, Fraction], ...] = ()
    offset: Fraction = Fraction(0)
    product: tuple[str, ...] = ()
    factor: Fraction = Fraction(1)
    exact: bool = True
    checked: bool = True
    blind: tuple[str, ...] = ()

    @property
    def constant(self) -> bool:
        """True when the size follows none of the groups that were tried."""
        return not self.terms and not self.product

    @property
    def groups(self) -> tuple[str, ...]:
        """The groups the size moves with, in order, each once."""
        return tuple(dict.fromkeys([g for g, _ in self.terms] + list(self.product)))

    @property
    def group(self) -> str | None:
        """The group when the size is exactly 1·group + 0 (that axis itself), else None."""
        if self.exact and not self.offset and not self.product and len(self.terms) == 1 and self.terms[0][1] == 1:
            return self.terms[0][0]
        return None

    def value(self, sizes: Mapping[str, int]) -> Fraction:
        """The size this form gives for these group sizes (meant for exact forms)."""
        linear = sum((coef * sizes[g] for g, coef in self.terms), Fraction(0))
        product = self.factor * math.prod(sizes[g] for g in self.product) if self.product else 0
        return linear + product + self.offset


@dataclass(frozen=True)
class GroupFit:
    """How a size moves with one group: its slope if linear, its degree if proportional, else its
    apparent power and the widest run it moved in."""

    slope: Fraction | None  # the same slope across all runs: linear in the group
    degree: int | None  # 1 or 2 when s ∝ n or n² across all runs
    power: int  # 1, or 2 when the size grew about as the square (a flatten of a square image)
    wide: tuple[int, int]  # (group size, size) in the widest run the size moved in

    @staticmethod
    def of(n: int, s0: int, points: list[tuple[int, int]]) -> GroupFit:
        """Fit the runs `points` ((group size, seen size)) of a size that was s0 at group size n."""
        m1, s1 = points[0]
        a = Fraction(s1 - s0, m1 - n)
        slope = a if all(s0 + a * (m - n) == s for m, s in points) else None
        degree = next((k for k in (1, 2) if all(s * n**k == s0 * m**k for m, s in points)), None)
        mw, sw = max((p for p in points if p[1] != s0), key=lambda p: abs(p[0] - n))
        # the exponent seen between the base and that run; floors at small sizes blur it, so a square
        # needs clear evidence (a pooling after a strided conv, 1 -> 3 as T doubles, stays linear)
        seen = math.log(sw / s0) / math.log(mw / n) if min(s0, sw, n) > 0 and sw != s0 else 1.0
        return GroupFit(slope, degree, 2 if seen >= 1.75 else 1, (mw, sw))


# A size's fit per group it moved with: (group id, the group's base size, how the size moved with it).
Fits = list[tuple[str, int, GroupFit]]


def fit_origin(s0: int, fits: Fits, checked: bool) -> Origin:
    """The origin of a size that was s0 in the base run and moved with the groups in `fits`."""
    if not fits:
        return Origin(offset=Fraction(s0))
    # a product is tried before a sum: a size proportional to one group, squared, fits no line
    return _product(s0, fits, checked) or _linear(s0, fits, checked) or _inexact(s0, fits, checked)


def _product(s0: int, fits: Fits, checked: bool) -> Origin | None:
    """Write the size as a product when it is proportional to every group it moves with (B·T, or T·T)."""
    powers = [(g, n, f.degree) for g, n, f in fits if f.degree is not None]
    if len(powers) != len(fits) or (len(fits) == 1 and powers[0][2] != 2):
        return None  # one group to the first power is a line, with an offset of 0: `_linear` says it
    names = tuple(g for g, _, k in powers for _ in range(k))
    factor = Fraction(s0) / math.prod(n**k for _, n, k in powers)
    return Origin(product=names, factor=factor, checked=checked)


def _linear(s0: int, fits: Fits, checked: bool) -> Origin | None:
    """Write the size as a sum of terms when it moves with every group by one slope (T−1, 2·T, T+S)."""
    slopes = [(g, n, f.slope) for g, n, f in fits if f.slope is not None]
    if len(slopes) != len(fits):
        return None
    offset = Fraction(s0) - sum((a * n for _, n, a in slopes), Fraction(0))
    return Origin(tuple((g, a) for g, _, a in slopes), offset, checked=checked)


def _inexact(s0: int, fits: Fits, checked: bool) -> Origin:
    """Write a size that moves but fits neither a product nor a sum as an inexact product of powers."""
    # usually one group to the first power (a strided conv's T/2); the factor is estimated from the
    # widest run of a group that fits nothing, and snapped
    powers = [(g, n, f.degree or f.power) for g, n, f in fits]
    at, (m, s) = next((i, f.wide) for i, (_, _, f) in enumerate(fits) if f.degree is None)
    rest = math.prod(n**k for i, (_, n, k) in enumerate(powers) if i != at)
    factor = _snap(Fraction(s, m ** powers[at][2] * rest))
    if len(powers) == 1 and powers[0][2] == 1:
        return Origin(((powers[0][0], factor),), exact=False, checked=checked)
    names = tuple(g for g, _, k in powers for _ in range(k))
    return Origin(product=names, factor=factor, exact=False, checked=checked)


_SIMPLE = tuple(Fraction(k) for k in range(1, 65)) + tuple(Fraction(1, k) for k in range(2, 65))


def _snap(trend: Fraction) -> Fraction:
    """The nearest k or 1/k (k = 1..64, by ratio) to a factor seen through rounding (a strided conv: 5/9 → 1/2)."""
    if not trend:
        return trend
    best = min(_SIMPLE, key=lambda c: abs(math.log(float(c) / abs(float(trend)))))
    return best if trend > 0 else -best
