"""The installed distribution: one version, its license, every module importable.

CI also runs the whole suite against the built wheel, installed (not
editable) in a fresh environment, so a module left out of the wheel fails
there; these tests say what the package metadata must hold.
"""

import importlib
import pkgutil
from importlib.metadata import metadata, version

import pytest

import sklearn_sigmoidnet

DISTRIBUTION = "sklearn-sigmoidnet"


def test_version_is_single_sourced():
    """setuptools reads ``sklearn_sigmoidnet.__version__`` into the metadata."""
    assert version(DISTRIBUTION) == sklearn_sigmoidnet.__version__


def test_license_is_an_spdx_expression_with_its_text():
    meta = metadata(DISTRIBUTION)
    assert meta["License-Expression"] == "BSD-3-Clause"
    assert "LICENSE" in (meta.get_all("License-File") or [])
    assert not [c for c in meta.get_all("Classifier") or [] if c.startswith("License")]


def _modules():
    prefix = sklearn_sigmoidnet.__name__ + "."
    for info in pkgutil.walk_packages(sklearn_sigmoidnet.__path__, prefix):
        yield info.name


def test_subpackages_are_shipped():
    assert "sklearn_sigmoidnet.solvers" in set(_modules())


@pytest.mark.parametrize("name", sorted(_modules()))
def test_every_module_imports(name):
    importlib.import_module(name)


def test_public_api():
    from sklearn_sigmoidnet import solvers

    for name in set(sklearn_sigmoidnet.__all__) - {"SKOPS_TRUSTED_TYPES"}:
        assert getattr(sklearn_sigmoidnet, name).__module__.startswith(
            "sklearn_sigmoidnet."
        )
    for name in ["Objective", "SolverResult", "gradient_descent", "lbfgs"]:
        assert name in solvers.__all__
    assert "levenberg_marquardt" in solvers.__all__
