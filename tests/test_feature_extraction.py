"""Dense patches, patch encoders and spatial pyramid pooling against exact answers."""
import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.base import clone
from sklearn.decomposition import PCA
from sklearn.pipeline import make_pipeline
from sklearn.svm import LinearSVC

from skdeepgen import SparseCoder
from skdeepgen.feature_extraction import (DensePatchExtractor, PatchEncoder,
                                          SpatialPyramidPooling,
                                          extract_dense_patches, pyramid_pool)


def test_dense_patches_positions_and_values():
    img = np.arange(7 * 9, dtype=np.float64).reshape(7, 9)
    P = extract_dense_patches(img, patch_size=3, step=2, normalize="none",
                              dtype=np.float64)
    assert P.shape == (3, 4, 9)
    for r in range(3):
        for c in range(4):
            assert_allclose(P[r, c], img[2 * r:2 * r + 3, 2 * c:2 * c + 3].ravel())


def test_patch_normalisation():
    rng = np.random.RandomState(0)
    img = rng.rand(20, 20)
    P = extract_dense_patches(img, 5, 3, normalize="contrast", eps=0.0,
                              dtype=np.float64)
    assert_allclose(P.mean(axis=2), 0, atol=1e-12)
    assert_allclose((P ** 2).mean(axis=2), 1, atol=1e-10)
    M = extract_dense_patches(img, 5, 3, normalize="mean", dtype=np.float64)
    assert_allclose(M.mean(axis=2), 0, atol=1e-12)
    # a flat patch stays (near) zero with eps > 0 instead of blowing up
    flat = extract_dense_patches(np.ones((8, 8)), 4, 4, normalize="contrast", eps=0.01)
    assert np.all(np.abs(flat) < 1e-5)


def test_small_images_are_padded_and_colour_averaged():
    ext = DensePatchExtractor(patch_size=8, step=4).fit(None)
    grids = ext.transform([np.ones((5, 3)), np.ones((10, 10, 3))])
    assert grids[0].shape == (1, 1, 64)
    assert grids[1].shape == (1, 1, 64)


def test_bad_images_raise():
    ext = DensePatchExtractor().fit(None)
    with pytest.raises(ValueError, match="NaN"):
        ext.transform([np.full((20, 20), np.nan)])[0]
    with pytest.raises(ValueError, match="2-D grayscale"):
        ext.transform([np.ones((2, 20, 20, 2))])[0]
    with pytest.raises(ValueError, match="sequence of images"):
        ext.transform(np.ones((20, 20)))
    with pytest.raises(ValueError, match="patch_size"):
        DensePatchExtractor(patch_size=0).fit(None)


def test_pyramid_pool_exact():
    grid = np.arange(4 * 4 * 2, dtype=np.float64).reshape(4, 4, 2)
    v = pyramid_pool(grid, levels=(1, 2), pooling="max").reshape(5, 2)
    assert_allclose(v[0], grid.reshape(-1, 2).max(axis=0))
    assert_allclose(v[1], grid[:2, :2].reshape(-1, 2).max(axis=0))
    assert_allclose(v[4], grid[2:, 2:].reshape(-1, 2).max(axis=0))
    m = pyramid_pool(grid, levels=(1, 2), pooling="mean").reshape(5, 2)
    assert_allclose(m[2], grid[:2, 2:].reshape(-1, 2).mean(axis=0))
    a = pyramid_pool(-grid, levels=(1,), pooling="abs_max")
    assert_allclose(a, grid.reshape(-1, 2).max(axis=0))
    # 4x4 pyramid on a grid smaller than 4: empty cells pool to zeros
    small = pyramid_pool(np.ones((2, 3, 1)), levels=(4,))
    assert small.shape == (16,) and 0 < small.sum() < 16


def test_spatial_pyramid_transformer_l2_and_threads():
    rng = np.random.RandomState(0)
    grids = [rng.rand(rng.randint(3, 9), rng.randint(3, 9), 4) for _ in range(6)]
    spp = SpatialPyramidPooling(levels=(1, 2, 4)).fit(grids)
    F = spp.transform(grids)
    assert F.shape == (6, 4 * 21)
    assert_allclose(np.linalg.norm(F, axis=1), 1.0)
    F2 = clone(spp).set_params(n_jobs=2).fit(grids).transform(grids)
    assert_allclose(F, F2)
    raw = SpatialPyramidPooling(normalize=None).fit(grids).transform(grids)
    assert_allclose(raw[:, :4], np.stack([g.reshape(-1, 4).max(0) for g in grids]))
    with pytest.raises(ValueError, match="levels"):
        SpatialPyramidPooling(levels=(0,)).fit(grids)


def test_patch_encoder_fits_on_samples_and_maps_grids():
    rng = np.random.RandomState(0)
    images = [rng.rand(rng.randint(20, 30), rng.randint(20, 30)) for _ in range(5)]
    grids = DensePatchExtractor(patch_size=6, step=3).fit_transform(images)
    enc = PatchEncoder(PCA(n_components=3), n_fit_patches=60, random_state=0)
    enc.fit(grids)
    assert enc.estimator_.n_samples_ == 60
    codes = enc.transform(grids)
    g0 = grids[0]
    assert_allclose(codes[0], enc.estimator_.transform(
        g0.reshape(-1, 36)).reshape(g0.shape[:2] + (3,)), rtol=1e-5)
    # subsets (as scikit-learn's indexing makes them) stay lazy and aligned
    assert_allclose(codes[[2, 4]][1], codes[4])


def test_full_pipeline_separates_two_textures():
    rng = np.random.RandomState(0)

    def image(kind):
        h, w = rng.randint(36, 48, size=2)
        yy, xx = np.mgrid[:h, :w]
        f = np.sin(xx / 1.5) if kind == 0 else np.sin(yy / 1.5)
        return f + 0.3 * rng.standard_normal((h, w))

    y = np.array([0, 1] * 12)
    images = [image(k) for k in y]
    pipe = make_pipeline(
        DensePatchExtractor(patch_size=8, step=4),
        PatchEncoder(SparseCoder(n_components=16, alpha=1.0, split_sign=True,
                                 max_iter=2, random_state=0),
                     n_fit_patches=500, random_state=0),
        SpatialPyramidPooling(levels=(1, 2)), LinearSVC())
    pipe.fit(images[:16], y[:16])
    assert pipe.score(images[16:], y[16:]) == 1.0
