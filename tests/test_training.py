"""Bayesian regularisation, predictive uncertainty and restarts, end to end
(_training.py through the estimator)."""

import numpy as np
import pytest
from _reference import central_differences
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError

from sklearn_sigmoidnet import (
    NetworkKernel,
    ParameterLayout,
    SigmoidMLPRegressor,
    glorot_uniform,
    loss_and_gradient,
)
from sklearn_sigmoidnet._posterior import Posterior

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _known_network(seed):
    """A 5-input, 3-hidden sigmoid network with a linear output."""
    rng = np.random.default_rng(seed)
    W1 = rng.normal(scale=1.5, size=(5, 3))
    b1 = rng.normal(size=3)
    W2 = rng.normal(scale=3, size=3)
    return lambda X: _sigmoid(X @ W1 + b1) @ W2


def test_output_gradients_match_central_differences():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(7, 3))
    layout = ParameterLayout(3, 4, 2)
    theta = rng.normal(size=layout.n_parameters)
    with NetworkKernel(X, layout=layout) as kernel:
        numeric = central_differences(lambda t: kernel.predict(t).copy(), theta)
        # with C = e_k e_k^T, g^T C g is the square of one gradient entry
        for k in (0, 5, layout.size1 + 1, layout.n_parameters - 1):
            covariance = np.zeros((layout.n_parameters, layout.n_parameters))
            covariance[k, k] = 1.0
            squared = kernel.output_variances(theta, covariance)
            np.testing.assert_allclose(squared, numeric[:, :, k] ** 2, rtol=1e-6)


@pytest.mark.parametrize("solver", ["lbfgs", "lm"])
@pytest.mark.parametrize("seed", [0, 1])
def test_noise_variance_and_interval_coverage_on_a_known_network(solver, seed):
    """400 noisy rows from a known network (sigma = 0.5): the noise variance
    within 20% and 95% intervals covering 92%-97.5% of 4000 fresh draws
    (two repetitions per solver, seeds 0 and 1)."""
    truth, sigma = _known_network(seed), 0.5
    rng = np.random.default_rng(100 + seed)
    X = rng.normal(size=(400, 5))
    y = truth(X) + sigma * rng.normal(size=400)
    model = SigmoidMLPRegressor(
        n_hidden=5, solver=solver, alpha="auto", max_iter=500, random_state=seed
    ).fit(X, y)
    assert model.noise_variance_[0] == pytest.approx(sigma**2, rel=0.2)
    X_new = rng.normal(size=(4000, 5))
    y_new = truth(X_new) + sigma * rng.normal(size=4000)
    mean, std = model.predict(X_new, return_std=True)
    coverage = np.mean(np.abs(y_new - mean) <= 1.96 * std)
    assert 0.92 <= coverage <= 0.975
    assert std.min() >= np.sqrt(model.noise_variance_[0]) - 1e-12


@pytest.mark.parametrize("solver", ["lbfgs", "lm"])
def test_auto_alpha_attributes(solver):
    X = np.random.default_rng(1).normal(size=(150, 4))
    y = np.sin(X[:, 0]) + 0.2 * np.random.default_rng(2).normal(size=150)
    model = SigmoidMLPRegressor(
        n_hidden=6, solver=solver, alpha="auto", random_state=0
    ).fit(X, y)
    # penalised: input weights, hidden biases, output weights; flat: output bias
    n_weights = 4 * 6 + 6 + 6
    n_flat = 1
    assert len(model.alpha_history_) == len(model.gamma_history_) >= 1
    assert model.alpha_.shape == (3,) and np.all(model.alpha_ > 0)
    assert all(alpha.shape == (3,) for alpha in model.alpha_history_)
    assert np.isfinite(model.log_evidence_)
    assert n_flat <= model.n_effective_parameters_ <= n_weights + n_flat
    assert all(0 <= g <= n_weights for g in model.gamma_history_)
    # three priors of their own: the penalties differ between the groups
    assert len(set(model.alpha_.tolist())) == 3
    assert model.noise_variance_.shape == (1,)
    assert 0.02 < model.noise_variance_[0] < 0.08  # sigma^2 = 0.04


def test_float_alpha_keeps_alpha_and_gives_a_std():
    X = np.random.default_rng(3).normal(size=(120, 3))
    y = X[:, 0] - X[:, 1] ** 2
    model = SigmoidMLPRegressor(n_hidden=5, alpha=0.01, random_state=0).fit(X, y)
    assert model.alpha_ == 0.01 and model.alpha_history_ is None
    mean, std = model.predict(X[:10], return_std=True)
    np.testing.assert_array_equal(mean, model.predict(X[:10]))
    assert std.shape == (10,) and np.all(std > 0)


def test_several_outputs_have_one_std_each():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(200, 3))
    Y = np.column_stack([X[:, 0], 10 * np.sin(X[:, 1])]) + 0.1 * rng.normal(
        size=(200, 2)
    )
    model = SigmoidMLPRegressor(n_hidden=6, alpha="auto", random_state=0).fit(X, Y)
    mean, std = model.predict(X[:20], return_std=True)
    assert mean.shape == std.shape == (20, 2)
    assert model.noise_variance_.shape == (2,)
    # the second output's units are 10 times larger (its range is too)
    assert np.median(std[:, 1] / std[:, 0]) > 3


def test_return_std_through_a_pipeline():
    X = np.random.default_rng(5).normal(size=(100, 3)) * [1, 10, 100]
    y = X[:, 0] + 0.01 * X[:, 1]
    pipeline = make_pipeline(
        StandardScaler(), SigmoidMLPRegressor(n_hidden=4, alpha="auto", random_state=0)
    ).fit(X, y)
    mean, std = pipeline.predict(X[:5], return_std=True)
    np.testing.assert_array_equal(mean, pipeline.predict(X[:5]))
    np.testing.assert_array_equal(
        std, pipeline[-1].predict(pipeline[0].transform(X[:5]), return_std=True)[1]
    )


def test_n_init_keeps_the_best_restart_and_records_all():
    X = np.random.default_rng(6).normal(size=(150, 4))
    y = np.sin(2 * X[:, 0]) * X[:, 1]
    single = SigmoidMLPRegressor(
        n_hidden=5, alpha=1e-3, max_iter=50, random_state=0
    ).fit(X, y)
    several = SigmoidMLPRegressor(
        n_hidden=5, alpha=1e-3, max_iter=50, n_init=4, random_state=0
    ).fit(X, y)
    assert len(several.restart_losses_) == 4 and len(single.restart_losses_) == 1
    # the first restart is n_init=1's fit, bit for bit
    assert several.restart_losses_[0] == single.loss_
    assert several.loss_ == min(several.restart_losses_)


def test_n_init_with_auto_alpha_keeps_the_highest_evidence():
    X = np.random.default_rng(7).normal(size=(120, 3))
    y = np.tanh(X[:, 0]) + 0.1 * X[:, 2]
    model = SigmoidMLPRegressor(n_hidden=4, alpha="auto", n_init=3, random_state=0).fit(
        X, y
    )
    assert len(model.restart_losses_) == 3
    assert np.isfinite(model.log_evidence_)


# ---------------------------------------------------------------- bad input
def test_return_std_before_fit_is_not_fitted():
    with pytest.raises(NotFittedError):
        SigmoidMLPRegressor().predict(np.zeros((2, 2)), return_std=True)


def test_n_init_zero_is_a_parameter_error():
    with pytest.raises(InvalidParameterError, match="n_init"):
        SigmoidMLPRegressor(n_init=0).fit(np.zeros((3, 2)), np.arange(3.0))


def test_lm_beyond_the_hessian_limit_names_it():
    """solver="lm" needs the full matrix at every step: refused beyond 4000."""
    X = np.random.default_rng(8).normal(size=(30, 100))
    with pytest.raises(ValueError, match="solver='lm'.*limit of 4000 weights"):
        SigmoidMLPRegressor(n_hidden=50, solver="lm").fit(X, X[:, 0])


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize(
    "n_rows, form", [(30, "RowSpaceCurvature"), (600, "KroneckerCurvature")]
)
def test_auto_alpha_beyond_the_hessian_limit_uses_the_structured_curvature(
    n_rows, form
):
    """5,101 weights: the defaults fit (L-BFGS, never lm), with the row-space
    posterior on 30 rows and the Kronecker-factored one on 600 (where the
    row space costs 3.9e9); return_std is finite and above the noise."""
    rng = np.random.default_rng(8)
    X = rng.normal(size=(n_rows, 100))
    y = X[:, 0] + 0.1 * rng.normal(size=n_rows)
    model = SigmoidMLPRegressor(n_hidden=50, max_iter=60, random_state=0).fit(X, y)
    assert model._posterior.covariance.__class__.__name__ == form
    assert len(model.alpha_history_) >= 1 and np.all(model.alpha_ > 0)
    assert 1 <= model.n_effective_parameters_ <= n_rows
    assert np.isfinite(model.log_evidence_)
    mean, std = model.predict(X, return_std=True)
    noise = np.sqrt(model.noise_variance_[0])
    assert np.all(np.isfinite(std)) and std.min() >= noise - 1e-12
    assert std.max() > noise  # the weights' uncertainty adds to the noise


def test_auto_alpha_with_gradient_descent_updates_between_chunks():
    X = np.random.default_rng(10).normal(size=(100, 2))
    y = np.sin(X[:, 0])
    model = SigmoidMLPRegressor(solver="gd", max_iter=100, random_state=0).fit(X, y)
    assert model.alpha == "auto" and len(model.alpha_history_) >= 2
    np.testing.assert_array_equal(model.alpha_, model.alpha_history_[-1])


def test_return_std_of_a_large_float_alpha_fit():
    """A float alpha on a network beyond the full matrix's limit (4,801
    weights): the posterior is the structured one, and return_std works."""
    X = np.random.default_rng(9).normal(size=(200, 30))
    model = SigmoidMLPRegressor(n_hidden=150, alpha=1e-4, max_iter=3, random_state=0)
    model.fit(X, X[:, 0])
    assert 1 <= model.n_effective_parameters_ <= 200
    mean, std = model.predict(X, return_std=True)
    assert mean.shape == std.shape == (200,)
    assert np.all(np.isfinite(std))
    assert std.min() >= np.sqrt(model.noise_variance_[0]) - 1e-12


def test_return_std_after_an_interrupted_posterior_says_why():
    """Without a posterior covariance, return_std raises and says why."""
    posterior = Posterior(0.1, np.nan, np.nan, None, "the fit was interrupted.")
    with pytest.raises(ValueError, match="return_std=True needs.*interrupted"):
        posterior.predictive_std(None, None, None)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_solver_auto_picks_lm_for_small_auto_alpha_problems_only():
    """(n_samples + 2 P) P^2 <= 1e8 with alpha="auto": lm, the same fit as
    solver="lm"; a float alpha, or more rows, or a partial_fit: not lm."""
    rng = np.random.default_rng(11)
    X = rng.normal(size=(300, 4))
    y = np.sin(X[:, 0]) + 0.1 * rng.normal(size=300)
    auto = SigmoidMLPRegressor(n_hidden=5, max_iter=30, random_state=0).fit(X, y)
    lm = SigmoidMLPRegressor(n_hidden=5, solver="lm", max_iter=30, random_state=0)
    lm.fit(X, y)
    assert auto.solver == "auto" and auto.solver_ == "lm"
    np.testing.assert_array_equal(auto.predict(X), lm.predict(X))
    fixed = SigmoidMLPRegressor(n_hidden=5, alpha=1e-3, max_iter=5).fit(X, y)
    assert fixed.solver_ == "lbfgs"
    # P = 5*5 + 6 = 31 weights: (104,100 + 62) * 31^2 > 1e8
    X_large = np.repeat(X, 347, axis=0)[:104100]
    y_large = np.repeat(y, 347)[:104100]
    large = SigmoidMLPRegressor(n_hidden=5, max_iter=2).fit(X_large, y_large)
    assert large.solver_ == "lbfgs"
    assert auto.partial_fit(X, y).solver_ == "gd"
    # wide: 101 * 10 + 11 = 1021 weights, P^3 alone beyond the limit
    wide = SigmoidMLPRegressor(max_iter=2).fit(rng.normal(size=(60, 100)), y[:60])
    assert wide.solver_ == "lbfgs"


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("solver", ["lm", "lbfgs"])
def test_each_restart_starts_from_the_initial_penalty(solver):
    """alpha="auto" moves the penalties during a run; the next restart starts
    from 0.01 again: restart 2 of n_init=2 is the n_init=1 fit from the
    second draw of initial weights, bit for bit."""
    rng = np.random.default_rng(12)
    X = rng.normal(size=(120, 3))
    y = np.tanh(X[:, 0]) + 0.1 * rng.normal(size=120)
    kwargs = dict(n_hidden=4, solver=solver, max_iter=40)
    both = SigmoidMLPRegressor(n_init=2, random_state=0, **kwargs).fit(X, y)
    draws = np.random.RandomState(0)
    glorot_uniform(ParameterLayout(3, 4, 1), draws)  # the first restart's draw
    second = SigmoidMLPRegressor(random_state=draws, **kwargs).fit(X, y)
    assert both.restart_losses_[1] == second.loss_


def test_an_interrupt_skips_the_remaining_restarts(monkeypatch):
    import sklearn_sigmoidnet._kernel as kernel_module

    rng = np.random.default_rng(13)
    X = rng.normal(size=(80, 3))
    y = X[:, 0] + 0.1 * rng.normal(size=80)
    calls = {"n": 0}
    method = kernel_module.NetworkKernel.loss_gradient

    def interrupting(self, *args):
        calls["n"] += 1
        if calls["n"] == 30:  # during the second restart
            raise KeyboardInterrupt
        return method(self, *args)

    monkeypatch.setattr(kernel_module.NetworkKernel, "loss_gradient", interrupting)
    model = SigmoidMLPRegressor(
        n_hidden=3, solver="lbfgs", alpha=1e-3, max_iter=20, tol=0, n_init=4
    )
    with pytest.warns(UserWarning, match="interrupt"):
        model.fit(X, y)
    assert len(model.restart_losses_) == 2


def test_partial_fit_drops_the_posterior_of_the_old_weights():
    rng = np.random.default_rng(14)
    X = rng.normal(size=(100, 3))
    y = X[:, 0] + 0.1 * rng.normal(size=100)
    model = SigmoidMLPRegressor(n_hidden=3, random_state=0).fit(X, y)
    assert np.isfinite(model.log_evidence_)
    model.predict(X, return_std=True)
    model.partial_fit(X, y)
    # the step computes no posterior: every attribute of one is absent, as
    # on a model made by partial_fit alone, never the old fit's
    fit_only = [
        "log_evidence_",
        "n_effective_parameters_",
        "noise_variance_",
        "alpha_history_",
        "gamma_history_",
        "restart_losses_",
    ]
    assert not [name for name in fit_only if hasattr(model, name)]
    alone = SigmoidMLPRegressor(n_hidden=3, random_state=0).partial_fit(X, y)
    assert not [name for name in fit_only if hasattr(alone, name)]
    assert set(vars(alone)) == set(vars(model))
    with pytest.raises(ValueError, match="partial_fit moved the weights without"):
        model.predict(X, return_std=True)
    model.fit(X, y)
    assert model.predict(X, return_std=True)[1].shape == (100,)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_alpha_takes_the_three_penalties_of_alpha_():
    """alpha=model.alpha_ refits at the penalties the evidence chose: alpha_
    stays them, and loss_ is the loss of eq. (1) with them."""
    rng = np.random.default_rng(15)
    X = rng.normal(size=(150, 3))
    y = np.sin(X[:, 0]) + 0.1 * rng.normal(size=150)
    auto = SigmoidMLPRegressor(n_hidden=4, random_state=0).fit(X, y)
    fixed = SigmoidMLPRegressor(
        n_hidden=4, solver="lbfgs", alpha=list(auto.alpha_), random_state=0
    ).fit(X, y)
    np.testing.assert_array_equal(fixed.alpha_, auto.alpha_)
    assert fixed.alpha_history_ is None and np.isfinite(fixed.log_evidence_)
    layout = ParameterLayout(3, 4, 1)
    theta = fixed._theta()
    W1, W2 = layout.unpack(theta)
    Y = fixed._target_mapping.to_network(y[:, None])
    loss, _, _ = loss_and_gradient(X, Y, W1, W2, alpha=fixed.alpha_)
    assert loss == pytest.approx(fixed.loss_, rel=1e-12)
    for bad in ([1.0, 2.0], [1.0, -1.0, 0.0], [np.nan, 1.0, 1.0]):
        with pytest.raises(ValueError, match="3 non-negative penalties"):
            SigmoidMLPRegressor(alpha=bad).fit(X, y)
