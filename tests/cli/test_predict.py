"""Predictions of a saved model (--load MODEL --predict NEW.csv), and the
files it refuses."""

import io

import joblib
import numpy as np
import pytest
from sklearn.linear_model import LinearRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_sigmoidnet import SigmoidMLPRegressor
from sklearn_sigmoidnet.cli import main

from ._cli import TRUSTED, run_cli, write_new_rows

pd = pytest.importorskip("pandas")

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def test_predict_matches_columns_by_name(messy_fit, tmp_path):
    sio = pytest.importorskip("skops.io")
    pipeline = sio.load(messy_fit["model"], trusted=TRUSTED)
    new_path, output = tmp_path / "new.csv", tmp_path / "predictions.csv"
    features = write_new_rows(messy_fit, new_path)
    with_std = True
    arguments = ["--load", messy_fit["model"], "--predict", new_path]
    arguments += ["--output", output] + (["--return-std"] if with_std else [])
    code, out, err = run_cli(*arguments)
    assert code == 0, err
    written = pd.read_csv(output)
    assert len(written) == 30
    expected = pipeline.predict(features)
    np.testing.assert_array_equal(written["price_predicted"], expected)
    # the same as the columns in the training order
    in_order = features[list(pipeline.feature_names_in_)]
    np.testing.assert_array_equal(expected, pipeline.predict(in_order))
    if with_std:
        _, std = pipeline.predict(features, return_std=True)
        np.testing.assert_array_equal(written["price_std"], std)
    assert f"predicted 30 rows of {new_path}: price_predicted" in out
    assert "categories of 'town' not seen in training" in out and "'west'" in out
    assert "columns not used by the model: 'price', 'id'" in out


def test_predict_names_every_missing_column_in_one_line(messy_fit, tmp_path, capsys):
    sio = pytest.importorskip("skops.io")
    model_path = tmp_path / "model.joblib"  # joblib, chosen by the extension
    joblib.dump(sio.load(messy_fit["model"], trusted=TRUSTED), model_path)
    new_path = tmp_path / "new.csv"
    write_new_rows(messy_fit, new_path)
    pd.read_csv(new_path).drop(columns=["x1", "town"]).to_csv(new_path, index=False)
    assert main(["--load", str(model_path), "--predict", str(new_path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == [
        f"error: {new_path} lacks 2 columns the model needs: 'x1', 'town' (it has "
        "'price', 'x3', 'flag', 'x2', 'x0', 'id')."
    ]


def test_predict_reports_unusable_files_in_one_line(messy_fit, tmp_path, capsys):
    new_path = tmp_path / "new.csv"
    write_new_rows(messy_fit, new_path)
    model = str(messy_fit["model"])
    garbage = tmp_path / "garbage.skops"
    garbage.write_bytes(b"\x00\x01not a zip file")
    cases = [
        (["--load", model, "--predict", str(tmp_path / "nowhere.csv")], "cannot read"),
        (["--load", model, "--predict", str(tmp_path)], "cannot read"),
        (
            ["--load", str(tmp_path / "none.skops"), "--predict", str(new_path)],
            "no such",
        ),
        (["--load", str(garbage), "--predict", str(new_path)], "not a .skops file"),
    ]
    for arguments, message in cases:
        assert main(arguments) == 2
        out, err = capsys.readouterr()
        assert len(err.splitlines()) == 1 and err.startswith("error: ")
        assert message in err


def _double(X):
    return 2 * X


def test_load_trusts_only_the_types_it_saves(tmp_path, capsys):
    sio = pytest.importorskip("skops.io")
    from sklearn.preprocessing import FunctionTransformer

    table = pd.DataFrame({"x": [1.0, 2.0, 3.0]})
    model = make_pipeline(FunctionTransformer(_double), StandardScaler())
    model.steps.append(("model", SigmoidMLPRegressor(n_hidden=2, max_iter=2)))
    model.fit(table, [1.0, 2.0, 4.0])
    path = tmp_path / "other.skops"
    sio.dump(model, path)
    table.to_csv(tmp_path / "new.csv", index=False)
    assert main(["--load", str(path), "--predict", str(tmp_path / "new.csv")]) == 2
    err = capsys.readouterr().err
    assert "holds types this command does not trust: " in err
    assert "_double" in err


def test_return_std_follows_the_signature_of_predict(messy_fit, tmp_path, capsys):
    sio = pytest.importorskip("skops.io")
    new_path, output = tmp_path / "new.csv", tmp_path / "out.csv"
    features = write_new_rows(messy_fit, new_path)
    arguments = ["--load", str(messy_fit["model"]), "--predict", str(new_path)]
    arguments += ["--output", str(output), "--return-std"]
    assert main(arguments) == 0
    written = pd.read_csv(output)
    pipeline = sio.load(messy_fit["model"], trusted=TRUSTED)
    mean, std = pipeline.predict(features, return_std=True)
    np.testing.assert_array_equal(written["price_predicted"], mean)
    np.testing.assert_array_equal(written["price_std"], std)
    capsys.readouterr()
    # a model whose predict has no return_std: one error line, nothing written
    other = make_pipeline(StandardScaler(), LinearRegression())
    other.fit(features[["x0", "x3"]].fillna(0.0), np.arange(30.0))
    model_path = tmp_path / "linear.joblib"
    joblib.dump(other, model_path)
    output.unlink()
    arguments[1] = str(model_path)
    assert main(arguments) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: cannot predict {new_path}: TypeError: ")
    assert "return_std" in err and len(err.splitlines()) == 1
    assert not output.exists()


# ----------------------------------------------- hostile models and outputs
def _fitted(tmp_path):
    frame = pd.DataFrame({"a": np.arange(20.0), "b": np.arange(20.0) % 3})
    frame["y"] = 2 * frame["a"] + frame["b"]
    model = make_pipeline(
        StandardScaler(), SigmoidMLPRegressor(n_hidden=2, max_iter=5, random_state=0)
    )
    model.fit(frame[["a", "b"]], frame["y"])
    new_path = tmp_path / "new.csv"
    frame.to_csv(new_path, index=False)
    return model, new_path


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("suffix", [".joblib", ".skops"])
def test_a_damaged_model_is_one_error_line(tmp_path, capsys, suffix):
    model, new_path = _fitted(tmp_path)
    del model[-1]._target_mapping
    model_path = tmp_path / f"damaged{suffix}"
    if suffix == ".skops":
        sio = pytest.importorskip("skops.io")
        sio.dump(model, model_path)
    else:
        joblib.dump(model, model_path)
    output = tmp_path / "out.csv"
    arguments = ["--load", str(model_path), "--predict", str(new_path)]
    assert main(arguments + ["--output", str(output)]) == 2
    out, err = capsys.readouterr()
    assert len(err.splitlines()) == 1, err
    assert err.startswith(f"error: cannot predict {new_path}: ")
    assert not output.exists()


def test_a_file_that_holds_no_model_is_one_error_line(tmp_path, capsys):
    _, new_path = _fitted(tmp_path)
    model_path = tmp_path / "dict.joblib"
    joblib.dump({"not": "a model"}, model_path)
    assert main(["--load", str(model_path), "--predict", str(new_path)]) == 2
    assert capsys.readouterr().err == f"error: {model_path} holds a dict, not a model\n"


def test_output_naming_the_input_is_refused_unless_overwrite(
    tmp_path, capsys, monkeypatch
):
    model, new_path = _fitted(tmp_path)
    model_path = tmp_path / "model.joblib"
    joblib.dump(model, model_path)
    original = new_path.read_bytes()
    link = tmp_path / "link.csv"
    link.symlink_to(new_path)
    monkeypatch.chdir(tmp_path)  # the working directory, not a module global
    base = ["--load", str(model_path), "--predict", "new.csv", "--output"]
    for output in ["new.csv", "./new.csv", str(new_path), str(link)]:
        assert main(base + [output]) == 2
        out, err = capsys.readouterr()
        assert err == (
            f"error: --output {output} is the file --predict new.csv: it would be "
            "replaced (--overwrite allows it)\n"
        )
        assert new_path.read_bytes() == original
    assert main(base + ["./new.csv", "--overwrite"]) == 0
    written = pd.read_csv(new_path)
    np.testing.assert_array_equal(
        written["prediction_predicted"],
        model.predict(pd.read_csv(io.BytesIO(original))[["a", "b"]]),
    )
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "link.csv",
        "model.joblib",
        "new.csv",
    ]  # no temporary file left


def test_outputs_are_checked_against_each_other_and_the_training_file(tmp_path, capsys):
    _, new_path = _fitted(tmp_path)
    original = new_path.read_bytes()
    base = ["--csv", str(new_path), "--target", "y", "--predict", str(new_path)]
    model = str(tmp_path / "m.joblib")
    cases = [
        (["--output", str(new_path)], "is the file --csv"),
        (["--output", str(tmp_path)], "it is a directory"),
        (["--output", model, "--save", model], "name the same file"),
    ]
    for arguments, message in cases:
        assert main(base + arguments) == 2
        out, err = capsys.readouterr()
        assert out == "" and len(err.splitlines()) == 1 and message in err
    assert new_path.read_bytes() == original


def test_a_failed_write_leaves_the_former_file(tmp_path):
    from sklearn_sigmoidnet.cli.files import replaced_atomically

    path = tmp_path / "out.csv"
    path.write_text("former\n")
    with pytest.raises(RuntimeError, match="half-way"):
        with replaced_atomically(path, "--output") as temporary:
            with open(temporary, "w") as handle:
                handle.write("half")
            raise RuntimeError("half-way")
    assert path.read_text() == "former\n"
    assert [item.name for item in tmp_path.iterdir()] == ["out.csv"]
    with replaced_atomically(path, "--output") as temporary:
        with open(temporary, "w") as handle:
            handle.write("new\n")
    assert path.read_text() == "new\n"
    assert [item.name for item in tmp_path.iterdir()] == ["out.csv"]
