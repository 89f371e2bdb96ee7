"""Normal and Student-t quantiles, for every interval the loops report (the optimize gate, the
write confirmation, calibration, compare). A module of its own, below them all, so that a loop
does not import another loop's package for one function."""

from __future__ import annotations

import math
from statistics import NormalDist

_Z = NormalDist()


def t_quantile(p: float, df: float) -> float:
    """Student-t quantile. The standard library has no t distribution, and a dependency for one
    function is not worth it: the Cornish-Fisher expansion below is within 0.5% of the exact
    value for df >= 5 at the levels the gate uses (t(0.9975, 5): 4.773 exact, 4.729 here) and
    exact as df grows (checked against scipy in tests/test_gate.py)."""
    z = _Z.inv_cdf(p)
    if df <= 0 or math.isinf(df):
        return z
    return (
        z
        + (z**3 + z) / (4 * df)
        + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)
        + (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / (384 * df**3)
    )


def z_quantile(p: float) -> float:
    return _Z.inv_cdf(p)


__all__ = ["t_quantile", "z_quantile"]
