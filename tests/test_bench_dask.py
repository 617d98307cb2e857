"""benchmarks/bench_dask.py runs (quick mode), and its table holds what it
says: the same rows in Markdown and CSV, positive times and ratios, the
estimator's fits on dask agreeing with each other bit for bit and with the
in-memory fit to rounding."""

import csv
import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("distributed")

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))
import _output  # noqa: E402  (the benchmarks' shared table writer)


def _load(name):
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_bench_dask_quick(tmp_path, capsys):
    bench = _load("bench_dask")
    csv_path, markdown_path = tmp_path / "dask.csv", tmp_path / "dask.md"
    rows = bench.main(
        [
            "--quick",
            "--csv",
            str(csv_path),
            "--markdown",
            str(markdown_path),
        ]
    )
    out = capsys.readouterr().out
    assert [row["kind"] for row in rows] == ["memory", "dask"]
    for row in rows:
        assert row["fit_s"] > 0 and row["ms_per_iter"] > 0
        assert 0 < row["outside_s"] < row["fit_s"]
        assert row["ratio_to_memory"] > 0 and row["paired_ratio_median"] > 0
        assert row["fit_ratio_to_memory"] > 0
        assert row["iterations"] == 3 and row["repeats"] == 2
        assert row["same_bits_every_repeat"] is True
        assert row["max_rel_weight_diff"] < 1e-6  # three iterations: rounding only
    assert rows[0]["ratio_to_memory"] == 1.0 and rows[0]["fit_ratio_to_memory"] == 1.0
    assert rows[1]["chunks"] == 4 and rows[1]["workers"] == 2
    assert "Per-iteration ratio" in out
    with open(csv_path, newline="") as handle:
        csv_rows = list(csv.DictReader(handle))
    lines = out[out.index("| fit on |") :].splitlines()[2 : 2 + len(rows)]
    assert len(csv_rows) == len(rows)
    for row, line, csv_row in zip(rows, lines, csv_rows, strict=True):
        assert list(csv_row) == [key for key, _, _ in bench.COLUMNS]
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        assert cells == [_output.cell(row, key, fmt) for key, _, fmt in bench.COLUMNS]
    assert "| fit on |" in markdown_path.read_text()


def test_the_chunks_are_made_on_the_workers_from_their_index():
    bench = _load("bench_dask")
    X, y = bench.dask_friedman(1000, 3)
    assert X.chunks == ((334, 334, 332), (10,)) and y.chunks == ((334, 334, 332),)
    again = bench.dask_friedman(1000, 3)[0].compute(scheduler="sync")
    np.testing.assert_array_equal(X.compute(scheduler="sync"), again)
    first = X.blocks[1].compute(scheduler="sync")
    np.testing.assert_array_equal(first, bench.friedman_chunk((1,), 334, "X"))
    assert abs(first.mean()) < 0.2 and abs(first.std() - 1) < 0.05
