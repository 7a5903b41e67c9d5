"""The paired comparison every chapter's experiments use (snippets/common/paired.py), checked
against scipy's own paired t-test and an exact binomial count."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from conftest import snippet_module

paired = snippet_module("common/paired.py")


def test_paired_difference_matches_scipys_paired_t_test():
    rng = np.random.default_rng(1)
    a, b = rng.normal(0.9, 0.05, 12), rng.normal(0.88, 0.05, 12)
    result = paired.paired(a, b)
    reference = stats.ttest_rel(a, b)
    assert result["mean"] == pytest.approx(np.mean(a - b))
    assert result["se"] == pytest.approx(np.std(a - b, ddof=1) / math.sqrt(12))
    assert result["p"] == pytest.approx(reference.pvalue)
    assert result["wins"] + result["losses"] == 12 and result["n"] == 12


@pytest.mark.parametrize(
    ("shift", "verdict"), [(0.01, "higher"), (-0.01, "lower"), (0.0, "not established")]
)
def test_verdict_follows_sign_and_level(shift, verdict):
    rng = np.random.default_rng(2)
    shared = rng.normal(0.9, 0.05, 20)  # a large seed spread, shared by both methods
    noise = rng.normal(0, 0.001, (2, 20))
    result = paired.paired(shared + shift + noise[0], shared + noise[1])
    assert result["verdict"] == verdict
    assert (result["p"] < paired.LEVEL) == (verdict != "not established")


def test_identical_differences_have_no_spread_to_test():
    assert paired.paired([1, 2, 3], [0, 1, 2])["verdict"] == "higher"
    assert paired.paired([1, 2, 3], [1, 2, 3])["verdict"] == "not established"
    with pytest.raises(ValueError, match="two seeds"):
        paired.paired([1], [0])


def test_mcnemar_counts_only_disagreements():
    right_a = np.array([1, 1, 1, 1, 1, 1, 0, 0, 1, 0], dtype=bool)
    right_b = np.array([1, 0, 0, 0, 0, 0, 0, 1, 1, 0], dtype=bool)
    result = paired.mcnemar(right_a, right_b)
    assert (result["only_a"], result["only_b"]) == (5, 1)
    # two-sided exact binomial: P(X <= 1) + P(X >= 5) for X ~ Bin(6, 1/2)
    assert result["p"] == pytest.approx((1 + 6 + 6 + 1) / 64)
    assert paired.mcnemar(right_a, right_a)["p"] == 1.0


def test_seeds_start_at_first_seed(monkeypatch):
    assert list(paired.seeds(3)) == [0, 1, 2]
    monkeypatch.setenv("FIRST_SEED", "1000")
    assert list(paired.seeds(3)) == [1000, 1001, 1002]
