"""Two methods run on the same seeds, compared seed by seed: the paired difference.

Seed i draws everything random in run i (start, data subset, crops, noise, batch order), and both
methods get the same draws. So the fair comparison is seed by seed: d_i = a_i - b_i has none of
the variation the two runs share. We report mean(d) ± its standard error sd(d)/√n, the paired
t-test on d, and how many seeds each method won. A verdict is one of "higher", "lower" (A against
B) or "not established" (p ≥ 0.05). Where one pair of classifiers is scored on the same test
images, McNemar's exact test uses the images on which exactly one of them is right.

`seeds(n)` gives the run's seeds: 0 … n-1, or from FIRST_SEED on when that environment variable
is set (`FIRST_SEED=1000 python snippet.py` repeats a comparison on a second, disjoint batch).

Needs: pip install numpy==2.4.6 scipy==1.17.1
"""

# %%
import os

import numpy as np
from scipy import stats

LEVEL = 0.05  # a difference is called established when its two-sided p-value is below this


def seeds(n):
    """The seeds of this run: n consecutive integers from FIRST_SEED (0 unless set)."""
    first = int(os.environ.get("FIRST_SEED", "0"))
    return range(first, first + n)


def paired(a, b):
    """Compare scores a[i] and b[i] of two methods on the same seeds i.

    Returns a dict (plain values, so a page can quote them): the mean difference a - b, its
    standard error over seeds, the paired t-test's p-value, the seeds won by each, and the
    verdict for A against B.
    """
    d = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    n = len(d)
    if n < 2:
        raise ValueError("a paired comparison needs at least two seeds")
    mean, se = float(d.mean()), float(d.std(ddof=1) / np.sqrt(n))
    # The paired t-test; when every seed gave the same difference there is no spread to test.
    p = float(2 * stats.t.sf(abs(mean) / se, df=n - 1)) if se > 0 else float(mean == 0)
    verdict = "not established" if p >= LEVEL else ("higher" if mean > 0 else "lower")
    return {
        "mean": mean,
        "se": se,
        "n": n,
        "p": p,
        "wins": int((d > 0).sum()),
        "losses": int((d < 0).sum()),
        "verdict": verdict,
    }


def mcnemar(right_a, right_b):
    """Exact two-sided McNemar test of two classifiers on the same test items.

    right_a, right_b: booleans per item (was the answer right?). Only the items on which they
    disagree count; under "equally good" each such item is a fair coin.
    """
    right_a, right_b = np.asarray(right_a, dtype=bool), np.asarray(right_b, dtype=bool)
    only_a, only_b = int((right_a & ~right_b).sum()), int((right_b & ~right_a).sum())
    if only_a + only_b == 0:
        return {"only_a": 0, "only_b": 0, "p": 1.0}
    p = stats.binomtest(only_a, only_a + only_b, 0.5).pvalue
    return {"only_a": only_a, "only_b": only_b, "p": float(p)}


def describe(result, unit=100, digits=1):
    """'+0.3 ± 0.2 (p = 0.12, 14 of 20 seeds)' for a page or a printout; unit 100 = points."""
    m, s = unit * result["mean"], unit * result["se"]
    return (
        f"{m:+.{digits}f} ± {s:.{digits}f} (p = {result['p']:.2g}, "
        f"{result['wins']} of {result['n']} seeds)"
    )


# %% Run as a script: a worked example on made-up scores.
if __name__ == "__main__":
    rng = np.random.default_rng(0)
    shared = rng.normal(0.95, 0.02, size=20)  # what the two methods' runs of a seed share
    a = shared + 0.004 + rng.normal(0, 0.003, size=20)
    b = shared + rng.normal(0, 0.003, size=20)
    example = paired(a, b)
    # The seed-to-seed spread (0.02) hides a 0.4-point gap; the paired difference does not.
    unpaired_se = float(np.sqrt(a.var(ddof=1) / 20 + b.var(ddof=1) / 20))
    print(f"A - B = {describe(example)}; unpaired standard error {100 * unpaired_se:.1f} points")
    assert example["verdict"] == "higher" and example["se"] < unpaired_se / 3
    assert paired(b, a)["verdict"] == "lower"
    right = rng.random(450) < 0.95
    print("McNemar, a classifier against itself:", mcnemar(right, right))
