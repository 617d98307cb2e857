"""
Prediction bands from ``return_std``
====================================

With ``alpha="auto"`` the network's L2 penalty is chosen by Bayesian
regularisation (MacKay's evidence framework) during the fit, and
``predict(X, return_std=True)`` returns, beside the prediction, its predictive
standard deviation in y's units: the noise the fit estimated plus the
uncertainty of the weights, propagated through the network. The band widens
where the training data are sparse.
"""

# %%
# One input, a noisy sine, and a gap in the training data between 1 and 2.
import matplotlib.pyplot as plt
import numpy as np

from sklearn_sigmoidnet import SigmoidMLPRegressor

rng = np.random.default_rng(0)
x = np.concatenate([rng.uniform(-3.0, 1.0, 70), rng.uniform(2.0, 3.0, 30)])
y = np.sin(1.5 * x) + rng.normal(scale=0.15, size=x.shape)
X = x.reshape(-1, 1)

model = SigmoidMLPRegressor(n_hidden=8, solver="lm", alpha="auto", random_state=0)
model.fit(X, y)
inputs, biases, outputs = model.alpha_
print(
    f"penalties chosen by the evidence: input weights {inputs:.3g}, "
    f"hidden biases {biases:.3g}, output weights {outputs:.3g}"
)
print(f"effective number of parameters: {model.n_effective_parameters_:.1f}")
print(f"noise standard deviation: {np.sqrt(model.noise_variance_[0]):.3f} (true 0.15)")

# %%
# The prediction and a band of two predictive standard deviations.
x_plot = np.linspace(-3.5, 3.5, 400)
mean, std = model.predict(x_plot.reshape(-1, 1), return_std=True)

fig, ax = plt.subplots(figsize=(8, 4))
ax.fill_between(
    x_plot, mean - 2 * std, mean + 2 * std, alpha=0.25, label="prediction ± 2 std"
)
ax.plot(x_plot, mean, label="prediction")
ax.plot(x_plot, np.sin(1.5 * x_plot), "k--", linewidth=1, label="sin(1.5 x)")
ax.scatter(x, y, s=10, color="k", alpha=0.6, label="training data")
ax.axvspan(1.0, 2.0, color="grey", alpha=0.1)
ax.set(xlabel="x", ylabel="y", title='alpha="auto", predict(X, return_std=True)')
ax.legend(loc="lower left", fontsize="small")
fig.tight_layout()
plt.show()

# %%
# Inside the data the band is about the noise level; in the gap (shaded) and
# beyond the data it widens with the uncertainty of the weights.
