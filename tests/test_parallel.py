"""Dask: streamed (out-of-core) fits, distributed transform, a grid search
on a real LocalCluster."""
import numpy as np
import pytest
from sklearn.datasets import load_digits

from skdeepgen import DBN, BernoulliRBM, DBNClassifier
from skdeepgen._training.stream import ChunkStream

da = pytest.importorskip("dask.array", reason="the dask extra is not installed")


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return (X / 16).astype(np.float32), y


def test_stream_buffers_shuffle_across_chunks_and_cover_every_row():
    X = da.from_array(np.arange(100, dtype=np.float64)[:, None], chunks=(10, 1))
    stream = ChunkStream(X, np.arange(100), buffer_rows=30)
    rng = np.random.RandomState(0)
    buffers = list(stream.buffers(rng))
    assert [len(b[0]) for b in buffers] == [30, 30, 30, 10]
    rows = np.concatenate([b[0][:, 0] for b in buffers])
    np.testing.assert_array_equal(np.sort(rows), np.arange(100))
    np.testing.assert_array_equal(np.concatenate([b[1] for b in buffers]), rows)
    first_chunks = set((buffers[0][0][:, 0] // 10).astype(int))
    assert len(first_chunks) == 3 and first_chunks != {0, 1, 2}  # shuffled chunks
    again = [b[0][:, 0] for b in stream.buffers(np.random.RandomState(1))]
    assert not np.array_equal(np.concatenate(again), rows)  # a new order each epoch


def test_rbm_fit_from_dask_array_matches_in_memory_quality(digits):
    X, _ = digits
    Xd = da.from_array(X, chunks=(256, 64))
    params = dict(n_components=32, n_iter=5, batch_size=10, random_state=0)
    streamed = BernoulliRBM(**params).fit(Xd)
    again = BernoulliRBM(**params).fit(Xd)
    in_memory = BernoulliRBM(**params).fit(X)
    np.testing.assert_array_equal(streamed.components_, again.components_)
    assert streamed.n_iter_ == 5 and streamed.n_features_in_ == 64
    assert streamed.components_.dtype == np.float32
    err = [np.mean((m.inverse_transform(m.transform(X)) - X) ** 2)
           for m in (streamed, in_memory)]
    assert err[0] < 1.1 * err[1]


def test_stacks_and_classifiers_fit_from_dask_arrays(digits):
    X, y = digits
    Xd = da.from_array(X, chunks=(300, 64))
    dbn = DBN((32, 16), random_state=0).fit(Xd)
    assert dbn.transform(X).shape == (len(X), 16) and dbn.n_features_in_ == 64
    # the first chunk holds few classes: classes_ come from all of y
    order = np.argsort(y, kind="stable")
    clf = DBNClassifier((32, 16), max_iter=5, batch_size=10, random_state=0)
    clf.fit(da.from_array(X[order], chunks=(300, 64)), y[order])
    np.testing.assert_array_equal(clf.classes_, np.arange(10))
    assert clf.score(X, y) > 0.85


def test_streamed_fit_errors_and_leaves_the_model_as_it_was(digits):
    X, _ = digits
    rbm = BernoulliRBM(8, n_iter=1, random_state=0).fit(X)
    before = rbm.components_.copy()
    bad = X.copy()
    bad[-1, 0] = np.nan  # in the last chunk only
    with pytest.raises(ValueError, match="NaN"):
        rbm.fit(da.from_array(bad, chunks=(300, 64)))
    np.testing.assert_array_equal(rbm.components_, before)
    with pytest.raises(ValueError, match="early_stopping"):
        BernoulliRBM(8, early_stopping=True).fit(da.from_array(X, chunks=(300, 64)))


def test_transform_of_dask_array_and_bag(digits):
    from skdeepgen.parallel import transform

    db = pytest.importorskip("dask.bag")
    X, _ = digits
    rbm = BernoulliRBM(8, n_iter=1, random_state=0).fit(X)
    H = transform(rbm, da.from_array(X, chunks=(500, 32)))
    assert H.chunks[0] == (500, 500, 500, 297) and H.dtype == np.float32
    np.testing.assert_allclose(H.compute(), rbm.transform(X), rtol=1e-6)
    keys = [k for k in dict(H.__dask_graph__()) if "BernoulliRBM" in str(k)]
    assert len(keys) == 1  # the model is one task, not one copy per chunk
    bag = db.from_sequence(list(X[:10]), npartitions=3)
    np.testing.assert_allclose(np.vstack(transform(rbm, bag).compute(scheduler="threads")),
                               rbm.transform(X[:10]), rtol=1e-6)
    with pytest.raises(TypeError, match="Dask array or bag"):
        transform(rbm, X)


@pytest.mark.slow
def test_grid_search_and_transform_on_a_local_cluster(digits):
    distributed = pytest.importorskip("distributed")
    from joblib import parallel_backend
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import make_pipeline
    from threadpoolctl import threadpool_limits

    from skdeepgen.parallel import transform, worker_threads

    X, y = digits
    X, y = X[:600], y[:600]
    search = GridSearchCV(
        make_pipeline(BernoulliRBM(n_iter=3, batch_size=20, random_state=0),
                      LogisticRegression(max_iter=200)),
        {"bernoullirbm__n_components": [16, 32]}, cv=2, n_jobs=-1)
    with threadpool_limits(1):  # the workers' BLAS thread count
        local = GridSearchCV(**search.get_params(deep=False)).set_params(n_jobs=1)
        local.fit(X, y)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1,
                                  processes=True, dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        assert all(t["blas"] in (1, None) for t in worker_threads(client).values())
        with parallel_backend("dask"):
            search.fit(X, y)
        np.testing.assert_array_equal(search.cv_results_["mean_test_score"],
                                      local.cv_results_["mean_test_score"])
        H = transform(search.best_estimator_[0], da.from_array(X, chunks=(150, 64)))
        with threadpool_limits(1):
            expected = search.best_estimator_[0].transform(X)
        np.testing.assert_allclose(H.compute(), expected, rtol=1e-6)
        # kernels compile (or load from the disk cache) once per worker process
        compile_s = [client.run(_fit_tiny_rbm_compile_seconds) for _ in range(2)]
        assert all(s == 0.0 for s in compile_s[1].values())


def _fit_tiny_rbm_compile_seconds():
    from skdeepgen._training.progress import compile_timer

    with compile_timer() as compiling:
        BernoulliRBM(4, n_iter=1, random_state=0).fit(np.random.RandomState(0).rand(20, 6))
    return compiling.seconds
