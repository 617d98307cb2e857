"""ONNX export of :class:`~sklearn_sigmoidnet.SigmoidMLPRegressor` through skl2onnx.

Importing this module registers a shape calculator and a converter for
``SigmoidMLPRegressor`` with `skl2onnx <https://onnx.ai/sklearn-onnx/>`_, so
that ``skl2onnx.to_onnx`` converts the estimator alone or inside a scikit-learn
``Pipeline`` (with any transformers skl2onnx converts). It needs the ``onnx``
extra: ``pip install "sklearn-sigmoidnet[onnx]"``.

The graph is the network of the estimator, followed by the map from the
network's scale back to y's units::

    Yhat = Sigmoid(Sigmoid(X W1 + b1) W2 + b2)
    y = (Yhat - low) * scale + offset        (computed in double)

with ``scale`` and ``offset`` per output, taken from the fitted target mapping
(``y_min``, ``y_max``, ``target_range``). The network runs in the input's
float type (float32 for a ``FloatTensorType`` input, as ``predict`` does for
float32 X); the affine map runs in double and is cast to the input's type at
the end, as ``predict`` maps float32 network outputs in float64.

The output, named ``variable`` as skl2onnx names regressors' outputs, has
shape ``(n_samples, n_outputs)``: ``(n_samples, 1)`` for a model fitted on a
1-d y, as with every skl2onnx regressor (MLPRegressor's converter included),
where ``predict`` returns ``(n_samples,)``; ``ravel()`` it to compare.

Examples
--------
>>> import numpy as np
>>> import onnxruntime as ort
>>> import skl2onnx
>>> import sklearn_sigmoidnet.onnx  # registers the converter
>>> from sklearn.datasets import make_friedman1
>>> from sklearn.pipeline import make_pipeline
>>> from sklearn.preprocessing import StandardScaler
>>> from sklearn_sigmoidnet import SigmoidMLPRegressor
>>> X, y = make_friedman1(n_samples=200, random_state=0)
>>> X = X.astype(np.float32)
>>> model = make_pipeline(
...     StandardScaler(), SigmoidMLPRegressor(n_hidden=10, tol=1e-4, random_state=0)
... ).fit(X, y)
>>> onx = skl2onnx.to_onnx(model, X[:1])
>>> session = ort.InferenceSession(
...     onx.SerializeToString(), providers=["CPUExecutionProvider"]
... )
>>> (onnx_pred,) = session.run(None, {"X": X})
>>> onnx_pred.shape
(200, 1)
>>> bool(np.allclose(onnx_pred.ravel(), model.predict(X), rtol=1e-5))
True
"""

import warnings

import numpy as np

try:
    from skl2onnx import update_registered_converter
    from skl2onnx.common.data_types import (
        BooleanTensorType,
        DoubleTensorType,
        FloatTensorType,
        Int64TensorType,
    )
    from skl2onnx.common.utils import (
        check_input_and_output_numbers,
        check_input_and_output_types,
    )
    from skl2onnx.proto import onnx_proto
except ImportError as error:  # pragma: no cover - depends on the environment
    raise ImportError(
        "sklearn_sigmoidnet.onnx needs skl2onnx (and onnxruntime to run the "
        "exported graphs): pip install 'sklearn-sigmoidnet[onnx]'."
    ) from error

from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

from ._estimator import SigmoidMLPRegressor

__all__ = [
    "ALIAS",
    "calculate_sigmoid_mlp_regressor_output_shapes",
    "convert_sigmoid_mlp_regressor",
    "target_map_coefficients",
]

#: The name under which the converter is registered with skl2onnx.
ALIAS = "SklearnSigmoidNetSigmoidMLPRegressor"

_NOT_FITTED = (
    "This %(name)s instance is not fitted yet, so there is nothing to convert to "
    "ONNX: call 'fit' (or 'partial_fit') first."
)


def _check_fitted(model):
    check_is_fitted(model, msg=_NOT_FITTED)
    if not hasattr(model, "_target_mapping"):
        raise NotFittedError(
            f"This {type(model).__name__} instance has fitted weights but no "
            "target mapping (was it fitted by another version of "
            "sklearn_sigmoidnet?); refit it before converting it to ONNX."
        )


def target_map_coefficients(model):
    """Coefficients of the map from the network's output to y's units.

    ``predict`` maps the output sigmoid's values ``Yhat`` back to y's units
    with the fitted target mapping (``TargetMapping.to_target``:
    ``u = (Yhat - low) / width - u_offset``,
    ``y = (y_min * prescale + u * span) / prescale``, see the target mapping
    in :doc:`/user_guide/model`), an affine map of each output:
    ``y = (Yhat - low) * scale + offset``. The mapping owns these
    coefficients (``TargetMapping.affine_coefficients``), special cases
    included (a constant target: ``scale`` 0).

    Parameters
    ----------
    model : SigmoidMLPRegressor
        A fitted estimator.

    Returns
    -------
    low : float
        The low end of ``target_range``.
    scale : ndarray of shape (n_outputs,), float64
        ``span / (width * prescale)``.
    offset : ndarray of shape (n_outputs,), float64
        The prediction at ``Yhat = low``: ``y_min - u_offset * span / prescale``.

    Raises
    ------
    ValueError
        When the targets' range is too wide for the coefficients to be finite
        (beyond about 1e308).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_sigmoidnet import SigmoidMLPRegressor
    >>> X, y = np.arange(8.0).reshape(-1, 1), np.linspace(0.0, 6.0, 8)
    >>> model = SigmoidMLPRegressor(n_hidden=2, random_state=0)
    >>> low, scale, offset = target_map_coefficients(model.fit(X, y))
    >>> low, scale, offset  # y = 0 at the low end, 6 units over 0.6
    (0.2, array([10.]), array([0.]))
    """
    _check_fitted(model)
    low, scale, offset = model._target_mapping.affine_coefficients()
    if not (np.all(np.isfinite(scale)) and np.all(np.isfinite(offset))):
        raise ValueError(
            f"The targets this {type(model).__name__} was fitted on span more "
            "than float64 can hold in one affine map (a range beyond about "
            "1e308), which the ONNX graph cannot represent."
        )
    return low, scale, offset


def calculate_sigmoid_mlp_regressor_output_shapes(operator):
    """skl2onnx shape calculator: ``[N, n_features] -> [N, n_outputs]``.

    The output is double for a double input and float otherwise (float32,
    int64 and bool inputs are computed in float32).
    """
    _check_fitted(operator.raw_operator)
    check_input_and_output_numbers(operator, input_count_range=1, output_count_range=1)
    check_input_and_output_types(
        operator,
        good_input_types=[
            BooleanTensorType,
            DoubleTensorType,
            FloatTensorType,
            Int64TensorType,
        ],
    )
    model = operator.raw_operator
    input_type = operator.inputs[0].type
    n_features = input_type.shape[1] if len(input_type.shape) == 2 else None
    if isinstance(n_features, int) and n_features != model.n_features_in_:
        raise ValueError(
            f"The ONNX input has {n_features} features, the fitted "
            f"{type(model).__name__} expects {model.n_features_in_}."
        )
    output_class = (
        DoubleTensorType
        if isinstance(input_type, DoubleTensorType)
        else FloatTensorType
    )
    n_rows = operator.inputs[0].get_first_dimension()
    operator.outputs[0].type = output_class([n_rows, model.n_outputs_])


def convert_sigmoid_mlp_regressor(scope, operator, container):
    """skl2onnx converter: MatMul, Add, Sigmoid (twice), then the target map.

    The network runs in the input's float type (float for int64 and bool
    inputs); the map back to y's units runs in double, clipped to the largest
    finite value of the output type as ``predict`` clips, and is cast to the
    output type.
    """
    model = operator.raw_operator
    _check_fitted(model)
    double = isinstance(operator.inputs[0].type, DoubleTensorType)
    proto = onnx_proto.TensorProto.DOUBLE if double else onnx_proto.TensorProto.FLOAT
    dtype = np.float64 if double else np.float32
    mapping = model._target_mapping
    if not double and not mapping.fits_float32():
        warnings.warn(
            f"The targets this {type(model).__name__} was fitted on do not fit "
            "float32 (their range is too wide, too small or too far from zero), "
            "so predict returns float64 even for float32 X, while this graph "
            "returns float32. Convert with a double input "
            "(skl2onnx.common.data_types.DoubleTensorType) to keep them.",
            UserWarning,
            stacklevel=2,
        )

    graph = _Graph(scope, container, proto, dtype)
    X = operator.inputs[0].full_name
    if not isinstance(operator.inputs[0].type, (FloatTensorType, DoubleTensorType)):
        X = graph.node("Cast", [X], "cast_input", to=proto)
    output = _network(graph, model, X)
    y = _to_target_units(graph, model, output, double)
    final = "Identity" if double else "Cast"
    attributes = {} if double else {"to": proto}
    container.add_node(
        final,
        [y],
        operator.outputs[0].full_name,
        name=scope.get_unique_operator_name(final),
        **attributes,
    )


class _Graph:
    """Names, initializers and nodes of the converter's graph."""

    def __init__(self, scope, container, proto, dtype):
        self.scope, self.container = scope, container
        self.proto, self.dtype = proto, dtype

    def initializer(self, prefix, values, proto_type=None, value_type=None):
        proto_type = self.proto if proto_type is None else proto_type
        values = np.asarray(values, dtype=value_type or self.dtype)
        variable = self.scope.get_unique_variable_name(prefix)
        self.container.add_initializer(
            variable, proto_type, list(values.shape), values.ravel().tolist()
        )
        return variable

    def double(self, prefix, values):
        return self.initializer(
            prefix, values, onnx_proto.TensorProto.DOUBLE, np.float64
        )

    def node(self, op_type, inputs, prefix, **attributes):
        output = self.scope.get_unique_variable_name(prefix)
        self.container.add_node(
            op_type,
            inputs,
            output,
            name=self.scope.get_unique_operator_name(op_type),
            **attributes,
        )
        return output


def _network(graph, model, X):
    """H = X W1 + b1, Z = sigmoid(H), O = Z W2 + b2, Yhat = sigmoid(O)."""
    (W1, W2), (b1, b2) = model.coefs_, model.intercepts_
    hidden = graph.node("MatMul", [X, graph.initializer("W1", W1)], "hidden_product")
    b1 = graph.initializer("b1", np.reshape(b1, (1, -1)))
    hidden = graph.node("Sigmoid", [graph.node("Add", [hidden, b1], "H")], "Z")
    output = graph.node(
        "MatMul", [hidden, graph.initializer("W2", W2)], "output_product"
    )
    b2 = graph.initializer("b2", np.reshape(b2, (1, -1)))
    return graph.node("Sigmoid", [graph.node("Add", [output, b2], "O")], "Yhat")


def _to_target_units(graph, model, output, double):
    """Back to y's units, in double: y = (Yhat - low) * scale + offset,
    clipped to the output type's largest finite value as ``predict`` clips."""
    low, scale, offset = target_map_coefficients(model)
    if not double:
        output = graph.node(
            "Cast", [output], "Yhat_double", to=onnx_proto.TensorProto.DOUBLE
        )
    y = graph.node("Sub", [output, graph.double("low", low)], "u")
    y = graph.node("Mul", [y, graph.double("scale", scale.reshape(1, -1))], "y")
    y = graph.node("Add", [y, graph.double("offset", offset.reshape(1, -1))], "y")
    largest = float(np.finfo(graph.dtype).max)
    if graph.container.target_opset >= 11:
        bounds = [graph.double("largest_negative", -largest)]
        bounds.append(graph.double("largest", largest))
        y = graph.node("Clip", [y, *bounds], "y_clipped")
    return y


update_registered_converter(
    SigmoidMLPRegressor,
    ALIAS,
    calculate_sigmoid_mlp_regressor_output_shapes,
    convert_sigmoid_mlp_regressor,
)
