"""The messy CSV file, fitted once by the command for the fit and predict
tests (this directory is on ``sys.path``: the tests import ``_cli``)."""

import contextlib
import io

import pytest

from sklearn_sigmoidnet.cli import main

from ._cli import run_cli, write_messy_csv


@pytest.fixture(scope="session")
def messy_fit(tmp_path_factory):
    """The command run on the messy file: in a subprocess saving .joblib, and
    in-process saving .skops (importing skops can take seconds)."""
    pytest.importorskip("skops")
    folder = tmp_path_factory.mktemp("messy")
    csv_path = folder / "houses.csv"
    write_messy_csv(csv_path)
    arguments = ["--csv", str(csv_path), "--target", "price", "--n-hidden", "5"]
    arguments += ["--max-iter", "100"]
    joblib_path, skops_path = folder / "model.joblib", folder / "model.skops"
    code, out, err = run_cli(*arguments, "--save", joblib_path)
    assert code == 0, err
    in_process = io.StringIO()
    with contextlib.redirect_stdout(in_process):
        assert main(arguments + ["--save", str(skops_path)]) == 0
    return {
        "csv": csv_path,
        "model": skops_path,
        "joblib": joblib_path,
        "out": out,
        "err": err,
        "in_process": in_process.getvalue(),
    }
