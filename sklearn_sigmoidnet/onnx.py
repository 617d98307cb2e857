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
    ``y = (Yhat - low) * scale + offset``. The coefficients are read off the
    mapping itself, at ``Yhat = low`` and ``Yhat = low + width``, so that they
    follow it exactly, special cases included (a constant target).

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
    mapping = model._target_mapping
    n_outputs = model.n_outputs_
    low, width = float(mapping.low), float(mapping.width)
    probes = np.array(
        [[low] * n_outputs, [low + width] * n_outputs, [low + 0.5 * width] * n_outputs]
    )
    with np.errstate(over="ignore", invalid="ignore"):
        at_low, at_high, at_middle = mapping.to_target(probes)
        scale = (at_high - at_low) / width
        middle = at_low + 0.5 * width * scale
    if not (np.all(np.isfinite(scale)) and np.all(np.isfinite(at_low))):
        raise ValueError(
            f"The targets this {type(model).__name__} was fitted on span more "
            "than float64 can hold in one affine map (a range beyond about "
            "1e308), which the ONNX graph cannot represent."
        )
    # the map is affine: the middle of the range lands where the line says
    tolerance = 1e-9 * np.maximum(np.abs(at_high - at_low), np.abs(at_middle))
    if np.any(np.abs(middle - at_middle) > tolerance):
        raise RuntimeError(
            "The fitted target mapping is not affine, which the ONNX converter "
            "of this version of sklearn_sigmoidnet assumes."
        )
    return low, scale, at_low.copy()


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

    def name(prefix):
        return scope.get_unique_variable_name(prefix)

    def initializer(prefix, values, proto_type=proto, value_type=dtype):
        values = np.asarray(values, dtype=value_type)
        variable = name(prefix)
        container.add_initializer(
            variable, proto_type, list(values.shape), values.ravel().tolist()
        )
        return variable

    def node(op_type, inputs, prefix, **attributes):
        output = name(prefix)
        container.add_node(
            op_type,
            inputs,
            output,
            name=scope.get_unique_operator_name(op_type),
            **attributes,
        )
        return output

    X = operator.inputs[0].full_name
    if not isinstance(operator.inputs[0].type, (FloatTensorType, DoubleTensorType)):
        X = node("Cast", [X], "cast_input", to=proto)
    (W1, W2), (b1, b2) = model.coefs_, model.intercepts_
    hidden = node("MatMul", [X, initializer("W1", W1)], "hidden_product")
    hidden = node("Add", [hidden, initializer("b1", np.reshape(b1, (1, -1)))], "H")
    hidden = node("Sigmoid", [hidden], "Z")
    output = node("MatMul", [hidden, initializer("W2", W2)], "output_product")
    output = node("Add", [output, initializer("b2", np.reshape(b2, (1, -1)))], "O")
    output = node("Sigmoid", [output], "Yhat")

    # Back to y's units, in double: y = (Yhat - low) * scale + offset.
    double_proto, f64 = onnx_proto.TensorProto.DOUBLE, np.float64
    low, scale, offset = target_map_coefficients(model)
    if not double:
        output = node("Cast", [output], "Yhat_double", to=double_proto)
    y = node("Sub", [output, initializer("low", low, double_proto, f64)], "u")
    y = node(
        "Mul", [y, initializer("scale", scale.reshape(1, -1), double_proto, f64)], "y"
    )
    y = node(
        "Add", [y, initializer("offset", offset.reshape(1, -1), double_proto, f64)], "y"
    )
    largest = float(np.finfo(dtype).max)
    if container.target_opset >= 11:
        y = node(
            "Clip",
            [
                y,
                initializer("largest_negative", -largest, double_proto, f64),
                initializer("largest", largest, double_proto, f64),
            ],
            "y_clipped",
        )
    if double:
        container.add_node(
            "Identity",
            [y],
            operator.outputs[0].full_name,
            name=scope.get_unique_operator_name("Identity"),
        )
    else:
        container.add_node(
            "Cast",
            [y],
            operator.outputs[0].full_name,
            name=scope.get_unique_operator_name("Cast"),
            to=proto,
        )


update_registered_converter(
    SigmoidMLPRegressor,
    ALIAS,
    calculate_sigmoid_mlp_regressor_output_shapes,
    convert_sigmoid_mlp_regressor,
)
