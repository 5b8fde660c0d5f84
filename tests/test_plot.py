"""The sorted attribution figures (the paper's Figures 1-4)."""
import numpy as np
from PIL import Image

from subspace import plot


def _stats(rng, dim):
    mean = rng.random(dim)
    return {"mean": mean, "std": mean * rng.random(dim)}


def test_many_features_wrap_into_rows_of_panels(tmp_path):
    rng = np.random.default_rng(0)
    sizes = {}
    for n in (2, 7):
        stats = {f"f{i}": _stats(rng, 8 + i) for i in range(n)}
        for which in ("mean", "std"):
            path = tmp_path / f"{n}_{which}.png"
            plot.sorted_attribution_figure(stats, which, "humor", [path], ["mean", "p75"])
            sizes[n, which] = Image.open(path).size
    (w2, h2), (w7, h7) = sizes[2, "mean"], sizes[7, "mean"]
    assert w7 > w2 and w7 < 2.5 * w2  # 4 panels per row at most, not 7 side by side
    assert h7 > 1.8 * h2  # a second row
    assert sizes[7, "std"] == sizes[7, "mean"]
