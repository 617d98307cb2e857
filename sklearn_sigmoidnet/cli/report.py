"""The command line's output: each record of :mod:`~.results` as lines of text.

The report prints and never computes: every number it shows is in the record.
Results go to standard output; progress (one line per fold) to standard error
when it is a terminal; the predictions' report to standard error when the
predictions themselves go to standard output.
"""

import sys
from functools import singledispatch

from .models import estimates_alpha
from .options import model_settings, shown
from .results import (
    ComparisonSet,
    CrossValidated,
    CrossValidationStarted,
    CurvePlotted,
    DataRead,
    DemoScored,
    DemoStarted,
    FinalFitDone,
    FinalFitStarted,
    FoldScored,
    FoldStarted,
    ModelChosen,
    ModelSaved,
    Predicted,
    WarningsCounted,
)

_UNSEEN_SHOWN = 5  # unseen categories named per column


class Report:
    """Prints the records a command passes to it (it is the command's
    ``show``)."""

    def __init__(self, stdout=None, stderr=None):
        self.stdout = sys.stdout if stdout is None else stdout
        self.stderr = sys.stderr if stderr is None else stderr
        self.progress = self.stderr.isatty()

    def __call__(self, record):
        render(record, self)

    def line(self, text="", *, error_stream=False):
        print(text, file=self.stderr if error_stream else self.stdout)

    def progress_text(self, text, end="\n"):
        if self.progress:
            self.stderr.write(text + end)
            self.stderr.flush()


def _names(names):
    return ", ".join(repr(name) for name in names)


@singledispatch
def render(record, report):
    """Print ``record`` to ``report``."""
    raise TypeError(f"no report for {type(record).__name__}")


@render.register
def _demo_started(record: DemoStarted, report):
    model = record.model
    if record.mlp_alpha is not None:
        alpha = f"alpha={record.mlp_alpha:g} from --mlp-alpha"
    elif not estimates_alpha(model):
        alpha = "alpha converted to y's units for each data set"
    else:
        alpha = "its default alpha"
    report.line(
        f"SigmoidMLPRegressor({model_settings(model)}) against MLPRegressor("
        f"hidden_layer_sizes=({model.n_hidden},), activation='logistic', "
        f"solver='lbfgs', the same max_iter and random_state, {alpha}), each "
        "after a StandardScaler; test R2 on a 25% split."
    )
    report.line(
        f"{'data':34} {'model':20} {'alpha':>9} {'test R2':>8} {'fit time':>9} "
        f"{'iters':>6}"
    )


@render.register
def _demo_scored(record: DemoScored, report):
    report.line(
        f"{record.data:34} {record.model:20} {shown(record.alpha):>9} "
        f"{record.score:8.4f} {record.seconds:8.3f}s {record.n_iter:6d}"
    )


@render.register
def _data_read(record: DataRead, report):
    data = record.data
    delimiter = "tab" if record.delimiter == "\t" else repr(record.delimiter)
    how = "given" if record.delimiter_given else "sniffed"
    report.line(
        f"{record.path}: {data.file_rows} rows, {data.file_columns} columns "
        f"(delimiter {delimiter}, {how}); target {data.target!r}"
    )
    if data.dropped_rows:
        report.line(
            f"dropped {data.dropped_rows} rows whose target {data.target!r} is "
            f"missing: {len(data.y)} rows used"
        )
    else:
        report.line(f"all {len(data.y)} rows have a target")
    report.line(
        f"features ({len(data.X.columns)}): {len(data.numeric)} numeric, "
        f"{len(data.categorical)} one-hot encoded"
    )
    _columns(record, report)


def _columns(record, report):
    data = record.data
    if data.categorical:
        encoded = ", ".join(
            f"{name!r} ({data.categories[name]} categories)"
            for name in data.categorical
        )
        report.line(
            f"  one-hot encoded (OneHotEncoder(handle_unknown='ignore')): {encoded}"
        )
    if data.booleans:
        report.line(f"  True/False read as 1/0: {_names(data.booleans)}")
    imputed = {name: n for name, n in data.missing.items() if name in data.numeric}
    if imputed:
        cells = ", ".join(f"{name!r} ({n} rows)" for name, n in imputed.items())
        report.line(
            f"  missing values imputed with the median (SimpleImputer): {cells}"
        )
    encoded = {name: n for name, n in data.missing.items() if name in data.categorical}
    if encoded:
        cells = ", ".join(f"{name!r} ({n} rows)" for name, n in encoded.items())
        report.line(
            f"  missing values in encoded columns, a category of their own: {cells}"
        )
    if not data.missing:
        report.line("  no missing values among the features")
    if data.empty:
        report.line(f"  ignored, empty: {_names(data.empty)}")
    if record.dropped:
        report.line(f"  ignored, --drop: {_names(record.dropped)}")


@render.register
def _model_chosen(record: ModelChosen, report):
    model = record.model
    source = f"set by {', '.join(record.given)}; " if record.given else ""
    seed = "--random-state" if record.seed_given else "the CLI's default"
    report.line(
        "model: imputation and one-hot encoding by column name (ColumnTransformer)"
        f" -> StandardScaler -> SigmoidMLPRegressor({model_settings(model)})"
    )
    report.line(
        f"  ({source}random_state={model.random_state} from {seed}; the rest "
        "SigmoidMLPRegressor's defaults)"
    )


@render.register
def _comparison_set(record: ComparisonSet, report):
    model, alpha = record.model, record.mlp_alpha
    report.line(
        f"MLPRegressor for comparison: hidden_layer_sizes=({model.n_hidden},), "
        f"activation='logistic', solver='lbfgs', max_iter={model.max_iter}, "
        f"max_fun={model.max_fun}, random_state={model.random_state}; the same "
        "preprocessing and folds"
    )
    if record.alpha_source == "default":
        report.line(
            f"  alpha: SigmoidMLPRegressor's alpha={model.alpha!r} is estimated in "
            f"each fit, MLPRegressor keeps its default alpha={alpha:g} "
            "(--mlp-alpha sets it)"
        )
    elif record.alpha_source == "given":
        report.line(
            f"  alpha set by --mlp-alpha: MLPRegressor's alpha={alpha:g} (in y's "
            f"units), SigmoidMLPRegressor's alpha={shown(model.alpha)} (on the "
            "network's scale)"
        )
    else:
        _converted_alpha(record, report)
    report.line("  tol: each class's default (they measure different things)")
    if model.solver != "lbfgs":
        report.line(f"  MLPRegressor has no {model.solver!r} solver: it runs 'lbfgs'")
    if model.early_stopping:
        report.line(
            "  MLPRegressor ignores early_stopping with lbfgs: it fits all rows"
        )


def _converted_alpha(record, report):
    model, ratio = record.model, record.weight_ratio
    low, high = model.target_range
    of_inputs = "" if not isinstance(model.alpha, tuple) else " (input weights')"
    report.line(
        f"  alpha converted: SigmoidMLPRegressor's alpha={shown(model.alpha)}"
        f"{of_inputs} on the network's scale is MLPRegressor's "
        f"alpha={record.mlp_alpha:.6g} in y's units (alpha * ((y_max - y_min) / "
        f"(high - low))^2, y_max - y_min = {record.target_span:.6g} here, "
        f"target_range=({low:g}, {high:g})). That matches the penalty on the "
        "hidden layer's weights; MLPRegressor's linear output weights are about "
        f"(y_max - y_min) / (4 (high - low)) = {ratio:.3g} times ours, so it "
        f"penalises them about {ratio**2:.3g} times as much (--mlp-alpha sets "
        "its alpha)"
    )


@render.register
def _cross_validation_started(record: CrossValidationStarted, report):
    report.line(
        f"{record.n_folds}-fold cross-validation on shuffled rows "
        f"(KFold(n_splits={record.n_folds}, shuffle=True, "
        f"random_state={record.random_state}))"
    )


@render.register
def _fold_started(record: FoldStarted, report):
    report.progress_text(
        f"{record.model}: fold {record.fold}/{record.n_folds} ...", end=""
    )


@render.register
def _fold_scored(record: FoldScored, report):
    report.progress_text(f" R2 {record.score:.4f} ({record.seconds:.1f} s)")


@render.register
def _cross_validated(record: CrossValidated, report):
    report.line(f"{'model':20} {'mean R2':>8} {'std':>7} {'fit time':>9}")
    for result in record.results:
        report.line(
            f"{result.model:20} {result.mean:8.4f} {result.std:7.4f} "
            f"{result.mean_fit_time:8.3f}s"
        )
    for result in record.results:
        scores = " ".join(f"{score:.10f}" for score in result.scores)
        report.line(f"R2 of each fold, {result.model}: {scores}")


@render.register
def _final_fit_started(record: FinalFitStarted, report):
    report.progress_text(
        f"SigmoidMLPRegressor: fitting all {record.n_rows} rows ...", end=""
    )


@render.register
def _final_fit_done(record: FinalFitDone, report):
    report.progress_text(f" {record.seconds:.1f} s")
    estimated = ""
    if record.alpha is not None:
        values = ", ".join(f"{value:.4g}" for value in record.alpha)
        estimated = f", alpha_=({values}) (input weights, hidden biases, outputs)"
    report.line(
        f"fitted on all {record.n_rows} rows: {record.n_iter} iterations"
        f"{estimated}, {record.seconds:.3f}s"
    )


@render.register
def _model_saved(record: ModelSaved, report):
    report.line(f"saved the pipeline to {record.path} (target {record.target!r})")


@render.register
def _curve_plotted(record: CurvePlotted, report):
    report.line(f"training curve: {record.path}")


@render.register
def _predicted(record: Predicted, report):
    to_stdout = record.destination is None
    if to_stdout:
        record.frame.to_csv(report.stdout, index=False)
    destination = "standard output" if to_stdout else record.destination
    notes = [
        f"{record.missing_cells} missing values: imputed, or a category of their own"
    ]
    for name, unseen in record.unseen.items():
        more = len(unseen) - _UNSEEN_SHOWN
        notes.append(
            f"categories of {name!r} not seen in training, encoded as none of "
            f"the known ones: {_names(unseen[:_UNSEEN_SHOWN])}"
            + (f" and {more} more" if more > 0 else "")
        )
    if record.ignored:
        notes.append(f"columns not used by the model: {_names(record.ignored)}")
    report.line(
        f"predicted {record.n_rows} rows of {record.source}: "
        f"{', '.join(record.columns)} written to {destination}",
        error_stream=to_stdout,
    )
    for note in notes:
        report.line(f"  {note}", error_stream=to_stdout)


@render.register
def _warnings_counted(record: WarningsCounted, report):
    for warning in record.warnings:
        hint = ""
        if warning.category == "ConvergenceWarning":
            hint = " (--max-iter raises the iteration budget)"
        report.line(
            f"warning: {warning.category} in {warning.count} of {warning.fits} "
            f"{warning.model} fits: {warning.message}{hint}"
        )
