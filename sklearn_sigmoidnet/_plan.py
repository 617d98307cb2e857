"""The fit plan: every decision made before training, frozen.

:func:`plan_fit` turns the estimator's parameters and the shape of the data
into a :class:`FitPlan`: the solver that runs, the form of the penalty (the one
place that decides whether ``alpha`` is ``"auto"``), the budgets, the held-out
share and the :class:`GaussNewtonBudget`, the one cost model of the
Gauss-Newton matrix that the solver choice, the posterior and
``predict(return_std=True)``'s message all use.
"""

from dataclasses import dataclass, replace

import numpy as np

from ._layout import PENALTY_GROUPS, ParameterLayout

__all__ = [
    "INITIAL_AUTO_ALPHA",
    "FitPlan",
    "GaussNewtonBudget",
    "PenaltySetting",
    "penalty_setting",
    "plan_fit",
]

# The penalty alpha = a / b of every group that alpha="auto" starts from (on
# the network's scale, where the targets span target_range).
INITIAL_AUTO_ALPHA = 1e-2


@dataclass(frozen=True)
class GaussNewtonBudget:
    """What the posterior precision costs on a data set, and which form pays.

    One cost model, and :attr:`form` the one choice of how ``A = b J^T J +
    diag(a)`` is represented for the evidence of ``alpha="auto"``, its
    leave-one-out check and the posterior (:mod:`._curvature`), in this order:

    - ``"full"``: the ``P x P`` matrix. Forming ``J^T J`` over ``n_rows``
      rows takes ``n_rows P^2`` multiply-adds, factorising and inverting it
      about ``2 P^3``, so ``work = (n_rows + 2 P) P^2``; the matrix itself
      takes ``8 P^2`` bytes. Used while the work is at most ``ONCE_WORK`` and
      ``P`` at most ``MAX_PARAMETERS`` (:attr:`full`).
    - ``"row_space"``: the exact Woodbury form (:mod:`._row_space`) in the
      ``n_rows n_outputs`` rows of ``J``: :attr:`row_space_work` ``= 2 (n
      m)^2 P + (n m)^3``, and at most four arrays of ``n m P`` doubles (in
      all at most the largest full matrix, ``MAX_PARAMETERS^2``). Used,
      beyond the full matrix, while that work is at most ``ONCE_WORK``: far
      more weights than rows.
    - ``"kronecker"``: the Kronecker-factored approximation, one pass of
      about ``n_rows (n_in^2 + n_outputs K^2)`` (:attr:`structured_work`).

    Only ``solver="lm"`` needs the full matrix whatever its cost, and is
    refused beyond ``MAX_PARAMETERS`` weights.

    Parameters
    ----------
    n_rows : int
        Training rows the matrix is summed over.
    n_parameters : int
        ``P``.

    Examples
    --------
    >>> budget = GaussNewtonBudget(n_rows=1000, n_parameters=100)
    >>> budget.work, budget.every_step, budget.once, budget.form
    (12000000, True, True, 'full')
    >>> GaussNewtonBudget(20, 6001, n_inputs=10, n_hidden=500).form
    'row_space'
    >>> GaussNewtonBudget(5000, 2601, n_inputs=50, n_hidden=50).form
    'kronecker'
    """

    n_rows: int
    n_parameters: int
    n_inputs: int = 0
    n_hidden: int = 0
    n_outputs: int = 1

    #: Most weights whose matrix is formed at all (P^2 doubles: 128 MiB).
    MAX_PARAMETERS = 4000
    #: Most work per iteration: Levenberg-Marquardt with an evidence update
    #: after every step (``solver="auto"`` picks it up to this).
    EVERY_STEP_WORK = 1e8
    #: Most work for one posterior at the end of a fit with a float alpha.
    ONCE_WORK = 2.5e9

    @property
    def work(self):
        P = self.n_parameters
        return (self.n_rows + 2 * P) * P**2

    @property
    def fits_in_memory(self):
        return self.n_parameters <= self.MAX_PARAMETERS

    @property
    def full(self):
        """Whether the evidence and the posterior use the full matrix (it
        pays once per evidence update); beyond it, :attr:`form` says which."""
        return self.fits_in_memory and self.work <= self.ONCE_WORK

    @property
    def row_space_work(self):
        """Multiply-adds of the row-space form: ``C = b^-1 I + J D^-1 J^T``,
        its Cholesky factor and ``L^-1 J``, ``2 (n m)^2 P + (n m)^3``."""
        rows = self.n_rows * self.n_outputs
        return 2 * rows**2 * self.n_parameters + rows**3

    @property
    def row_space_fits_in_memory(self):
        """Whether the row-space form's arrays of ``n m P`` doubles, at most
        four at once (``J``, ``L^-1 J`` and the ``V`` of the latest and of the
        best mode), are at most the largest full matrix."""
        rows = self.n_rows * self.n_outputs
        return 4 * rows * self.n_parameters <= self.MAX_PARAMETERS**2

    @property
    def form(self):
        """The form of the posterior precision: ``"full"`` (:attr:`full`),
        else ``"row_space"`` where its memory fits and its work is at most
        ``ONCE_WORK``, else ``"kronecker"``."""
        if self.full:
            return "full"
        if self.row_space_fits_in_memory and self.row_space_work <= self.ONCE_WORK:
            return "row_space"
        return "kronecker"

    @property
    def structured_work(self):
        """Multiply-adds of one Kronecker-factored curvature: its pass over
        the rows and its decompositions."""
        n_in, K = self.n_inputs + 1, self.n_hidden
        per_row = n_in**2 + self.n_outputs * (K**2 + n_in * K)
        return self.n_rows * per_row + n_in**3 + (self.n_outputs + 1) * K**3

    @property
    def posterior_pays(self):
        """Whether the posterior of a fit with a float alpha pays: the full
        matrix or the row-space form (chosen only where they pay), or the
        structured curvature while its pass costs at most ``ONCE_WORK``.
        (``alpha="auto"`` computes it always.)"""
        return self.form != "kronecker" or self.structured_work <= self.ONCE_WORK

    @property
    def every_step(self):
        """Whether the matrix pays at every iteration."""
        return self.fits_in_memory and self.work <= self.EVERY_STEP_WORK

    @property
    def once(self):
        """Whether the matrix pays once, for the posterior of a fit (as
        :attr:`full`)."""
        return self.full

    def describe(self):
        """The cost model and its limits, for messages."""
        form = {
            "full": "the full matrix",
            "row_space": "the row-space form",
            "kronecker": "the Kronecker-factored curvature",
        }[self.form]
        return (
            f"the Gauss-Newton matrix of {self.n_parameters} weights over "
            f"{self.n_rows} rows costs (n_rows + 2 P) P^2 = {self.work:.3g} "
            f"operations; the evidence and the posterior use the full matrix "
            f"while that cost is at most {self.ONCE_WORK:.3g} (and P at most "
            f"{self.MAX_PARAMETERS}), else the row-space form while 2 (n_rows "
            f"n_outputs)^2 P + (n_rows n_outputs)^3 = {self.row_space_work:.3g} "
            f"is at most {self.ONCE_WORK:.3g} (and n_rows n_outputs P at most "
            f"{self.MAX_PARAMETERS**2}), else the Kronecker-factored curvature "
            f"({self.structured_work:.3g} operations), which with a float alpha "
            f"is computed while it costs at most {self.ONCE_WORK:.3g} (here "
            f"{form})"
        )


@dataclass(frozen=True)
class PenaltySetting:
    """The validated ``alpha``: re-estimated (``auto``) or fixed.

    ``initial`` is the penalty training starts from: the fixed one (a float,
    or one per group of ``PENALTY_GROUPS``), or ``INITIAL_AUTO_ALPHA`` for
    every group with ``auto``.
    """

    auto: bool
    initial: object

    @property
    def fixed(self):
        """The fixed penalty (None with ``auto``)."""
        return None if self.auto else self.initial


def penalty_setting(alpha):
    """Validate ``alpha`` (a non-negative float, three of them, or ``"auto"``).

    Examples
    --------
    >>> penalty_setting(0.5)
    PenaltySetting(auto=False, initial=0.5)
    >>> penalty_setting("auto").auto
    True
    """
    if isinstance(alpha, str) and alpha == "auto":
        return PenaltySetting(True, np.full(len(PENALTY_GROUPS), INITIAL_AUTO_ALPHA))
    try:
        values = np.asarray(alpha, dtype=np.float64)
    except (TypeError, ValueError):
        values = None
    valid = (
        values is not None
        and not isinstance(alpha, (str, bytes, dict))
        and values.shape in ((), (len(PENALTY_GROUPS),))
        and bool(np.all(np.isfinite(values) & (values >= 0)))
    )
    if not valid:
        raise ValueError(
            "alpha must be 'auto', a non-negative finite float, or "
            f"{len(PENALTY_GROUPS)} non-negative penalties (finite; for the "
            f"{', '.join(PENALTY_GROUPS)}, as alpha_ after alpha='auto'); "
            f"got {alpha!r}."
        )
    initial = float(values) if values.ndim == 0 else values
    return PenaltySetting(False, initial)


@dataclass(frozen=True)
class FitPlan:
    """Every decision of one ``fit`` or ``partial_fit`` call made before training.

    Attributes
    ----------
    solver : {"lbfgs", "gd", "lm"}
        The solver that runs (``"gd"`` for ``partial_fit``'s step).
    penalty : PenaltySetting
    layout : ParameterLayout
    budget : GaussNewtonBudget
        Of the training rows (after the held-out ones are set aside).
    n_restarts : int
        Training runs (1 when continuing a fit).
    n_validation : int
        Rows held out for early stopping (0 without).
    incremental, continuing : bool
        ``partial_fit``; a fit that goes on from fitted weights.
    max_iter, max_fun, tol, n_iter_no_change, learning_rate, momentum, verbose
        The estimator's budgets and settings, as given.
    """

    solver: str
    penalty: PenaltySetting
    layout: ParameterLayout
    budget: GaussNewtonBudget
    n_restarts: int
    n_validation: int
    incremental: bool
    continuing: bool
    max_iter: int
    max_fun: int
    tol: float
    n_iter_no_change: float
    learning_rate: float
    momentum: float
    verbose: bool

    @property
    def early_stopping(self):
        return self.n_validation > 0

    @property
    def computes_posterior(self):
        """Whether the posterior is computed at the end (in the form
        :attr:`GaussNewtonBudget.form` says): always
        with ``alpha="auto"``, with a float alpha while it pays
        (:attr:`GaussNewtonBudget.posterior_pays`); never for ``partial_fit``."""
        if self.incremental:
            return False
        return self.penalty.auto or self.budget.posterior_pays


def _held_out_rows(n_samples, fraction):
    n_validation = int(np.ceil(fraction * n_samples))
    if n_validation < 2 or n_samples - n_validation < 1:
        raise ValueError(
            f"early_stopping=True: validation_fraction={fraction} of {n_samples} "
            "samples leaves too few samples for a validation score (at least 2) "
            "or for training; use more data or early_stopping=False."
        )
    return n_validation


def _chosen_solver(solver, penalty, budget, incremental):
    if incremental:
        return "gd"  # partial_fit's gradient steps, whatever solver is
    if solver == "auto":
        return "lm" if penalty.auto and budget.every_step else "lbfgs"
    return solver


def _check_matrix_size(solver, budget, layout):
    """solver="lm" needs the P x P Gauss-Newton matrix at every step."""
    if solver == "lm" and not budget.fits_in_memory:
        P = budget.n_parameters
        raise ValueError(
            f"solver='lm' forms and factorises a {P} x {P} matrix (one "
            f"row per weight: {layout.n_features} features and {layout.n_hidden} "
            f"hidden units give {P} weights), more than the limit of "
            f"{budget.MAX_PARAMETERS} weights. Use fewer hidden units, or "
            "solver='lbfgs' (alpha='auto' and return_std then use the "
            "row-space form or a Kronecker-factored curvature)."
        )


def plan_fit(
    params,
    *,
    n_samples,
    n_features,
    n_outputs,
    incremental,
    continuing,
    previous_alpha=None,
):
    """The :class:`FitPlan` of a call, from the estimator's ``get_params()``.

    ``previous_alpha`` is the fitted ``alpha_`` when continuing: with
    ``alpha="auto"``, training goes on from the three penalties of an
    ``alpha="auto"`` fit. Raises ``ValueError`` for an invalid ``alpha``, too
    few rows to hold out, or ``solver="lm"`` beyond
    ``GaussNewtonBudget.MAX_PARAMETERS`` weights.
    """
    penalty = penalty_setting(params["alpha"])
    if penalty.auto and continuing and np.ndim(previous_alpha) == 1:
        penalty = replace(penalty, initial=np.array(previous_alpha, dtype=np.float64))
    layout = ParameterLayout(n_features, params["n_hidden"], n_outputs)
    n_validation = 0
    if params["early_stopping"] and not incremental:
        n_validation = _held_out_rows(n_samples, params["validation_fraction"])
    budget = GaussNewtonBudget(
        n_samples - n_validation,
        layout.n_parameters,
        n_features,
        layout.n_hidden,
        n_outputs,
    )
    solver = _chosen_solver(params["solver"], penalty, budget, incremental)
    if not incremental:
        _check_matrix_size(solver, budget, layout)
    return FitPlan(
        solver=solver,
        penalty=penalty,
        layout=layout,
        budget=budget,
        n_restarts=1 if continuing else params["n_init"],
        n_validation=n_validation,
        incremental=incremental,
        continuing=continuing,
        max_iter=params["max_iter"],
        max_fun=params["max_fun"],
        tol=params["tol"],
        n_iter_no_change=params["n_iter_no_change"],
        learning_rate=params["learning_rate"],
        momentum=params["momentum"],
        verbose=params["verbose"],
    )
