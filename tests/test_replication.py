"""Every comparison's verdict holds again on a second, disjoint batch of seeds (``make
replicate`` prints the numbers of both batches)."""

from __future__ import annotations

import pytest

from kernelsite import replicate

COMPARISONS = replicate.comparison_snippets()


def test_the_comparisons_are_found():
    assert len(COMPARISONS) >= 5, [s.id for s in COMPARISONS]


@pytest.mark.parametrize("snippet", COMPARISONS, ids=[s.id for s in COMPARISONS])
def test_verdicts_hold_on_a_second_batch_of_seeds(snippet):
    pairs = replicate.both_batches(snippet)
    assert pairs, f"snippets/{snippet.id} records no paired comparison"
    for name, (first, second) in pairs.items():
        assert first["n"] >= 10, f"{name}: {first['n']} seeds; a comparison needs at least 10"
        assert first["verdict"] == second["verdict"], (
            f"snippets/{snippet.id} {name}: the verdict changes with the seeds\n"
            f"  {replicate.line('seeds from 0', first)}\n"
            f"  {replicate.line(f'seeds from {replicate.OFFSET}', second)}"
        )


def test_verdicts_are_found_at_any_depth():
    result = {"mean": 0.1, "se": 0.01, "p": 0.001, "verdict": "higher", "n": 10}
    other = {**result, "mean": 0.2}
    values = {"gap": {"a_b": result, "note": "x"}, "other": 3, "single": other}
    assert replicate.verdicts(values) == {"gap.a_b": result, "single": other}


def test_a_comparison_left_in_a_loop_variable_is_counted_once():
    """``for name, result in comparison.items()`` leaves ``result`` at module level: the same
    comparison under a second name. The name a page quotes is kept, else the nested one."""
    a = {"mean": 0.1, "se": 0.01, "p": 0.001, "verdict": "higher", "n": 10}
    b = {**a, "mean": -0.1, "verdict": "lower"}
    values = {"comparison": {"20": {"a": a, "b": b}}, "pairs": {"a": a, "b": b}, "result": b}
    assert replicate.verdicts(values) == {"comparison.20.a": a, "comparison.20.b": b}
    quoted = ["pairs.a.mean", "N_SEEDS"]
    assert replicate.verdicts(values, quoted) == {"pairs.a": a, "comparison.20.b": b}
