import pytest
from calc import mean


@pytest.mark.perf_gate(n=2000, ms=200)
def test_mean_is_fast(perf):
    result = perf.measure(mean, setup=lambda n: [float(i) for i in range(n)])
    assert result == pytest.approx((perf.n - 1) / 2)
