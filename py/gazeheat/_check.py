"""Private argument checks shared by the public modules.

Each helper returns the value converted to a plain Python type, or raises
``InputError`` naming the argument and the bad value.
"""

from __future__ import annotations

import math

from .errors import InputError


def is_number(value: object) -> bool:
    """True for int/float (bool excluded: ``True`` is not a coordinate)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def finite(value: object, name: str) -> float:
    """Return ``value`` as a finite float, or raise InputError."""
    if not is_number(value):
        raise InputError(f"{name} must be a number, got {value!r}")
    result = float(value)
    if not math.isfinite(result):
        raise InputError(f"{name} must be finite, got {value!r}")
    return result


def positive(value: object, name: str, unit: str = "") -> float:
    """Return ``value`` as a finite float > 0, or raise InputError."""
    result = finite(value, name)
    if result <= 0.0:
        raise InputError(f"{name} must be > 0{unit}, got {value!r}")
    return result


def non_negative(value: object, name: str, unit: str = "") -> float:
    """Return ``value`` as a finite float >= 0, or raise InputError."""
    result = finite(value, name)
    if result < 0.0:
        raise InputError(f"{name} must be >= 0{unit}, got {value!r}")
    return result


def positive_int(value: object, name: str) -> int:
    """Return ``value`` as an int >= 1 (integral floats accepted), or raise InputError."""
    if is_number(value) and float(value).is_integer() and value >= 1:
        return int(value)
    raise InputError(f"{name} must be an integer >= 1, got {value!r}")


def non_negative_int(value: object, name: str) -> int:
    """Return ``value`` as an int >= 0 (integral floats accepted), or raise InputError."""
    if is_number(value) and float(value).is_integer() and value >= 0:
        return int(value)
    raise InputError(f"{name} must be an integer >= 0, got {value!r}")


def finite_list(values: object, length: int, name: str) -> tuple:
    """``values`` (a list or tuple of ``length`` numbers) as a tuple of finite floats,
    or raise InputError."""
    if not isinstance(values, (list, tuple)) or len(values) != length:
        raise InputError(f"{name} must be a list of {length} numbers, got {values!r:.80}")
    return tuple(finite(v, f"{name}[{i}]") for i, v in enumerate(values))


def require_keys(d: object, names: tuple, what: str) -> None:
    """Raise InputError unless ``d`` is a dict holding every key in ``names``."""
    if not isinstance(d, dict):
        raise InputError(f"{what} must be a dict, got {type(d).__name__}")
    for name in names:
        if name not in d:
            raise InputError(f"{what} is missing {name!r}")
