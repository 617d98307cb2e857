"""Literal, loop-by-loop transcription of the seed document's equations.

Used only by the tests, as an independent check of the vectorised kernel.
"""

import math

import numpy as np


def sigmoid(x):
    return 1.0 / (1.0 + math.exp(-x))


def reference_loss_and_gradient(X, Y, W1, W2, sample_weight=None, alpha=0.0):
    """Eqs. (1)-(9), one sum at a time, generalised to weights, outputs and alpha.

    X is (N, F) without the column of ones; W1 is (F + 1, K) and W2 is (K + 1, M)
    with the biases in their last rows; Y is (N, M).
    """
    X = np.asarray(X, dtype=np.float64)
    Y = np.asarray(Y, dtype=np.float64).reshape(X.shape[0], -1)
    n_samples, n_features = X.shape
    n_hidden = W1.shape[1]
    n_outputs = W2.shape[1]
    w = (
        np.ones(n_samples)
        if sample_weight is None
        else np.asarray(sample_weight, float)
    )
    S = w.sum()
    X1 = np.hstack([X, np.ones((n_samples, 1))])  # column of ones on X
    H = np.zeros((n_samples, n_hidden))  # eq. (2)
    for i in range(n_samples):
        for l in range(n_hidden):
            H[i, l] = sum(X1[i, k] * W1[k, l] for k in range(n_features + 1))
    Z = np.vectorize(sigmoid)(H)  # eq. (3)
    Z1 = np.hstack([Z, np.ones((n_samples, 1))])  # bias column on Z
    O = np.zeros((n_samples, n_outputs))  # eq. (4)
    for i in range(n_samples):
        for j in range(n_outputs):
            O[i, j] = sum(Z1[i, k] * W2[k, j] for k in range(n_hidden + 1))
    Yhat = np.vectorize(sigmoid)(O)  # eq. (5)
    loss = sum(
        w[i] * (Y[i, j] - Yhat[i, j]) ** 2
        for i in range(n_samples)
        for j in range(n_outputs)
    ) / (2 * S)  # eq. (1)
    loss += alpha / (2 * S) * (np.sum(W1[:-1] ** 2) + np.sum(W2[:-1] ** 2))
    dW2 = np.zeros_like(W2, dtype=np.float64)
    for k in range(n_hidden + 1):  # eq. (7)
        for j in range(n_outputs):
            dW2[k, j] = sum(
                -(w[i] / S)
                * (Y[i, j] - Yhat[i, j])
                * Yhat[i, j]
                * (1 - Yhat[i, j])
                * Z1[i, k]
                for i in range(n_samples)
            )
    dW1 = np.zeros_like(W1, dtype=np.float64)
    for k in range(n_features + 1):  # eq. (9)
        for l in range(n_hidden):
            dW1[k, l] = sum(
                -(w[i] / S)
                * (Y[i, j] - Yhat[i, j])
                * Yhat[i, j]
                * (1 - Yhat[i, j])
                * W2[l, j]
                * Z[i, l]
                * (1 - Z[i, l])
                * X1[i, k]
                for i in range(n_samples)
                for j in range(n_outputs)
            )
    dW1[:-1] += alpha / S * W1[:-1]
    dW2[:-1] += alpha / S * W2[:-1]
    return loss, dW1, dW2


def central_differences(function, theta, step=1e-6):
    """Central-difference derivative of ``function`` (scalar- or vector-valued)
    with respect to each entry of ``theta``; shape ``output.shape + (P,)``."""
    columns = []
    for index in range(theta.size):
        shift = np.zeros_like(theta)
        shift[index] = step
        difference = np.asarray(function(theta + shift)) - np.asarray(
            function(theta - shift)
        )
        columns.append(difference / (2 * step))
    return np.stack(columns, axis=-1)
