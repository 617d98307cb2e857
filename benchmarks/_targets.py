"""The estimator's default target map, written out for the models the
benchmarks compare with (PyTorch, the plain Levenberg-Marquardt runs).

Shared by the benchmark scripts, which run from this folder (so it is on
``sys.path``).
"""

import numpy as np


class MinMaxTarget:
    """The estimator's default target map, written out.

    ``y -> 0.2 + 0.6 (y - y_min) / (y_max - y_min)`` onto the sigmoid's scale
    (SigmoidMLPRegressor's ``target_range=(0.2, 0.8)``), and back.
    """

    low, high = 0.2, 0.8

    def __init__(self, y):
        y = np.asarray(y, dtype=np.float64)
        self.y_min, self.y_max = float(y.min()), float(y.max())

    def to_network(self, y, dtype=np.float64):
        u = (np.asarray(y, dtype=np.float64) - self.y_min) / (self.y_max - self.y_min)
        return (self.low + (self.high - self.low) * u).astype(dtype)

    def to_target(self, y_network):
        u = (np.asarray(y_network, dtype=np.float64) - self.low) / (
            self.high - self.low
        )
        return self.y_min + u * (self.y_max - self.y_min)
