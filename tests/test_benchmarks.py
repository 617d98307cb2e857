"""The benchmark scripts run (quick modes), so that they never rot, and their
tables hold what they say: the same rows in Markdown and CSV, positive times
and ratios, and identical predictions where the package promises them."""

import csv
import importlib.util
import math
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
# the scripts import their shared helpers (_machine, _output, _targets) from
# their own folder, as they do when run as ``python benchmarks/<script>.py``
sys.path.insert(0, str(BENCHMARKS))
import _output  # noqa: E402  (the benchmarks' shared table writer)


def _load(name):
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _markdown_table(text, first_title):
    """Rows (lists of cells) of the Markdown table whose header starts with
    ``| first_title |``."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(first_title))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows


def _read_csv(path):
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def _check_table(rows, columns, table, csv_rows):
    """The returned rows, the Markdown table and the CSV agree, row by row."""
    assert len(rows) == len(table) == len(csv_rows) > 0
    for row, cells, csv_row in zip(rows, table, csv_rows, strict=True):
        assert list(csv_row) == [key for key, _, _ in columns]
        assert cells == [_output.cell(row, key, fmt) for key, _, fmt in columns]
        for key, _, _ in columns:
            value = row[key]
            if isinstance(value, float) and not isinstance(value, bool):
                assert math.isclose(float(csv_row[key]), value) or (
                    math.isnan(value) and math.isnan(float(csv_row[key]))
                )
            else:
                assert csv_row[key] == str(value)


def _check_layouts(bench, rows, text, csv_path):
    assert [row["layout"] for row in rows] == list(bench.LAYOUTS)
    for row in rows:
        assert row["iterations"] == bench.LAYOUT_ITER and row["fit_s"] > 0
        assert row["ratio_to_c"] > 0 and row["per_iter_ratio_to_c"] > 0
        assert row["fit_s_min"] <= row["fit_s"] <= row["fit_s_max"]
        # Every memory layout trains and predicts the very same numbers.
        assert row["same_test_predictions"] is True
        assert row["same_train_predictions"] is True
    assert rows[0]["ratio_to_c"] == 1.0
    table = _markdown_table(text, "| layout |")
    _check_table(rows, bench.LAYOUT_COLUMNS, table, _read_csv(csv_path))


def test_bench_vs_mlp_quick(tmp_path, capsys):
    bench = _load("bench_vs_mlp")
    csv_path = tmp_path / "bench.csv"
    markdown_path = tmp_path / "bench.md"
    results = bench.main(
        [
            "--quick",
            "--no-torch",
            "--csv",
            str(csv_path),
            "--markdown",
            str(markdown_path),
            "--plot",
            str(tmp_path / "b.png"),
        ]
    )
    out = capsys.readouterr().out
    assert "SigmoidMLPRegressor" in out and bench.DTYPE_NOTE in out
    rows = results["models"]
    assert {row["model"] for row in rows} == {"SigmoidMLPRegressor", "MLPRegressor"}
    assert {row["dtype"] for row in rows} == {"float64", "float32"}
    for row in rows:
        # Same dtypes for every model: y in X's dtype.
        assert row["y_dtype"] == row["dtype"]
        assert row["iterations"] == 5 and row["fit_s"] > 0
        assert row["ms_per_iter"] > 0 and row["ratio_to_mlp"] > 0
        assert row["floor_ms_per_eval"] > 0
        if row["model"] == "SigmoidMLPRegressor":
            assert row["kernel_ms_per_eval"] > 0 and row["kernel_over_floor"] > 0
        else:
            assert row["ratio_to_mlp"] == 1.0
    _check_table(
        rows,
        bench.COLUMNS,
        _markdown_table(out, "| data |"),
        _read_csv(csv_path),
    )
    # --quick runs a tiny layouts workload too, with its own CSV.
    _check_layouts(bench, results["layouts"], out, tmp_path / "bench_layouts.csv")
    assert markdown_path.read_text() in out


def test_bench_vs_mlp_layouts_only(tmp_path, capsys):
    bench = _load("bench_vs_mlp")
    csv_path = tmp_path / "layouts_only.csv"
    results = bench.main(
        [
            "--quick",
            "--layouts",
            "--layout-rows",
            "700",
            "--csv",
            str(csv_path),
        ]
    )
    out = capsys.readouterr().out
    assert set(results) == {"layouts"} and "| data |" not in out
    assert not csv_path.exists()
    rows = results["layouts"]
    assert {row["rows"] for row in rows} == {700}
    _check_layouts(bench, rows, out, tmp_path / "layouts_only_layouts.csv")


def test_layout_copies_hold_the_same_values(tmp_path):
    import numpy as np

    bench = _load("bench_vs_mlp")
    X = np.random.default_rng(0).normal(size=(50, 3))
    copies = bench.layout_copies(X, str(tmp_path))
    assert copies["Fortran order"].flags.f_contiguous
    assert not copies["strided view"].flags.c_contiguous
    assert isinstance(copies["memmap"], np.memmap)
    for array in copies.values():
        assert np.array_equal(array, X)


def test_min_max_target_round_trip():
    import numpy as np
    from _targets import MinMaxTarget

    y = np.array([3.0, -1.0, 5.0, 2.0])
    target = MinMaxTarget(y)
    network = target.to_network(y)
    assert np.allclose(network, [0.6, 0.2, 0.8, 0.5])
    assert np.allclose(target.to_target(network), y)


def test_bench_lm_quick(tmp_path, capsys):
    bench = _load("bench_lm")
    csv_path = tmp_path / "lm.csv"
    rows = bench.main(
        ["--quick", "--csv", str(csv_path), "--plot", str(tmp_path / "lm.png")]
    )
    out = capsys.readouterr().out
    assert {row["solver"] for row in rows} == {"lm", "lbfgs", "gd", "MLPRegressor"}
    table = _markdown_table(out, "| problem |")
    csv_rows = _read_csv(csv_path)
    assert len(rows) == len(table) == len(csv_rows)
    for row, cells, csv_row in zip(rows, table, csv_rows, strict=True):
        assert cells[:3] == [row["problem"], str(row["seed"]), row["solver"]]
        assert csv_row["solver"] == row["solver"]
        assert row["mse@1.0s"] > 0


def test_bench_lm_dampings_quick(tmp_path, capsys):
    bench = _load("bench_lm")
    from sklearn_sigmoidnet.solvers import DAMPINGS

    csv_path = tmp_path / "dampings.csv"
    markdown_path = tmp_path / "dampings.md"
    rows = bench.main(
        [
            "--quick",
            "--dampings",
            "--csv",
            str(csv_path),
            "--markdown",
            str(markdown_path),
            "--plot",
            str(tmp_path / "d.png"),
        ]
    )
    out = capsys.readouterr().out
    solvers = [f"lm:{damping}" for damping in DAMPINGS] + ["lbfgs"]
    assert [row["solver"] for row in rows[: len(solvers)]] == solvers
    for row in rows:
        assert row["mse@1.0s"] > 0
    # The dampings give different trajectories: the option reached the solver.
    first_problem = rows[: len(DAMPINGS)]
    assert len({row["mse@1.0s"] for row in first_problem}) == len(DAMPINGS)
    assert len(_read_csv(csv_path)) == len(_markdown_table(out, "| problem |"))
    assert "| problem |" in markdown_path.read_text()


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_damped_lm_matches_the_estimator():
    """The public pieces put together as the estimator does give its lm fit
    (up to the last bits: the estimator trains on a canonical sample order)."""
    import numpy as np

    bench = _load("bench_lm")
    _, X, y, _, _ = next(bench.problems(quick=True))
    damped = bench.DampedLM("identity", seed=0, max_iter=5).fit(X, y)
    estimator = bench.make_model("lm", seed=0, max_iter=5).fit(X, y)
    assert damped.n_iter_ == estimator.n_iter_ == 5
    assert np.allclose(damped.predict(X), estimator.predict(X), rtol=1e-7)


def test_bench_threads_quick(tmp_path, capsys):
    bench = _load("bench_threads")
    csv_path = tmp_path / "threads.csv"
    markdown_path = tmp_path / "threads.md"
    rows = bench.main(
        ["--quick", "--csv", str(csv_path), "--markdown", str(markdown_path)]
    )
    out = capsys.readouterr().out
    assert [(row["solver"], row["n_jobs"]) for row in rows] == [
        ("lm", 1),
        ("lm", 2),
        ("lbfgs", 1),
        ("lbfgs", 2),
    ]
    for row in rows:
        assert row["blocks"] >= 2  # so that two threads have blocks to share
        assert row["fit_s"] > 0 and row["ms_per_iter"] > 0
        assert row["ratio_to_1_thread"] > 0 and row["paired_ratio_median"] > 0
        # Identical results for every n_jobs, as the estimator promises.
        assert row["same_predictions"] is True and row["same_loss_curve"] is True
        if row["n_jobs"] == 1:
            assert row["ratio_to_1_thread"] == 1.0
    _check_table(
        rows,
        bench.COLUMNS,
        _markdown_table(out, "| solver |"),
        _read_csv(csv_path),
    )
    assert "| solver |" in markdown_path.read_text()


def test_bench_memory_small(capsys):
    bench = _load("bench_memory")
    results = bench.main(["--rows", "20000", "--iterations", "2"])
    assert set(results) == {"SigmoidMLPRegressor", "MLPRegressor"}
    # The row-block kernel keeps far less than MLPRegressor's full activations.
    assert results["SigmoidMLPRegressor"] < results["MLPRegressor"]
    assert "peak MiB beyond the data" in capsys.readouterr().out


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("script", ["bench_realdata", "bench_proxy"])
def test_the_real_data_suites_quick(script, capsys):
    """Both suites share bench_realdata's runner: one row per model and data
    set, and a summary table with each model's median R^2 and its gap to
    RidgeCV (0 for RidgeCV itself)."""
    _load(script).main(["--quick", "--splits", "2"])
    out = capsys.readouterr().out
    table = _markdown_table(out, "| model |")
    models = [cells[0] for cells in table]
    assert models[-1] == "RidgeCV" and len(models) >= 2
    assert table[-1][2] == "+0.000"
    for cells in table:
        assert -1.0 <= float(cells[1]) <= 1.0
