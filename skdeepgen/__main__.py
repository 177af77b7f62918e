"""Command line: ``python -m skdeepgen`` / ``skdeepgen``.

Runs a seeds' experiment end to end (learned features -> linear classifier
against raw pixels) and prints a results table.  Without arguments it uses
scikit-learn's bundled digits and finishes in seconds.
"""
import argparse
import sys


def build_parser():
    from .experiments import DATASETS, MODELS

    p = argparse.ArgumentParser(
        prog="skdeepgen",
        description="Deep generative feature learners as scikit-learn estimators: "
                    "run a features -> classifier experiment end to end.")
    p.add_argument("--model", default="rbm", choices=sorted(MODELS),
                   help="feature learner (default: rbm)")
    p.add_argument("--dataset", default="digits", choices=sorted(DATASETS),
                   help="dataset (default: digits, bundled with scikit-learn)")
    p.add_argument("--data-home", default=None,
                   help="folder with the dataset files (e.g. the MNIST IDX files)")
    p.add_argument("--random-state", type=int, default=0)
    p.add_argument("--quiet", action="store_true", help="no training progress")
    p.add_argument("--list", action="store_true", help="list models and datasets")
    return p


def main(argv=None):
    from .experiments import DATASETS, MODELS, format_table, run_experiment

    args = build_parser().parse_args(argv)
    if args.list:
        print("models:")
        for m in MODELS.values():
            print(f"  {m.name:<10} {m.description}")
        print("datasets:")
        for d in DATASETS.values():
            print(f"  {d.name:<10} {d.description}")
        return 0
    try:
        rows = run_experiment(args.model, args.dataset, args.data_home,
                              random_state=args.random_state,
                              verbose=0 if args.quiet else 1)
    except FileNotFoundError as exc:
        print(f"skdeepgen: {exc}", file=sys.stderr)
        return 2
    print()
    print(format_table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
