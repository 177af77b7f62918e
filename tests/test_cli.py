"""The main job: python -m skdeepgen."""
import subprocess
import sys

from skdeepgen.__main__ import main
from skdeepgen.experiments import MODELS, format_table, run_experiment


def test_default_run_learns_features_ahead_of_raw_pixels(capsys, tmp_path):
    figure = tmp_path / "filters.png"
    assert main(["--quiet", "--figure", str(figure)]) == 0
    out = capsys.readouterr().out
    assert "raw pixels" in out and "learner s" in out and "classifier s" in out
    assert "ahead of raw pixels" in out and "not ahead" not in out
    assert "next: --model" in out
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        assert "pip install matplotlib" in out
    else:
        assert figure.exists() and str(figure) in out


def test_run_experiment_rows():
    rows = run_experiment("rbm", "digits", verbose=0, log=lambda *a: None)
    assert [r["features"] for r in rows][0] == "raw pixels"
    assert all(0.8 < r["accuracy"] <= 1 for r in rows)
    assert "error %" in format_table(rows)
    assert rows[0]["transformer"] is None and rows[1]["learner_s"] > 0


def test_list_and_registry(capsys):
    assert main(["--list"]) == 0
    out = capsys.readouterr().out
    for name in MODELS:
        assert name in out


def test_missing_mnist_is_a_clear_error(tmp_path, capsys, monkeypatch):
    # no network fallback in tests: make fetch_openml fail fast
    import sklearn.datasets
    monkeypatch.setattr(sklearn.datasets, "fetch_openml",
                        lambda *a, **k: (_ for _ in ()).throw(OSError("offline")))
    assert main(["--dataset", "mnist", "--data-home", str(tmp_path), "--quiet"]) == 2
    assert "looked in" in capsys.readouterr().err


def test_module_entry_point():
    r = subprocess.run([sys.executable, "-m", "skdeepgen", "--list"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "rbm" in r.stdout
