"""The options: the parser and the errors made from the option table."""

import pytest

from sklearn_sigmoidnet import SigmoidMLPRegressor
from sklearn_sigmoidnet.cli import main
from sklearn_sigmoidnet.cli.commands import COMMANDS
from sklearn_sigmoidnet.cli.options import (
    OPTIONS,
    build_parser,
    estimator_defaults,
    model_alpha,
)

from ._cli import run_cli

pd = pytest.importorskip("pandas")

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--cv", "1"], "argument --cv: must be at least 2, got 1"),
        (["--delimiter", "\\t"], "(for a tab write --delimiter tab)"),
        (["--delimiter", ";;"], "must be one character"),
        (["--alpha", "-1"], "argument --alpha: must be a number >= 0"),
        (["--alpha", "nan"], "argument --alpha: must be a number >= 0"),
        (["--max-iter", "0"], "argument --max-iter: must be at least 1"),
        (["--n-hidden", "two"], "expected a whole number, got 'two'"),
        (["--random-state", "-1"], "must be from 0 to 4294967295"),
        (["--solver", "adam"], "invalid choice: 'adam'"),
        (["--encoding", "klingon"], "unknown encoding 'klingon'"),
        (["--save", "model.pkl"], "name a .skops file (or .joblib"),
        (["--csv", "data.csv"], "--csv and --target go together"),
        (["--target", "y"], "--csv and --target go together"),
        (["--save", "m.joblib"], "--save needs --csv FILE --target COLUMN"),
        (["--plot", "p.png"], "--plot needs --csv FILE --target COLUMN"),
        (["--cv", "3"], "--cv needs --csv FILE"),
        (["--load", "m.skops"], "--load needs --predict NEW.csv"),
        (["--load", "m.skops", "--predict", "n.csv", "--cv", "3"], "not with --load"),
        (["--predict", "n.csv"], "--predict needs --csv FILE"),
        (["--output", "o.csv"], "--output goes with --predict"),
        (["--csv", "d.csv", "--target", "y", "--mlp-alpha", "1"], "--compare"),
        (["--csv", "d.csv", "--target", "y", "--predict", "n.csv"], "--output"),
        (["--bogus"], "unrecognized arguments: --bogus"),
    ],
)
def test_bad_options_are_one_error_line(arguments, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(arguments)
    assert exit_info.value.code == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.splitlines()) == 1
    assert err.startswith("error: ") and message in err


def test_bad_option_value_in_a_subprocess_has_no_traceback():
    code, out, err = run_cli("--n-hidden", "0")
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        "error: argument --n-hidden: must be at least 1, got 0 (--help lists the "
        "options)"
    ]


def test_help_documents_every_option(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    options = ["--csv", "--target", "--delimiter", "--encoding", "--na-values"]
    options += ["--drop", "--cv", "--compare", "--mlp-alpha", "--random-state"]
    options += ["--n-hidden", "--solver", "--alpha", "--max-iter", "--early-stopping"]
    options += ["--save", "--plot", "--load", "--predict", "--output", "--return-std"]
    for option in options:
        assert option in out
    # the model's options show the class's defaults
    defaults = SigmoidMLPRegressor().get_params()
    alpha = defaults["alpha"]
    assert f"hidden units ({defaults['n_hidden']})" in out
    assert f"({alpha if isinstance(alpha, str) else format(alpha, '.3g')})" in out


@pytest.mark.parametrize(
    "text, value",
    [("0.5", 0.5), ("auto", "auto"), ("AUTO", "auto"), ("0,1e-3,2", (0.0, 1e-3, 2.0))],
)
def test_alpha_is_a_number_auto_or_three_numbers(text, value):
    assert model_alpha(text) == value


@pytest.mark.parametrize("text", ["-1", "nan", "inf", "1,2", "1,2,-3", "x", ""])
def test_a_bad_alpha_is_one_clear_line(text, capsys):
    with pytest.raises(SystemExit):
        main(["--alpha", text])
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1
    assert "argument --alpha: must be a number >= 0, 'auto', or three numbers" in err


def test_the_help_shows_the_estimators_own_defaults():
    defaults = estimator_defaults()
    params = SigmoidMLPRegressor().get_params()
    assert defaults == params  # read from the source, without importing it


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--overwrite"], "--overwrite needs --csv FILE --target COLUMN"),
        (["--early-stopping", "--cv", "2"], "--cv, --early-stopping need --csv"),
        (["--load", "m.joblib", "--predict", "n.csv", "--mlp-alpha", "1"], "--load"),
        (["--load", "m.joblib", "--predict", "n.csv", "--drop", "a"], "--drop set"),
        (["--load", "m.joblib", "--csv", "d.csv", "--target", "y"], "does not go"),
        (["--output", "o.csv", "--return-std"], "--output, --return-std go with"),
    ],
)
def test_errors_made_from_the_table(arguments, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(arguments)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and message in err


def test_every_option_of_the_table_is_in_the_parser_and_a_command():
    parser = build_parser()
    flags = {flag for action in parser._actions for flag in action.option_strings}
    for option in OPTIONS:
        assert option.flag in flags
        assert option.commands <= set(COMMANDS)
        assert option.requires is None or option.requires.flag in flags
    arguments = parser.parse_args([])
    assert all(getattr(arguments, option.dest) is None for option in OPTIONS)
