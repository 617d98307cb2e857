"""The benchmark scripts run (quick modes), so that they never rot."""

import csv
import importlib.util
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def _load(name):
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def test_bench_vs_mlp_quick(tmp_path, capsys):
    bench = _load("bench_vs_mlp")
    csv_path = tmp_path / "bench.csv"
    rows = bench.main(
        [
            "--quick",
            "--no-torch",
            "--csv",
            str(csv_path),
            "--plot",
            str(tmp_path / "b.png"),
        ]
    )
    out = capsys.readouterr().out
    assert "| data | rows | hidden |" in out and "SigmoidMLPRegressor" in out
    models = {row["model"] for row in rows}
    assert models == {"SigmoidMLPRegressor", "MLPRegressor"}
    for row in rows:
        assert (
            row["iterations"] == 5 and row["fit_s"] > 0 and row["floor_ms_per_eval"] > 0
        )
        if row["model"] == "SigmoidMLPRegressor":
            assert row["kernel_ms_per_eval"] > 0
    with open(csv_path) as handle:
        assert len(list(csv.DictReader(handle))) == len(rows)


def test_bench_memory_small(capsys):
    bench = _load("bench_memory")
    results = bench.main(["--rows", "20000", "--iterations", "2"])
    assert set(results) == {"SigmoidMLPRegressor", "MLPRegressor"}
    # The row-block kernel keeps far less than MLPRegressor's full activations.
    assert results["SigmoidMLPRegressor"] < results["MLPRegressor"]
    assert "peak MiB beyond the data" in capsys.readouterr().out
