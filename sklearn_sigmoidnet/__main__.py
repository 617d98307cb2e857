"""Command line: the bundled demo, or a fit of your own CSV file.

``python -m sklearn_sigmoidnet`` fits SigmoidMLPRegressor and MLPRegressor side
by side on scikit-learn's bundled diabetes data and on a Friedman #1 problem and
prints test R^2 and fit time of each.

``python -m sklearn_sigmoidnet --csv FILE --target COLUMN`` fits your own data
(numeric columns) in a StandardScaler pipeline and reports cross-validated R^2
and fit time next to MLPRegressor; ``--save`` stores the fitted pipeline with
joblib, ``--plot`` draws the loss curves (matplotlib). ``--help`` lists every
option.
"""

import argparse
import csv
import sys
import time
import warnings

import numpy as np
from sklearn.datasets import load_diabetes, make_friedman1
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import cross_validate, train_test_split
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from . import SigmoidMLPRegressor
from ._plotting import MISSING, pyplot


class CommandLineError(Exception):
    """A problem with the user's input, reported without a traceback."""


def _datasets():
    yield "diabetes (442 x 10)", *load_diabetes(return_X_y=True)
    X, y = make_friedman1(n_samples=5000, noise=1.0, random_state=0)
    yield "Friedman #1 (5000 x 10, noise 1)", X, y


def _models(args):
    ours = SigmoidMLPRegressor(
        n_hidden=args.n_hidden,
        solver=args.solver,
        alpha=args.alpha,
        max_iter=args.max_iter,
        random_state=args.random_state,
    )
    mlp = MLPRegressor(
        hidden_layer_sizes=(args.n_hidden,),
        activation="logistic",
        solver="lbfgs",
        max_iter=args.max_iter,
        random_state=args.random_state,
    )
    return {"SigmoidMLPRegressor": ours, "MLPRegressor": mlp}


def read_csv(path, target, delimiter=","):
    """Numeric columns of a CSV file with a header: (X, y, feature names).

    Raises CommandLineError naming the column (and row) of anything that is
    not a number, and the target when it is missing.
    """
    try:
        handle = open(path, newline="")
    except OSError as error:
        raise CommandLineError(f"cannot read {path}: {error.strerror}") from None
    with handle:
        reader = csv.reader(handle, delimiter=delimiter)
        try:
            header = [name.strip() for name in next(reader)]
        except StopIteration:
            raise CommandLineError(f"{path} is empty") from None
        if target not in header:
            raise CommandLineError(
                f"no column {target!r} in {path}; the columns are: "
                + ", ".join(repr(name) for name in header)
            )
        rows = []
        for line_number, row in enumerate(reader, start=2):
            if not row or all(not cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                raise CommandLineError(
                    f"{path}, line {line_number}: {len(row)} values for "
                    f"{len(header)} columns"
                )
            values = []
            for name, cell in zip(header, row, strict=True):
                try:
                    value = float(cell)
                except ValueError:
                    raise CommandLineError(
                        f"column {name!r} is not numeric: line {line_number} "
                        f"holds {cell!r}. Drop or encode that column first."
                    ) from None
                if not np.isfinite(value):
                    raise CommandLineError(
                        f"column {name!r} has a missing or infinite value on line "
                        f"{line_number} ({cell!r})."
                    )
                values.append(value)
            rows.append(values)
    if len(rows) < 2:
        raise CommandLineError(f"{path} has fewer than 2 data rows")
    data = np.array(rows)
    column = header.index(target)
    features = [name for name in header if name != target]
    if not features:
        raise CommandLineError(f"{path} has no feature column besides {target!r}")
    return np.delete(data, column, axis=1), data[:, column], features


def run_demo(args):
    print(f"{'data':34} {'model':20} {'test R2':>8} {'fit time':>9} {'iters':>6}")
    for data_name, X, y in _datasets():
        X_train, X_test, y_train, y_test = train_test_split(
            X, y, test_size=0.25, random_state=0
        )
        for model_name, model in _models(args).items():
            pipeline = make_pipeline(StandardScaler(), model)
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                pipeline.fit(X_train, y_train)
            elapsed = time.perf_counter() - start
            score = pipeline.score(X_test, y_test)
            print(
                f"{data_name:34} {model_name:20} {score:8.4f} {elapsed:8.3f}s "
                f"{model.n_iter_:6d}"
            )


def run_csv(args):
    X, y, features = read_csv(args.csv, args.target, args.delimiter)
    print(
        f"{args.csv}: {X.shape[0]} rows, {len(features)} features, "
        f"target {args.target!r}; {args.cv}-fold cross-validation"
    )
    print(f"{'model':20} {'mean R2':>8} {'std':>7} {'fit time':>9}")
    fitted = {}
    for name, model in _models(args).items():
        pipeline = make_pipeline(StandardScaler(), model)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            scores = cross_validate(pipeline, X, y, cv=args.cv, scoring="r2")
            pipeline.fit(X, y)
        fitted[name] = pipeline
        r2 = scores["test_score"]
        print(
            f"{name:20} {r2.mean():8.4f} {r2.std():7.4f} "
            f"{np.mean(scores['fit_time']):8.3f}s"
        )
    if args.save:
        import joblib

        joblib.dump(fitted["SigmoidMLPRegressor"], args.save)
        print(f"saved the SigmoidMLPRegressor pipeline (all rows) to {args.save}")
    if args.plot:
        plot_loss_curves(fitted, args.plot)
        print(f"loss curves: {args.plot}")


def plot_loss_curves(pipelines, path):
    plt = pyplot()
    if plt is None:
        raise CommandLineError(f"--plot needs matplotlib. {MISSING}")
    figure, axis = plt.subplots(figsize=(6, 4))
    for name, pipeline in pipelines.items():
        curve = getattr(pipeline[-1], "loss_curve_", None)
        if curve:
            axis.semilogy(np.arange(1, len(curve) + 1), curve, label=name)
    axis.set_xlabel("iteration")
    axis.set_ylabel("training loss (each model's own scale)")
    axis.grid(True, which="both", alpha=0.3)
    axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=120)


def build_parser():
    parser = argparse.ArgumentParser(
        prog="python -m sklearn_sigmoidnet",
        description=(
            "Fit SigmoidMLPRegressor next to MLPRegressor (activation='logistic', "
            "solver='lbfgs', its default alpha) in a StandardScaler pipeline. "
            "Without --csv: the bundled demo (diabetes and Friedman #1, test R2 "
            "and fit time). With --csv FILE --target COLUMN: your own data, "
            "cross-validated R2 and fit time."
        ),
    )
    parser.add_argument("--csv", metavar="FILE", help="a CSV file with a header row")
    parser.add_argument("--target", metavar="COLUMN", help="the column to predict")
    parser.add_argument(
        "--delimiter", default=",", help="the CSV's field delimiter (default ',')"
    )
    parser.add_argument("--cv", type=int, default=5, help="cross-validation folds (5)")
    parser.add_argument(
        "--save", metavar="MODEL.joblib", help="store the fitted pipeline (joblib)"
    )
    parser.add_argument(
        "--plot", metavar="LOSS.png", help="draw the loss curves (needs matplotlib)"
    )
    parser.add_argument(
        "--n-hidden", type=int, default=20, help="hidden units of both models (20)"
    )
    parser.add_argument(
        "--solver",
        choices=["lbfgs", "gd", "lm"],
        default="lbfgs",
        help="SigmoidMLPRegressor's solver (lbfgs)",
    )
    parser.add_argument(
        "--alpha",
        type=float,
        default=0.01,
        help="SigmoidMLPRegressor's L2 penalty (0.01; MLPRegressor keeps 1e-4)",
    )
    parser.add_argument(
        "--max-iter", type=int, default=200, help="iterations of both models (200)"
    )
    parser.add_argument(
        "--random-state", type=int, default=0, help="seed of both models (0)"
    )
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if (args.csv is None) != (args.target is None):
        parser.error("--csv and --target go together")
    if args.csv is None and (args.save or args.plot):
        parser.error("--save and --plot need --csv FILE --target COLUMN")
    try:
        if args.csv is None:
            run_demo(args)
        else:
            run_csv(args)
    except CommandLineError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
