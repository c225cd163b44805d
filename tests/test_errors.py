"""gazeheat.errors: the hierarchy and its dict form."""

import pytest

from gazeheat.errors import CalibrationError, FormatError, GazeheatError, InputError, error_to_dict


@pytest.mark.parametrize("cls", [InputError, CalibrationError, FormatError])
def test_all_errors_are_gazeheat_errors(cls):
    assert issubclass(cls, GazeheatError)
    with pytest.raises(GazeheatError):
        raise cls("boom")


def test_value_error_subclasses():
    assert issubclass(InputError, ValueError)
    assert issubclass(FormatError, ValueError)
    assert not issubclass(CalibrationError, ValueError)


def test_error_to_dict_uses_class_name_and_message():
    assert error_to_dict(InputError("bad x")) == {"type": "InputError", "message": "bad x"}
    assert error_to_dict(CalibrationError("few")) == {"type": "CalibrationError", "message": "few"}
    assert error_to_dict(KeyError("k"))["type"] == "KeyError"
