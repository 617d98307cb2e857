"""Test-session setup, loaded by pytest before any test module."""

import os

# scikit-learn's check_array_api_input skips itself unless SciPy's array API
# support is switched on, which must happen before SciPy is first imported.
# Switch it on so that every common check runs.
os.environ.setdefault("SCIPY_ARRAY_API", "1")
