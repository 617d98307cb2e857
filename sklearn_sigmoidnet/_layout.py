"""The flat parameter vector: where W1 and W2 live in it, and where it starts."""

import numpy as np

__all__ = ["PENALTY_GROUPS", "ParameterLayout", "glorot_uniform"]

# The groups of weights with a prior of their own under alpha="auto", in the
# order of ParameterLayout.penalty_groups and of an array-valued alpha_.
PENALTY_GROUPS = ("input weights", "hidden biases", "output weights")


class ParameterLayout:
    """Layout of the flat parameter vector ``theta = [W1.ravel(), W2.ravel()]``.

    Parameters
    ----------
    n_features : int
        Number of input features (without the appended column of ones).
    n_hidden : int
        Number of hidden units.
    n_outputs : int
        Number of outputs.

    Examples
    --------
    >>> layout = ParameterLayout(n_features=3, n_hidden=4, n_outputs=2)
    >>> layout.n_parameters
    26
    >>> theta = np.arange(26.0)
    >>> W1, W2 = layout.unpack(theta)
    >>> W1.shape, W2.shape
    ((4, 4), (5, 2))
    >>> np.shares_memory(W1, theta)
    True
    """

    def __init__(self, n_features, n_hidden, n_outputs):
        self.n_features = int(n_features)
        self.n_hidden = int(n_hidden)
        self.n_outputs = int(n_outputs)
        self.shape1 = (self.n_features + 1, self.n_hidden)
        self.shape2 = (self.n_hidden + 1, self.n_outputs)
        self.size1 = self.shape1[0] * self.shape1[1]
        self.n_parameters = self.size1 + self.shape2[0] * self.shape2[1]

    def unpack(self, theta):
        """Return ``(W1, W2)`` as reshaped views of the flat vector ``theta``."""
        W1 = theta[: self.size1].reshape(self.shape1)
        W2 = theta[self.size1 :].reshape(self.shape2)
        return W1, W2

    def pack(self, W1, W2, dtype=None):
        """Return a new flat vector holding ``W1`` and ``W2``."""
        dtype = np.result_type(W1, W2) if dtype is None else dtype
        theta = np.empty(self.n_parameters, dtype=dtype)
        out1, out2 = self.unpack(theta)
        out1[...] = W1
        out2[...] = W2
        return theta

    def penalty_groups(self):
        """The prior group of each parameter under ``alpha="auto"``: 0 for the
        input weights, 1 for the hidden biases, 2 for the output weights, -1
        for the output biases (a flat prior, never penalised)."""
        groups = np.empty(self.n_parameters, dtype=np.intp)
        G1, G2 = self.unpack(groups)
        G1[:-1], G1[-1], G2[:-1], G2[-1] = 0, 1, 2, -1
        return groups

    def penalties(self, alpha, dtype=np.float64):
        """The L2 penalty of each parameter: a float ``alpha`` on every
        non-bias weight, or ``alpha[g]`` on the parameters of group ``g`` of
        :meth:`penalty_groups` for an array of three."""
        if np.ndim(alpha) == 0:
            return float(alpha) * self.penalty_mask(dtype)
        alpha = np.asarray(alpha, dtype=np.float64)
        if alpha.shape != (len(PENALTY_GROUPS),):
            raise ValueError(
                f"alpha must be a float or an array of {len(PENALTY_GROUPS)} "
                f"penalties ({', '.join(PENALTY_GROUPS)}); got shape {alpha.shape}."
            )
        groups = self.penalty_groups()
        return np.where(groups >= 0, alpha[groups], 0.0).astype(dtype)

    def penalty_mask(self, dtype=np.float64):
        """Flat vector with 1 on the penalised weights and 0 on the two bias rows."""
        mask = np.ones(self.n_parameters, dtype=dtype)
        M1, M2 = self.unpack(mask)
        M1[-1] = 0.0
        M2[-1] = 0.0
        return mask


def glorot_uniform(layout, random_state):
    """Initial weights and biases, Glorot-uniform as MLPRegressor's for "logistic".

    Every entry of ``W``, biases included, is drawn from
    ``U(-b, b)`` with ``b = sqrt(2 / (fan_in + fan_out))``, first W1 then W2.

    Parameters
    ----------
    layout : ParameterLayout
    random_state : numpy.random.RandomState

    Returns
    -------
    theta : ndarray of shape (layout.n_parameters,), float64

    Examples
    --------
    >>> layout = ParameterLayout(n_features=3, n_hidden=4, n_outputs=1)
    >>> theta = glorot_uniform(layout, np.random.RandomState(0))
    >>> bool(np.abs(theta[: layout.size1]).max() <= np.sqrt(2 / 7))
    True
    """
    theta = np.empty(layout.n_parameters)
    W1, W2 = layout.unpack(theta)
    for W, (fan_in, fan_out) in (
        (W1, (layout.n_features, layout.n_hidden)),
        (W2, (layout.n_hidden, layout.n_outputs)),
    ):
        bound = np.sqrt(2.0 / (fan_in + fan_out))
        W[...] = random_state.uniform(-bound, bound, size=W.shape)
    return theta


def penalty_terms(layout, alpha, weight_sum, mask, dtype):
    """The kernels' form of an L2 penalty ``alpha``.

    Returns ``(alpha, scale, (factor, weights))``: ``alpha`` as a float or a
    float64 array of three; ``scale`` the factor of the loss's penalty sum
    (``alpha`` for a float, 1 for three penalties); ``factor * weights`` each
    parameter's penalty divided by the weight sum ``S`` (``mask`` is
    :meth:`ParameterLayout.penalty_mask` in ``dtype``), the scaling the loss
    (1) is written with.
    """
    if np.ndim(alpha) == 0:
        alpha = float(alpha)
        return alpha, alpha, (alpha / weight_sum if weight_sum else 0.0, mask)
    alpha = np.array(alpha, dtype=np.float64)
    inverse = 1.0 / weight_sum if weight_sum else 0.0
    return alpha, 1.0, (inverse, layout.penalties(alpha, dtype))
