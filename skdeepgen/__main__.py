"""Command line: ``python -m skdeepgen`` / ``skdeepgen``.

Runs a seeds' experiment end to end (learned features -> linear classifier
against raw pixels) and prints a results table.  Without arguments: sparse
codes of a learned dictionary on scikit-learn's bundled digits, in seconds.
"""
import argparse
import os
import sys


def build_parser():
    from .experiments import DATASETS, MODELS

    p = argparse.ArgumentParser(
        prog="skdeepgen",
        description="Deep generative feature learners as scikit-learn estimators: "
                    "run a features -> classifier experiment end to end.")
    p.add_argument("--model", default="sparse", choices=sorted(MODELS),
                   help="feature learner (default: sparse)")
    p.add_argument("--dataset", default="digits", choices=sorted(DATASETS),
                   help="dataset (default: digits, bundled with scikit-learn)")
    p.add_argument("--data-home", default=None,
                   help="folder with the dataset files (e.g. the MNIST IDX files)")
    p.add_argument("--random-state", type=int, default=0)
    p.add_argument("--quiet", action="store_true", help="no training progress")
    p.add_argument("--figure", default="skdeepgen-filters.png",
                   help="where to save the learned filters (needs matplotlib; "
                        "default: %(default)s, '' for none)")
    p.add_argument("--list", action="store_true", help="list models and datasets")
    return p


def main(argv=None):
    from .experiments import DATASETS, MODELS, format_table, run_experiment, save_filters

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
    raw, learned = rows[0]["accuracy"], rows[-1]["accuracy"]
    verdict = "ahead of" if learned > raw else "not ahead of"
    print(f"\nlearned features: {100 * learned:.2f}% accuracy, {verdict} raw pixels "
          f"({100 * raw:.2f}%).")
    if args.figure:
        path = save_filters(rows[-1]["transformer"], args.figure,
                            DATASETS[args.dataset].image_shape)
        if path:
            print(f"learned filters saved to {os.path.abspath(path)}")
        else:
            print("(pip install matplotlib to save a figure of the learned filters)")
    others = ", ".join(sorted(m for m in MODELS if m != args.model))
    print(f"next: --model {{{others}}} for other feature learners; "
          "--dataset mnist --data-home DIR for MNIST (IDX files); --list for all")
    return 0


if __name__ == "__main__":
    sys.exit(main())
