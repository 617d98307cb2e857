"""Command line: the bundled demo, a fit of your own CSV file, predictions.

``python -m sklearn_sigmoidnet`` fits SigmoidMLPRegressor and MLPRegressor side
by side on scikit-learn's bundled diabetes data and on a Friedman #1 problem and
prints test R^2 and fit time of each (numpy, scipy and scikit-learn only).

``python -m sklearn_sigmoidnet --csv FILE --target COLUMN`` fits your own CSV
file (read with pandas: the ``cli`` extra) in a pipeline that imputes missing
values, one-hot encodes text columns and standardises, and reports R^2 of a
shuffled k-fold cross-validation; ``--compare`` adds MLPRegressor with the same
settings, ``--save`` stores the pipeline fitted on all rows (``.skops`` or
``.joblib``), ``--plot`` draws its training curve (matplotlib).

``python -m sklearn_sigmoidnet --load MODEL --predict NEW.csv --output OUT.csv``
writes one prediction per row of NEW.csv, its columns matched by name.
``--help`` lists every option; docs/user_guide/cli.md is the guide.
"""

import argparse
import codecs
import math
import os
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.base import clone
from sklearn.datasets import load_diabetes, make_friedman1
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from ._cli_data import (
    CommandLineError,
    prediction_data,
    read_table,
    require,
    training_data,
)
from ._cli_model import (
    MODEL_SUFFIXES,
    WarningTally,
    build_pipeline,
    check_model_path,
    cross_validate,
    fit,
    load_model,
    mlp_alpha,
    mlp_like,
    model_columns,
    predictions,
    progress_printer,
    save_model,
    supports_return_std,
)
from ._estimator import SigmoidMLPRegressor
from ._plotting import MISSING, plot_training, pyplot

DEFAULTS = SigmoidMLPRegressor().get_params()
DEMO_HIDDEN = 20  # the demo's network: small, as in the README
DEFAULT_CV = 5
DEFAULT_SEED = 0

# option -> SigmoidMLPRegressor parameter; None (not given): the class default
MODEL_OPTIONS = {
    "n_hidden": "--n-hidden",
    "solver": "--solver",
    "alpha": "--alpha",
    "max_iter": "--max-iter",
    "early_stopping": "--early-stopping",
}
FIT_ONLY = {
    "cv": "--cv",
    "compare": "--compare",
    "save": "--save",
    "plot": "--plot",
    "drop": "--drop",
}
READING = {
    "delimiter": "--delimiter",
    "encoding": "--encoding",
    "na_values": "--na-values",
}


# ----------------------------------------------------------------- the demo
def _datasets():
    yield "diabetes (442 x 10)", *load_diabetes(return_X_y=True)
    X, y = make_friedman1(n_samples=5000, noise=1.0, random_state=0)
    yield "Friedman #1 (5000 x 10, noise 1)", X, y


def run_demo(args):
    params = _model_params(args)
    params.setdefault("n_hidden", DEMO_HIDDEN)
    template = SigmoidMLPRegressor(**params)
    print(
        f"SigmoidMLPRegressor({_settings(template)}) against MLPRegressor("
        f"hidden_layer_sizes=({template.n_hidden},), activation='logistic', "
        "solver='lbfgs', the same max_iter and random_state, "
        + (
            f"alpha={args.mlp_alpha:g} from --mlp-alpha"
            if args.mlp_alpha is not None
            else "alpha converted to y's units for each data set"
            if not isinstance(template.alpha, str)
            else "its default alpha"
        )
        + "), each after a StandardScaler; test R2 on a 25% split."
    )
    print(
        f"{'data':34} {'model':20} {'alpha':>9} {'test R2':>8} {'fit time':>9} "
        f"{'iters':>6}"
    )
    tally = WarningTally()
    for data_name, X, y in _datasets():
        X_train, X_test, y_train, y_test = train_test_split(
            X, y, test_size=0.25, random_state=0
        )
        models = {
            "SigmoidMLPRegressor": clone(template),
            "MLPRegressor": mlp_like(
                template,
                mlp_alpha(template, y_train)
                if args.mlp_alpha is None
                else args.mlp_alpha,
            ),
        }
        for model_name, model in models.items():
            pipeline = make_pipeline(StandardScaler(), model)
            start = time.perf_counter()
            fit(pipeline, X_train, y_train, name=model_name, tally=tally)
            elapsed = time.perf_counter() - start
            score = pipeline.score(X_test, y_test)
            print(
                f"{data_name:34} {model_name:20} {_shown(model.alpha):>9} {score:8.4f} "
                f"{elapsed:8.3f}s {model.n_iter_:6d}"
            )
    for line in tally.lines():
        print(line)


# ------------------------------------------------------------ a CSV's fit
def _model_params(args):
    params = {
        name: getattr(args, name)
        for name in MODEL_OPTIONS
        if getattr(args, name) is not None
    }
    params["random_state"] = _seed(args)
    return params


def _seed(args):
    return DEFAULT_SEED if args.random_state is None else args.random_state


def _settings(model):
    names = ["n_hidden", "solver", "alpha", "max_iter", "early_stopping"]
    names.append("random_state")
    return ", ".join(f"{name}={getattr(model, name)!r}" for name in names)


def _check_outputs(args):
    """What the end of the run needs, checked before any fit."""
    for option, path in (("--save", args.save), ("--plot", args.plot)):
        if path is not None and not Path(path).resolve().parent.is_dir():
            raise CommandLineError(f"{option} {path}: no such directory")
    if args.output is not None and not Path(args.output).resolve().parent.is_dir():
        raise CommandLineError(f"--output {args.output}: no such directory")
    if args.save and check_model_path(args.save, "--save") == ".skops":
        require("skops.io", "--save to a .skops file")
    if args.plot:
        plt = pyplot()
        if plt is None:
            raise CommandLineError(f"--plot needs matplotlib. {MISSING}")
        suffix = Path(args.plot).suffix.lower().lstrip(".")
        from matplotlib.backend_bases import FigureCanvasBase

        formats = FigureCanvasBase.get_supported_filetypes()
        if suffix and suffix not in formats:
            raise CommandLineError(
                f"--plot {args.plot}: matplotlib cannot write .{suffix} files "
                f"(it writes {', '.join('.' + name for name in sorted(formats))})"
            )


def _describe_data(data, args, delimiter):
    path = args.csv
    shown = "tab" if delimiter == "\t" else repr(delimiter)
    how = "given" if args.delimiter is not None else "sniffed"
    print(
        f"{path}: {data.file_rows} rows, {data.file_columns} columns (delimiter "
        f"{shown}, {how}); target {data.target!r}"
    )
    if data.dropped_rows:
        print(
            f"dropped {data.dropped_rows} rows whose target {data.target!r} is "
            f"missing: {len(data.y)} rows used"
        )
    else:
        print(f"all {len(data.y)} rows have a target")
    print(
        f"features ({len(data.X.columns)}): {len(data.numeric)} numeric, "
        f"{len(data.categorical)} one-hot encoded"
    )
    if data.categorical:
        encoded = ", ".join(
            f"{name!r} ({data.categories[name]} categories)"
            for name in data.categorical
        )
        print(f"  one-hot encoded (OneHotEncoder(handle_unknown='ignore')): {encoded}")
    if data.booleans:
        print(f"  True/False read as 1/0: {_names(data.booleans)}")
    imputed = {name: n for name, n in data.missing.items() if name in data.numeric}
    if imputed:
        cells = ", ".join(f"{name!r} ({n} rows)" for name, n in imputed.items())
        print(f"  missing values imputed with the median (SimpleImputer): {cells}")
    as_category = {
        name: n for name, n in data.missing.items() if name in data.categorical
    }
    if as_category:
        cells = ", ".join(f"{name!r} ({n} rows)" for name, n in as_category.items())
        print(f"  missing values in encoded columns, a category of their own: {cells}")
    if not data.missing:
        print("  no missing values among the features")
    if data.empty:
        print(f"  ignored, empty: {_names(data.empty)}")
    if args.drop:
        print(f"  ignored, --drop: {_names(args.drop)}")


def _shown(value):
    """A parameter value for the output: numbers short, words as they are."""
    return value if isinstance(value, str) else f"{value:.3g}"


def _names(names):
    return ", ".join(repr(name) for name in names)


def _describe_model(model, args):
    given = _given(args, MODEL_OPTIONS)
    source = f"set by {', '.join(given)}; " if given else ""
    seed = "--random-state" if args.random_state is not None else "the CLI's default"
    print(
        "model: imputation and one-hot encoding by column name (ColumnTransformer)"
        f" -> StandardScaler -> SigmoidMLPRegressor({_settings(model)})"
    )
    print(
        f"  ({source}random_state={model.random_state} from {seed}; the rest "
        "SigmoidMLPRegressor's defaults)"
    )


def _describe_comparison(model, alpha, y, given):
    """``given``: alpha from --mlp-alpha; else converted, or MLPRegressor's
    default for SigmoidMLPRegressor's alpha="auto"."""
    low, high = model.target_range
    print(
        f"MLPRegressor for comparison: hidden_layer_sizes=({model.n_hidden},), "
        f"activation='logistic', solver='lbfgs', max_iter={model.max_iter}, "
        f"max_fun={model.max_fun}, random_state={model.random_state}; the same "
        "preprocessing and folds"
    )
    if isinstance(model.alpha, str) and not given:
        print(
            f"  alpha: SigmoidMLPRegressor's alpha={model.alpha!r} is estimated in "
            f"each fit, MLPRegressor keeps its default alpha={alpha:g} "
            "(--mlp-alpha sets it)"
        )
    elif given:
        print(
            f"  alpha set by --mlp-alpha: MLPRegressor's alpha={alpha:g} (in y's "
            f"units), SigmoidMLPRegressor's alpha={_shown(model.alpha)} (on the "
            "network's scale)"
        )
    else:
        span = float(y.max() - y.min())
        ratio = span / (4 * (high - low))
        print(
            f"  alpha converted: SigmoidMLPRegressor's alpha={model.alpha:g} on the "
            f"network's scale is MLPRegressor's alpha={alpha:.6g} in y's units "
            f"(alpha * ((y_max - y_min) / (high - low))^2, y_max - y_min = "
            f"{span:.6g} here, target_range=({low:g}, {high:g})). That matches "
            "the penalty on the hidden layer's weights; MLPRegressor's linear "
            "output weights are about (y_max - y_min) / (4 (high - low)) = "
            f"{ratio:.3g} times ours, so it penalises them about {ratio**2:.3g} "
            "times as much (--mlp-alpha sets its alpha)"
        )
    print("  tol: each class's default (they measure different things)")
    if model.solver != "lbfgs":
        print(f"  MLPRegressor has no {model.solver!r} solver: it runs 'lbfgs'")
    if model.early_stopping:
        print("  MLPRegressor ignores early_stopping with lbfgs: it fits all rows")


def run_csv(args):
    _check_outputs(args)
    if args.return_std and not supports_return_std(SigmoidMLPRegressor()):
        raise CommandLineError(_NO_STD)
    cv = DEFAULT_CV if args.cv is None else args.cv
    table, delimiter = read_table(
        args.csv,
        delimiter=args.delimiter,
        encoding=args.encoding or "utf-8",
        na_values=args.na_values,
    )
    data = training_data(
        table, args.target, path=args.csv, drop=args.drop or (), min_rows=2 * cv
    )
    del table
    _describe_data(data, args, delimiter)
    model = SigmoidMLPRegressor(**_model_params(args))
    pipeline = build_pipeline(data, model)
    _describe_model(model, args)

    pipelines = {"SigmoidMLPRegressor": pipeline}
    if args.compare:
        alpha = args.mlp_alpha
        if alpha is None:
            alpha = mlp_alpha(model, data.y)
        mlp = mlp_like(model, alpha)
        alpha = mlp.alpha
        pipelines["MLPRegressor"] = clone(pipeline).set_params(model=mlp)
        _describe_comparison(model, alpha, data.y, args.mlp_alpha is not None)
    seed = model.random_state
    print(
        f"{cv}-fold cross-validation on shuffled rows "
        f"(KFold(n_splits={cv}, shuffle=True, random_state={seed}))"
    )
    tally, progress = WarningTally(), progress_printer()
    results = {
        name: cross_validate(
            candidate,
            data.X,
            data.y,
            cv=cv,
            random_state=seed,
            name=name,
            tally=tally,
            progress=progress,
        )
        for name, candidate in pipelines.items()
    }
    print(f"{'model':20} {'mean R2':>8} {'std':>7} {'fit time':>9}")
    for name, (scores, times) in results.items():
        mean, std, fit_time = scores.mean(), scores.std(), times.mean()
        print(f"{name:20} {mean:8.4f} {std:7.4f} {fit_time:8.3f}s")
    for name, (scores, _) in results.items():
        print(f"R2 of each fold, {name}: " + " ".join(f"{s:.10f}" for s in scores))

    if args.save or args.plot or args.predict:
        progress(f"SigmoidMLPRegressor: fitting all {len(data.y)} rows ...", end="")
        start = time.perf_counter()
        final = clone(pipeline)
        fit(final, data.X, data.y, name="SigmoidMLPRegressor", tally=tally)
        progress(f" {time.perf_counter() - start:.1f} s")
        final.target_name_ = data.target
        fitted = final[-1]
        estimated = ""
        if isinstance(fitted.alpha, str) and hasattr(fitted, "alpha_"):
            shown = ", ".join(f"{value:.4g}" for value in np.atleast_1d(fitted.alpha_))
            estimated = f", alpha_=({shown}) (input weights, hidden biases, outputs)"
        print(
            f"fitted on all {len(data.y)} rows: {fitted.n_iter_} iterations"
            f"{estimated}, {time.perf_counter() - start:.3f}s"
        )
        if args.save:
            save_model(final, args.save)
            print(f"saved the pipeline to {args.save} (target {data.target!r})")
        if args.plot:
            settings = _settings(fitted).replace(", max_iter", "\nmax_iter")
            title = (
                f"{Path(args.csv).name}: SigmoidMLPRegressor fitted on all "
                f"{len(data.y)} rows, {fitted.n_iter_} iterations\n{settings}"
            )
            figure = plot_training(fitted, args.plot, title=title, target=data.target)
            pyplot().close(figure)
            print(f"training curve: {args.plot}")
        if args.predict:
            _write_predictions(final, args, report=sys.stdout)
    for line in tally.lines():
        print(line)


# -------------------------------------------------------------- predictions
_NO_STD = (
    "--return-std: this version of SigmoidMLPRegressor.predict has no "
    "return_std parameter"
)


def _write_predictions(model, args, report):
    pd = require("pandas", "reading CSV files")
    names, categorical = model_columns(model)
    table, _ = read_table(
        args.predict,
        delimiter=args.delimiter,
        encoding=args.encoding or "utf-8",
        na_values=args.na_values,
        text=categorical,
    )
    X = prediction_data(table, names, categorical, path=args.predict)
    if len(X) == 0:
        raise CommandLineError(f"{args.predict} has no data rows")
    try:
        columns = predictions(model, X, args.return_std)
    except ValueError as error:
        message = " ".join(str(error).split())
        raise CommandLineError(f"cannot predict {args.predict}: {message}") from None
    frame = pd.DataFrame(columns)
    target = args.output if args.output else "standard output"
    try:
        frame.to_csv(args.output if args.output else sys.stdout, index=False)
    except BrokenPipeError:
        raise
    except OSError as error:
        raise CommandLineError(
            f"cannot write {args.output}: {error.strerror or error}"
        ) from None
    notes = [
        f"{int(X.isna().sum().sum())} missing values: imputed, or a category "
        "of their own"
    ]
    for name, known in categorical.items():
        unseen = X[name].dropna()
        unseen = sorted(set(unseen[~unseen.isin(known)]))
        if unseen:
            notes.append(
                f"categories of {name!r} not seen in training, encoded as none of "
                f"the known ones: {_names(unseen[:5])}"
                + (f" and {len(unseen) - 5} more" if len(unseen) > 5 else "")
            )
    ignored = [name for name in table.columns if name not in names]
    if ignored:
        notes.append(f"columns not used by the model: {_names(ignored)}")
    print(
        f"predicted {len(frame)} rows of {args.predict}: "
        f"{', '.join(frame.columns)} written to {target}",
        file=report,
    )
    for note in notes:
        print(f"  {note}", file=report)


def run_predict(args):
    if args.output is not None and not Path(args.output).resolve().parent.is_dir():
        raise CommandLineError(f"--output {args.output}: no such directory")
    model = load_model(args.load)
    if args.return_std and not supports_return_std(model):
        raise CommandLineError(_NO_STD)
    _write_predictions(model, args, report=sys.stdout if args.output else sys.stderr)


# ------------------------------------------------------------ the options
class _Parser(argparse.ArgumentParser):
    """argparse that reports a bad option as one ``error:`` line (exit 2)."""

    def error(self, message):
        self.exit(2, f"error: {message} (--help lists the options)\n")


def _whole_number(minimum, maximum=None):
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected a whole number, got {text!r}"
            ) from None
        if value < minimum or (maximum is not None and value > maximum):
            bound = f"at least {minimum}"
            if maximum is not None:
                bound = f"from {minimum} to {maximum}"
            raise argparse.ArgumentTypeError(f"must be {bound}, got {value}")
        return value

    return parse


def _penalty(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not (math.isfinite(value) and value >= 0):
        raise argparse.ArgumentTypeError(f"must be a number >= 0, got {text!r}")
    return value


def _accepted_alpha(value):
    try:
        SigmoidMLPRegressor(alpha=value)._validate_params()
    except (ValueError, TypeError):
        return False
    return True


def _model_alpha(text):
    """A number >= 0, or a word SigmoidMLPRegressor accepts ('auto')."""
    try:
        float(text)
    except ValueError:
        if _accepted_alpha(text):
            return text
    return _penalty(text)


def _delimiter(text):
    if text.lower() == "tab":
        return "\t"
    if len(text) != 1:
        hint = " (for a tab write --delimiter tab)" if text == "\\t" else ""
        raise argparse.ArgumentTypeError(
            f"must be one character, got {text!r} ({len(text)} characters){hint}"
        )
    if text in '"\r\n':
        raise argparse.ArgumentTypeError(f"{text!r} cannot be a delimiter")
    return text


def _codec(text):
    try:
        codecs.lookup(text)
    except LookupError:
        raise argparse.ArgumentTypeError(f"unknown encoding {text!r}") from None
    return text


def _model_file(text):
    if Path(text).suffix.lower() not in MODEL_SUFFIXES:
        raise argparse.ArgumentTypeError(
            f"name a .skops file (or .joblib for joblib), got {text!r}"
        )
    return text


def build_parser():
    parser = _Parser(
        prog="python -m sklearn_sigmoidnet",
        description=(
            "Without options: the demo, SigmoidMLPRegressor against MLPRegressor "
            "on the diabetes and Friedman #1 data. With --csv FILE --target "
            "COLUMN: your own data in a pipeline (median imputation, one-hot "
            "encoding of text columns, StandardScaler, SigmoidMLPRegressor), R2 "
            "of a shuffled k-fold cross-validation. With --load MODEL --predict "
            "NEW.csv: predictions. Reading CSV files and .skops models needs "
            "pip install 'sklearn-sigmoidnet[cli]'."
        ),
    )
    data = parser.add_argument_group("your data")
    data.add_argument("--csv", metavar="FILE", help="a CSV file with a header row")
    data.add_argument("--target", metavar="COLUMN", help="the column to predict")
    data.add_argument(
        "--delimiter",
        type=_delimiter,
        help="the field delimiter, one character or 'tab' (default: sniffed "
        "among , ; tab |)",
    )
    data.add_argument("--encoding", type=_codec, help="the files' encoding (utf-8)")
    data.add_argument(
        "--na-values",
        nargs="+",
        metavar="TOKEN",
        help="more cell values that mean missing (pandas already reads empty "
        "cells, NA, N/A, NaN, null as missing)",
    )
    data.add_argument(
        "--drop", nargs="+", metavar="COLUMN", help="columns not to use as features"
    )

    evaluation = parser.add_argument_group("cross-validation")
    evaluation.add_argument(
        "--cv",
        type=_whole_number(2),
        help=f"folds of the shuffled k-fold cross-validation ({DEFAULT_CV})",
    )
    evaluation.add_argument(
        "--compare",
        action="store_true",
        help="also cross-validate MLPRegressor with the same hidden units, "
        "max_iter and seed, activation='logistic', solver='lbfgs', and alpha "
        "converted to its scale",
    )
    evaluation.add_argument(
        "--mlp-alpha",
        type=_penalty,
        metavar="ALPHA",
        help="MLPRegressor's alpha in --compare and the demo (default: "
        "SigmoidMLPRegressor's alpha converted to y's units)",
    )
    evaluation.add_argument(
        "--random-state",
        type=_whole_number(0, 2**32 - 1),
        metavar="SEED",
        help=f"seed of the folds' shuffle and of the initial weights ({DEFAULT_SEED})",
    )

    model = parser.add_argument_group(
        "the model (default: SigmoidMLPRegressor's own defaults; the demo: "
        f"{DEMO_HIDDEN} hidden units)"
    )
    model.add_argument(
        "--n-hidden",
        type=_whole_number(1),
        metavar="N",
        help=f"hidden units ({DEFAULTS['n_hidden']})",
    )
    model.add_argument(
        "--solver",
        choices=["auto", "lbfgs", "gd", "lm"],
        help=f"the solver ({DEFAULTS['solver']})",
    )
    model.add_argument(
        "--alpha",
        type=_model_alpha,
        help="L2 penalty on the network's scale"
        + (", or 'auto'" if _accepted_alpha("auto") else "")
        + f" ({_shown(DEFAULTS['alpha'])})",
    )
    model.add_argument(
        "--max-iter",
        type=_whole_number(1),
        metavar="N",
        help=f"iteration budget ({DEFAULTS['max_iter']})",
    )
    model.add_argument(
        "--early-stopping",
        action="store_true",
        default=None,
        help="hold out validation_fraction of the training rows and keep the "
        "weights of the best validation score",
    )

    output = parser.add_argument_group("the fitted model")
    output.add_argument(
        "--save",
        type=_model_file,
        metavar="MODEL.skops",
        help="store the pipeline fitted on all rows (.skops, or .joblib)",
    )
    output.add_argument(
        "--plot",
        metavar="LOSS.png",
        help="draw the training curve of the fit on all rows (needs matplotlib)",
    )

    predict = parser.add_argument_group("predictions")
    predict.add_argument(
        "--load",
        type=_model_file,
        metavar="MODEL.skops",
        help="a model saved by --save (.skops: only its known types are trusted; "
        ".joblib runs pickle: load only files you trust)",
    )
    predict.add_argument(
        "--predict",
        metavar="NEW.csv",
        help="a CSV file of the model's columns, matched by name; one prediction "
        "per row",
    )
    predict.add_argument(
        "--output",
        metavar="PREDICTIONS.csv",
        help="where the predictions go (default with --load: standard output)",
    )
    predict.add_argument(
        "--return-std",
        action="store_true",
        help="add a column of predictive standard deviations (when the "
        "estimator's predict has return_std)",
    )
    return parser


def _given(args, options):
    """The options given: not None, and not False for a flag."""
    return [
        option
        for name, option in options.items()
        if getattr(args, name) is not None and getattr(args, name) is not False
    ]


def _check_combinations(parser, args):
    if (args.csv is None) != (args.target is None):
        parser.error("--csv and --target go together")
    if args.load is not None:
        if args.csv is not None:
            parser.error(
                "--load predicts with a saved model: it does not go with --csv "
                "(which fits a new one)"
            )
        given = _given(args, {**MODEL_OPTIONS, **FIT_ONLY})
        if args.random_state is not None:
            given.append("--random-state")
        if given:
            parser.error(f"{', '.join(given)} set up a fit: not with --load")
        if args.predict is None:
            parser.error("--load needs --predict NEW.csv")
    elif args.csv is None:
        fit_options = {**FIT_ONLY, **READING, "early_stopping": "--early-stopping"}
        given = _given(args, fit_options)
        if args.predict is not None:
            given.append("--predict")
        if given:
            verb = "needs" if len(given) == 1 else "need"
            parser.error(
                f"{', '.join(given)} {verb} --csv FILE --target COLUMN (or "
                "--load MODEL for --predict)"
            )
    elif args.predict is not None and args.output is None:
        parser.error("--predict after a fit needs --output PREDICTIONS.csv")
    if args.mlp_alpha is not None and (args.load or (args.csv and not args.compare)):
        parser.error("--mlp-alpha goes with --compare (or the demo)")
    if args.predict is None:
        given = _given(args, {"output": "--output", "return_std": "--return-std"})
        if given:
            verb = "goes" if len(given) == 1 else "go"
            parser.error(f"{', '.join(given)} {verb} with --predict")


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    _check_combinations(parser, args)
    try:
        if args.load is not None:
            run_predict(args)
        elif args.csv is not None:
            run_csv(args)
        else:
            run_demo(args)
    except CommandLineError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # | head: the reader has seen enough
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
