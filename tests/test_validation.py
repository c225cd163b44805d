"""gazeheat.validation: accuracy, precision and mean error against numpy on random gaze."""
import random

import pytest

from gazeheat.errors import CalibrationError
from gazeheat.validation import grade, validate_gaze


def random_targets(rng, n_targets=5, n=30):
    out = []
    for i in range(n_targets):
        tx, ty = rng.uniform(0, 1280), rng.uniform(0, 720)
        bias = (rng.gauss(0, 40), rng.gauss(0, 40))
        samples = [(k * 33.3, tx + bias[0] + rng.gauss(0, 20), ty + bias[1] + rng.gauss(0, 20))
                   for k in range(n)]
        samples.insert(3, (100.0, None, None))  # a blink: skipped
        out.append((i, tx, ty, samples))
    return out


@pytest.mark.parametrize("seed", range(5))
def test_against_numpy(np, seed):
    targets = random_targets(random.Random(seed))
    result = validate_gaze(targets, px_per_deg=40.0)
    accuracies, precisions, errors = [], [], []
    for _, tx, ty, samples in targets:
        xy = np.array([(x, y) for _, x, y in samples if x is not None])
        accuracies.append(np.linalg.norm(xy.mean(axis=0) - (tx, ty)))
        precisions.append(np.sqrt(np.mean(np.sum(np.diff(xy, axis=0) ** 2, axis=1))))
        errors.append(np.linalg.norm(xy - (tx, ty), axis=1).mean())
    assert result.accuracy_px == pytest.approx(np.mean(accuracies), rel=1e-9)
    assert result.precision_px == pytest.approx(np.mean(precisions), rel=1e-9)
    assert result.mean_error_px == pytest.approx(np.mean(errors), rel=1e-9)
    assert result.mean_error_deg == pytest.approx(result.mean_error_px / 40.0)
    assert [t.mean_error_px for t in result.targets] == pytest.approx(errors, rel=1e-9)
    assert result.accuracy_deg == pytest.approx(result.accuracy_px / 40.0)
    assert [t.n_samples for t in result.targets] == [30] * 5


def test_mean_error_by_hand():
    # Samples 3-4-5 px from the target on either side: the mean gaze is on it
    # (accuracy 0), each sample is 5 px off (mean error 5), steps of 10 px (precision 10).
    result = validate_gaze([(0, 100.0, 100.0, [(0.0, 103.0, 104.0), (33.0, 97.0, 96.0)])], px_per_deg=10.0)
    assert (result.accuracy_px, result.mean_error_px, result.precision_px) == (0.0, 5.0, 10.0)
    assert result.mean_error_deg == 0.5 and result.to_dict()["mean_error_deg"] == 0.5


def test_grades_and_empty_input():
    assert [grade(d) for d in (0.5, 1.5, 3.0, 4.2)] == ["excellent", "good", "fair", "poor"]
    with pytest.raises(CalibrationError):
        validate_gaze([(0, 10.0, 10.0, [(0.0, None, None)])])


def test_validation_targets_are_never_calibration_targets():
    from gazeheat.calibration import calibration_pattern
    from gazeheat.validation import validation_targets

    unseen = validation_targets(1280, 720)
    for name in ("9", "13", "16"):
        for t in calibration_pattern(name, 1280, 720):
            assert all(abs(t.x_px - v.x_px) + abs(t.y_px - v.y_px) > 40 for v in unseen), (name, t)
