"""A fit of the user's CSV file (``--csv FILE --target COLUMN``): a shuffled
k-fold cross-validation of the pipeline, optionally next to MLPRegressor;
then the pipeline fitted on all rows, saved, plotted, or predicting."""

import time
from pathlib import Path

import numpy as np
from sklearn.base import clone

from sklearn_sigmoidnet import SigmoidMLPRegressor

from .data import read_table, require, training_data
from .demo import model_parameters
from .errors import CommandLineError
from .files import check_outputs, replaced_atomically
from .models import (
    WarningTally,
    build_pipeline,
    cross_validate,
    estimates_alpha,
    fit,
    mlp_alpha,
    mlp_like,
    save_model,
    target_units,
)
from .options import DEFAULT_CV, MODEL_PARAMETERS, UTF8, given_flags, model_settings
from .predict import predict_file
from .results import (
    ComparisonSet,
    CrossValidated,
    CrossValidationScores,
    CrossValidationStarted,
    CurvePlotted,
    DataRead,
    FinalFitDone,
    FinalFitStarted,
    ModelChosen,
    ModelSaved,
    WarningsCounted,
)

MATPLOTLIB_MISSING = (
    "matplotlib is not installed: pip install matplotlib "
    "(or pip install 'sklearn-sigmoidnet[plot]')"
)


def check_plot(path):
    """matplotlib is installed and writes the format of ``path``'s suffix."""
    from sklearn_sigmoidnet.plotting import pyplot

    if pyplot() is None:
        raise CommandLineError(f"--plot needs matplotlib. {MATPLOTLIB_MISSING}")
    from matplotlib.backend_bases import FigureCanvasBase

    suffix = Path(path).suffix.lower().lstrip(".")
    formats = FigureCanvasBase.get_supported_filetypes()
    if suffix and suffix not in formats:
        raise CommandLineError(
            f"--plot {path}: matplotlib cannot write .{suffix} files "
            f"(it writes {', '.join('.' + name for name in sorted(formats))})"
        )


def _check_before_fitting(args):
    """What the end of the run needs, checked before any fit."""
    check_outputs(args)
    if args.save and Path(args.save).suffix.lower() == ".skops":
        require("skops.io", "--save to a .skops file")
    if args.plot:
        check_plot(args.plot)


def comparison(model, y, given_alpha):
    """MLPRegressor's pipeline model and the record describing it."""
    alpha = given_alpha if given_alpha is not None else mlp_alpha(model, y)
    mlp = mlp_like(model, alpha)
    if given_alpha is not None:
        return mlp, ComparisonSet(model, mlp.alpha, "given")
    if estimates_alpha(model):
        return mlp, ComparisonSet(model, mlp.alpha, "default")
    units = target_units(model, y)
    record = ComparisonSet(
        model,
        mlp.alpha,
        "converted",
        target_span=float(np.ptp(y)),
        target_units=units,
        weight_ratio=units / 4,
    )
    return mlp, record


def run(args, show):
    """Cross-validate, then fit on all rows for --save, --plot, --predict."""
    _check_before_fitting(args)
    cv = DEFAULT_CV if args.cv is None else args.cv
    table, delimiter = read_table(
        args.csv,
        delimiter=args.delimiter,
        encoding=args.encoding or UTF8,
        na_values=args.na_values,
    )
    data = training_data(
        table, args.target, path=args.csv, drop=args.drop or (), min_rows=2 * cv
    )
    del table
    show(DataRead(args.csv, data, delimiter, args.delimiter is not None, args.drop))
    model = SigmoidMLPRegressor(**model_parameters(args))
    pipeline = build_pipeline(data, model)
    show(
        ModelChosen(
            model, given_flags(args, MODEL_PARAMETERS), args.random_state is not None
        )
    )
    pipelines = {"SigmoidMLPRegressor": pipeline}
    if args.compare:
        mlp, record = comparison(model, data.y, args.mlp_alpha)
        pipelines["MLPRegressor"] = clone(pipeline).set_params(model=mlp)
        show(record)
    show(CrossValidationStarted(cv, model.random_state))
    tally = WarningTally()
    results = []
    for name, candidate in pipelines.items():
        scores, times = cross_validate(
            candidate,
            data.X,
            data.y,
            cv=cv,
            random_state=model.random_state,
            name=name,
            tally=tally,
            show=show,
        )
        results.append(
            CrossValidationScores(
                name, list(scores), scores.mean(), scores.std(), times.mean()
            )
        )
    show(CrossValidated(results))
    if args.save or args.plot or args.predict:
        _use_all_rows(pipeline, data, args, show, tally)
    show(WarningsCounted(tally.counted()))


def _use_all_rows(pipeline, data, args, show, tally):
    show(FinalFitStarted(len(data.y)))
    start = time.perf_counter()
    final = clone(pipeline)
    fit(final, data.X, data.y, name="SigmoidMLPRegressor", tally=tally)
    final.target_name_ = data.target
    fitted = final[-1]
    alpha = None
    if estimates_alpha(fitted) and hasattr(fitted, "alpha_"):
        alpha = tuple(float(value) for value in np.atleast_1d(fitted.alpha_))
    elapsed = time.perf_counter() - start
    show(FinalFitDone(len(data.y), fitted.n_iter_, alpha, elapsed))
    if args.save:
        save_model(final, args.save)
        show(ModelSaved(args.save, data.target))
    if args.plot:
        _plot(fitted, args, data)
        show(CurvePlotted(args.plot))
    if args.predict:
        show(predict_file(final, args))


def _plot(fitted, args, data):
    from sklearn_sigmoidnet.plotting import plot_training, pyplot

    settings = model_settings(fitted).replace(", max_iter", "\nmax_iter")
    title = (
        f"{Path(args.csv).name}: SigmoidMLPRegressor fitted on all "
        f"{len(data.y)} rows, {fitted.n_iter_} iterations\n{settings}"
    )
    with replaced_atomically(args.plot, "--plot") as temporary:
        figure = plot_training(fitted, temporary, title=title, target=data.target)
        pyplot().close(figure)
