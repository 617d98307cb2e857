"""The command line's options: one table, and the parser and the checks of
which options go together, both made from it.

Each :class:`Option` says which commands take it and which other option it
needs; :func:`build_parser` turns the table into an argparse parser and
:func:`check_options` into the errors "option X does not go with command Y".
Values are validated once, here, by the parsers of their types.
"""

import argparse
import ast
import codecs
import math
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path

from .commands import COMMANDS, CONFLICTS, DEMO, FIT, PREDICT

MODEL_SUFFIXES = (".skops", ".joblib")
DEMO_HIDDEN = 20  # the demo's network: small, as in the README
DEFAULT_CV = 5
DEFAULT_SEED = 0
UTF8 = "utf-8-sig"  # UTF-8, dropping a byte order mark
ALL = frozenset(COMMANDS)


# ----------------------------------------------------- parsers of the values
def whole_number(minimum, maximum=None):
    """A parser of whole numbers from ``minimum`` (to ``maximum``)."""

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


def penalty(text):
    """A finite number >= 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not (math.isfinite(value) and value >= 0):
        raise argparse.ArgumentTypeError(f"must be a number >= 0, got {text!r}")
    return value


def model_alpha(text):
    """SigmoidMLPRegressor's ``alpha``: a finite number >= 0, ``auto``, or
    three such numbers separated by commas (input weights, hidden biases,
    output weights)."""
    if text.strip().lower() == "auto":
        return "auto"
    parts = text.split(",")
    try:
        values = [float(part) for part in parts]
    except ValueError:
        values = None
    if (
        values is None
        or len(values) not in (1, 3)
        or not all(math.isfinite(value) and value >= 0 for value in values)
    ):
        raise argparse.ArgumentTypeError(
            "must be a number >= 0, 'auto', or three numbers >= 0 separated by "
            f"commas (input weights, hidden biases, outputs), got {text!r}"
        )
    return values[0] if len(values) == 1 else tuple(values)


def delimiter(text):
    """One character, or ``tab``."""
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


def encoding(text):
    """A Python codec's name, as pandas reads with it (UTF-8 drops a BOM)."""
    try:
        name = codecs.lookup(text).name
    except LookupError:
        raise argparse.ArgumentTypeError(f"unknown encoding {text!r}") from None
    return UTF8 if name == "utf-8" else name


def model_file(text):
    """A path ending in .skops or .joblib."""
    if Path(text).suffix.lower() not in MODEL_SUFFIXES:
        raise argparse.ArgumentTypeError(
            f"name a .skops file (or .joblib for joblib), got {text!r}"
        )
    return text


# ------------------------------------------------------------- the table
@dataclass(frozen=True)
class Requirement:
    """Another option that an option needs, in some commands.

    ``text`` follows the options' names in the error; ``plural`` its form
    after several of them ("goes with" / "go with").
    """

    flag: str
    commands: frozenset
    text: str
    plural: str


@dataclass(frozen=True)
class Option:
    """One option of the command line.

    Attributes
    ----------
    flag : str
        ``--name``; the attribute of the parsed arguments is ``name``.
    group : str
        The heading it is listed under in ``--help``.
    help : str
        Its line in ``--help``.
    commands : frozenset of str
        The commands that take it.
    type : callable, default=None
        Parses and validates its value (None: the text as it is).
    metavar, nargs, choices :
        As for ``argparse.ArgumentParser.add_argument``.
    flag_only : bool, default=False
        A flag without a value (True when given, else None).
    requires : Requirement, default=None
        Another option it needs.
    model_parameter : bool, default=False
        Passed to SigmoidMLPRegressor as the parameter of its name.
    shows_default : str, default=None
        The estimator's parameter whose default ``--help`` shows after
        ``help``.

    Every option's default is None, "not given": what it then means is
    decided by the command (the estimator's default, most of the time).
    """

    flag: str
    group: str
    help: str
    commands: frozenset
    type: object = None
    metavar: str | None = None
    nargs: str | None = None
    choices: tuple | None = None
    flag_only: bool = False
    requires: Requirement | None = None
    model_parameter: bool = False
    shows_default: str | None = None

    @property
    def dest(self):
        return self.flag.removeprefix("--").replace("-", "_")

    def is_given(self, args):
        return getattr(args, self.dest) is not None


def estimator_defaults():
    """SigmoidMLPRegressor's defaults, read from the source of its
    ``__init__`` without importing it (``--help`` stays fast); {} when the
    source cannot be read."""
    try:
        source = Path(find_spec("sklearn_sigmoidnet._estimator").origin)
        tree = ast.parse(source.read_text(encoding="utf-8"))
    except (AttributeError, TypeError, OSError, SyntaxError, ValueError):
        return {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.name == "SigmoidMLPRegressor":
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and item.name == "__init__":
                    return _literal_defaults(item.args)
    return {}


def _literal_defaults(arguments):
    positional = arguments.posonlyargs + arguments.args
    pairs = list(zip(positional[::-1], arguments.defaults[::-1], strict=False))
    pairs += zip(arguments.kwonlyargs, arguments.kw_defaults, strict=True)
    defaults = {}
    for argument, node in pairs:
        if node is None:
            continue
        try:
            defaults[argument.arg] = ast.literal_eval(node)
        except ValueError:
            continue
    return defaults


def shown(value):
    """A parameter value as the output shows it: numbers short, words as
    they are, several numbers in parentheses."""
    if isinstance(value, str):
        return value
    if isinstance(value, tuple | list):
        return "(" + ", ".join(f"{item:.3g}" for item in value) + ")"
    return f"{value:.3g}"


def _default(defaults, name):
    return f" ({shown(defaults[name])})" if name in defaults else ""


DATA, CV, MODEL = "your data", "cross-validation", "the model"
SAVED, PREDICTIONS = "the fitted model", "predictions"
GROUP_TITLES = {
    MODEL: "the model (default: SigmoidMLPRegressor's own defaults; the demo: "
    f"{DEMO_HIDDEN} hidden units)"
}
_WITH_PREDICT = Requirement(
    "--predict", ALL, "goes with --predict", "go with --predict"
)
_FIT_OR_PREDICT = frozenset({FIT, PREDICT})
_FIT_OR_DEMO = frozenset({FIT, DEMO})
_FIT = frozenset({FIT})


# The options, in the order of --help.
OPTIONS = (
    Option("--csv", DATA, "a CSV file with a header row", _FIT, metavar="FILE"),
    Option("--target", DATA, "the column to predict", _FIT, metavar="COLUMN"),
    Option(
        "--delimiter",
        DATA,
        "the field delimiter, one character or 'tab' (default: sniffed "
        "among , ; tab |)",
        _FIT_OR_PREDICT,
        type=delimiter,
    ),
    Option(
        "--encoding",
        DATA,
        "the files' encoding (utf-8)",
        _FIT_OR_PREDICT,
        type=encoding,
    ),
    Option(
        "--na-values",
        DATA,
        "more cell values that mean missing (pandas already reads empty "
        "cells, NA, N/A, NaN, null as missing)",
        _FIT_OR_PREDICT,
        metavar="TOKEN",
        nargs="+",
    ),
    Option(
        "--drop",
        DATA,
        "columns not to use as features",
        _FIT,
        metavar="COLUMN",
        nargs="+",
    ),
    Option(
        "--cv",
        CV,
        f"folds of the shuffled k-fold cross-validation ({DEFAULT_CV})",
        _FIT,
        type=whole_number(2),
    ),
    Option(
        "--compare",
        CV,
        "also cross-validate MLPRegressor with the same hidden units, "
        "max_iter and seed, activation='logistic', solver='lbfgs', and alpha "
        "converted to its scale",
        _FIT,
        flag_only=True,
    ),
    Option(
        "--mlp-alpha",
        CV,
        "MLPRegressor's alpha in --compare and the demo (default: "
        "SigmoidMLPRegressor's alpha converted to y's units)",
        _FIT_OR_DEMO,
        type=penalty,
        metavar="ALPHA",
        requires=Requirement(
            "--compare",
            _FIT,
            "goes with --compare (or the demo)",
            "go with --compare (or the demo)",
        ),
    ),
    Option(
        "--random-state",
        CV,
        f"seed of the folds' shuffle and of the initial weights ({DEFAULT_SEED})",
        _FIT_OR_DEMO,
        type=whole_number(0, 2**32 - 1),
        metavar="SEED",
    ),
    Option(
        "--n-hidden",
        MODEL,
        "hidden units",
        _FIT_OR_DEMO,
        type=whole_number(1),
        metavar="N",
        model_parameter=True,
        shows_default="n_hidden",
    ),
    Option(
        "--solver",
        MODEL,
        "the solver",
        _FIT_OR_DEMO,
        choices=("auto", "lbfgs", "gd", "lm"),
        model_parameter=True,
        shows_default="solver",
    ),
    Option(
        "--alpha",
        MODEL,
        "L2 penalty on the network's scale, 'auto' (Bayesian), or three "
        "penalties a,b,c (input weights, hidden biases, outputs)",
        _FIT_OR_DEMO,
        type=model_alpha,
        model_parameter=True,
        shows_default="alpha",
    ),
    Option(
        "--max-iter",
        MODEL,
        "iteration budget",
        _FIT_OR_DEMO,
        type=whole_number(1),
        metavar="N",
        model_parameter=True,
        shows_default="max_iter",
    ),
    Option(
        "--early-stopping",
        MODEL,
        "hold out validation_fraction of the training rows and keep the "
        "weights of the best validation score",
        _FIT,
        flag_only=True,
        model_parameter=True,
    ),
    Option(
        "--save",
        SAVED,
        "store the pipeline fitted on all rows (.skops, or .joblib)",
        _FIT,
        type=model_file,
        metavar="MODEL.skops",
    ),
    Option(
        "--plot",
        SAVED,
        "draw the training curve of the fit on all rows (needs matplotlib)",
        _FIT,
        metavar="LOSS.png",
    ),
    Option(
        "--load",
        PREDICTIONS,
        "a model saved by --save (.skops: only its known types are trusted; "
        ".joblib runs pickle: load only files you trust)",
        frozenset({PREDICT}),
        type=model_file,
        metavar="MODEL.skops",
        requires=Requirement(
            "--predict", ALL, "needs --predict NEW.csv", "need --predict NEW.csv"
        ),
    ),
    Option(
        "--predict",
        PREDICTIONS,
        "a CSV file of the model's columns, matched by name; one prediction per row",
        _FIT_OR_PREDICT,
        metavar="NEW.csv",
        requires=Requirement(
            "--output",
            _FIT,
            "after a fit needs --output PREDICTIONS.csv",
            "after a fit need --output PREDICTIONS.csv",
        ),
    ),
    Option(
        "--output",
        PREDICTIONS,
        "where the predictions go (default with --load: standard output)",
        _FIT_OR_PREDICT,
        metavar="PREDICTIONS.csv",
        requires=_WITH_PREDICT,
    ),
    Option(
        "--overwrite",
        PREDICTIONS,
        "let --output, --save or --plot replace an input file (--csv, "
        "--predict, --load)",
        _FIT_OR_PREDICT,
        flag_only=True,
    ),
    Option(
        "--return-std",
        PREDICTIONS,
        "add a column of predictive standard deviations",
        _FIT_OR_PREDICT,
        flag_only=True,
        requires=_WITH_PREDICT,
    ),
)
MODEL_PARAMETERS = tuple(option for option in OPTIONS if option.model_parameter)


class Parser(argparse.ArgumentParser):
    """argparse that reports a bad option as one ``error:`` line (exit 2)."""

    def error(self, message):
        self.exit(2, f"error: {message} (--help lists the options)\n")


DESCRIPTION = (
    "Without options: the demo, SigmoidMLPRegressor against MLPRegressor on the "
    "diabetes and Friedman #1 data. With --csv FILE --target COLUMN: your own "
    "data in a pipeline (median imputation, one-hot encoding of text columns, "
    "StandardScaler, SigmoidMLPRegressor), R2 of a shuffled k-fold "
    "cross-validation. With --load MODEL --predict NEW.csv: predictions. "
    "Reading CSV files and .skops models needs pip install "
    "'sklearn-sigmoidnet[cli]'."
)


def build_parser(options=None, defaults=None):
    """The argparse parser of ``options`` (by default :data:`OPTIONS`);
    ``defaults``: the estimator's, shown in the help (by default read by
    :func:`estimator_defaults`)."""
    options = OPTIONS if options is None else options
    defaults = estimator_defaults() if defaults is None else defaults
    parser = Parser(prog="python -m sklearn_sigmoidnet", description=DESCRIPTION)
    groups = {}
    for option in options:
        if option.group not in groups:
            title = GROUP_TITLES.get(option.group, option.group)
            groups[option.group] = parser.add_argument_group(title)
        shown_help = option.help
        if option.shows_default is not None:
            shown_help += _default(defaults, option.shows_default)
        settings = {"help": shown_help, "default": None}
        if option.flag_only:
            settings["action"] = "store_const"
            settings["const"] = True
        else:
            for name in ("type", "metavar", "nargs", "choices"):
                if getattr(option, name) is not None:
                    settings[name] = getattr(option, name)
        groups[option.group].add_argument(option.flag, **settings)
    return parser


def _agreeing(flags, singular, plural):
    return singular if len(flags) == 1 else plural


def select_command(args, options=OPTIONS):
    """The command the flags given select, or the error saying why none."""
    given = {option.flag for option in options if option.is_given(args)}
    selected = []
    for info in COMMANDS.values():
        chosen = [flag for flag in info.selected_by if flag in given]
        if chosen and len(chosen) < len(info.selected_by):
            return None, " and ".join(info.selected_by) + " go together"
        if chosen:
            selected.append(info.name)
    if len(selected) > 1:
        return None, CONFLICTS[frozenset(selected)]
    return (selected[0] if selected else DEMO), None


def option_errors(args, command, options=OPTIONS):
    """The first error of the options given to ``command``: an option that
    lacks the option it needs, else the options the command does not take."""
    given = [option for option in options if option.is_given(args)]
    flags = {option.flag for option in given}
    missing = {}
    for option in given:
        need = option.requires
        if need is not None and command in need.commands and need.flag not in flags:
            missing.setdefault(need, []).append(option.flag)
    for need, lacking in missing.items():
        verb = _agreeing(lacking, need.text, need.plural)
        return f"{', '.join(lacking)} {verb}"
    refused = [option.flag for option in given if command not in option.commands]
    if refused:
        return COMMANDS[command].refusal.format(
            options=", ".join(refused),
            needs=_agreeing(refused, "needs", "need"),
            does=_agreeing(refused, "does", "do"),
        )
    return None


def parse_arguments(argv=None, parser=None):
    """``(command name, parsed arguments)``; a bad option exits with status 2
    after one ``error:`` line."""
    parser = build_parser() if parser is None else parser
    args = parser.parse_args(argv)
    command, error = select_command(args)
    if error is None:
        error = option_errors(args, command)
    if error is not None:
        parser.error(error)
    return command, args


def given_flags(args, options):
    """The flags among ``options`` that were given, in the table's order."""
    return [option.flag for option in options if option.is_given(args)]


def model_settings(model):
    """``name=value, ...`` of the parameters the options set, and the seed."""
    names = [option.dest for option in MODEL_PARAMETERS] + ["random_state"]
    return ", ".join(f"{name}={getattr(model, name)!r}" for name in names)
