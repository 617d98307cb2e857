"""scikit-learn's common estimator checks for every solver, no expected failures."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_sigmoidnet import SigmoidMLPRegressor


@parametrize_with_checks(
    [
        SigmoidMLPRegressor(),  # solver="auto", alpha="auto": the defaults
        SigmoidMLPRegressor(solver="lbfgs"),
        SigmoidMLPRegressor(solver="gd"),
        SigmoidMLPRegressor(solver="lm"),
    ]
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
