"""The solvers run with BLAS on one thread, as the estimator runs them: SciPy's
L-BFGS-B makes many tiny BLAS calls, which OpenBLAS's own threads slow down
many times over."""

import pytest

from sklearn_sigmoidnet._threads import blas_single_threaded


@pytest.fixture(autouse=True)
def blas_as_in_a_fit():
    with blas_single_threaded():
        yield
