"""skdeepgen.plotting: tiles and learning curves on matplotlib axes."""
import numpy as np
import pytest

from skdeepgen import BernoulliRBM
from skdeepgen.plotting import plot_history, plot_tiles, tile_images

matplotlib = pytest.importorskip("matplotlib", reason="plots need matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def test_tile_images_layout_and_scaling():
    images = np.arange(2 * 6, dtype=float).reshape(2, 6)
    mosaic = tile_images(images, (2, 3), n_cols=2, spacing=1)
    assert mosaic.shape == (2, 7)
    assert np.isnan(mosaic[:, 3]).all()  # the spacing column
    np.testing.assert_allclose(mosaic[:, :3].ravel(), np.linspace(0, 1, 6))
    with pytest.raises(ValueError, match=r"shape \(n_images, 6\)"):
        tile_images(images[:, :5], (2, 3))


def test_plot_tiles_draws_on_the_given_axis_with_imshow_kwargs():
    fig, ax = plt.subplots()
    out = plot_tiles(np.random.RandomState(0).rand(4, 9), (3, 3), ax=ax,
                     title="filters", cmap="viridis", vmin=0, vmax=1)
    assert out is ax and ax.get_title() == "filters"
    image = ax.get_images()[0]
    assert image.get_cmap().name == "viridis" and image.get_clim() == (0, 1)
    plt.close(fig)


def test_plot_history_of_a_fitted_estimator():
    X = (np.random.RandomState(0).rand(60, 9) > 0.5).astype(float)
    rbm = BernoulliRBM(4, n_iter=3, batch_size=10, early_stopping=True,
                       validation_fraction=0.2, random_state=0).fit(X)
    fig, ax = plt.subplots()
    assert plot_history(rbm, ax=ax) is ax
    labels = [line.get_label() for line in ax.get_lines()]
    assert "val_reconstruction_error" in labels and "seconds" not in labels
    assert all(len(line.get_xdata()) == rbm.n_iter_ for line in ax.get_lines())
    with pytest.raises(ValueError, match="not in the history"):
        plot_history(rbm.history_, ["nope"], ax=ax)
    with pytest.raises(ValueError, match="history_"):
        plot_history({"loss": [1.0]})
    plt.close(fig)
