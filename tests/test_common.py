"""scikit-learn's common estimator checks for every solver, no expected failures."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_sigmoidnet import SigmoidMLPRegressor


@parametrize_with_checks(
    [
        SigmoidMLPRegressor(solver="lbfgs"),
        SigmoidMLPRegressor(solver="gd"),
        # Levenberg-Marquardt factorises a P x P matrix per step: with the
        # default 100 hidden units and the checks' 30-feature data, P = 3201
        # and the checks take minutes. 20 hidden units run the same code.
        SigmoidMLPRegressor(solver="lm", n_hidden=20),
    ]
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
