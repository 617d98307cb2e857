"""What the commands found, passed to the report, which prints it.

Each record holds the numbers and names a line of output needs, computed by
the command; :mod:`~sklearn_sigmoidnet.cli.report` only formats them.
"""

from dataclasses import dataclass, field


@dataclass
class DemoStarted:
    model: object  # the SigmoidMLPRegressor template
    mlp_alpha: float | None  # --mlp-alpha, or None


@dataclass
class DemoScored:
    data: str
    model: str
    alpha: object
    score: float
    seconds: float
    n_iter: int


@dataclass
class DataRead:
    path: str
    data: object  # a cli.data.TrainingData
    delimiter: str
    delimiter_given: bool
    dropped: list  # --drop


@dataclass
class ModelChosen:
    model: object
    given: list  # the flags that set the model's parameters
    seed_given: bool


@dataclass
class ComparisonSet:
    """MLPRegressor next to ``model``; ``alpha_source``: "given" (--mlp-alpha),
    "default" (MLPRegressor's, for alpha="auto") or "converted"."""

    model: object
    mlp_alpha: float
    alpha_source: str
    target_span: float = 0.0  # y_max - y_min
    target_units: float = 0.0  # target_span / (high - low)
    weight_ratio: float = 0.0  # MLPRegressor's output weights / ours


@dataclass
class CrossValidationStarted:
    n_folds: int
    random_state: int


@dataclass
class FoldStarted:
    model: str
    fold: int
    n_folds: int


@dataclass
class FoldScored:
    model: str
    score: float
    seconds: float


@dataclass
class CrossValidationScores:
    model: str
    scores: list
    mean: float
    std: float
    mean_fit_time: float


@dataclass
class CrossValidated:
    results: list  # of CrossValidationScores


@dataclass
class FinalFitStarted:
    n_rows: int


@dataclass
class FinalFitDone:
    n_rows: int
    n_iter: int
    alpha: tuple | None  # alpha_ reached with alpha="auto"
    seconds: float


@dataclass
class ModelSaved:
    path: str
    target: str


@dataclass
class CurvePlotted:
    path: str


@dataclass
class Predicted:
    """Predictions of ``source``; ``destination`` None: ``frame`` is for
    standard output, and the report for standard error."""

    source: str
    n_rows: int
    columns: list
    destination: str | None
    frame: object = None
    missing_cells: int = 0
    unseen: dict = field(default_factory=dict)  # column -> unseen categories
    ignored: list = field(default_factory=list)  # columns the model does not use


@dataclass
class WarningCount:
    model: str
    category: str
    message: str
    count: int
    fits: int


@dataclass
class WarningsCounted:
    warnings: list  # of WarningCount
