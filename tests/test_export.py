"""gazeheat.export: CSV files of samples and fixations, and reading them back."""

import csv
import io
import random

import pytest

from gazeheat import constants as C
from gazeheat.errors import FormatError, InputError
from gazeheat.export import (
    FIXATION_COLUMNS,
    SAMPLE_COLUMNS,
    fixations_csv,
    parse_fixations_csv,
    parse_samples_csv,
    samples_csv,
)
from gazeheat.session import make_session
from gazeheat.stimulus import StimulusGeometry

GEOMETRY = StimulusGeometry("image", 200, 100, 100.0, 50.0, 400.0, 200.0, "a.png")


def _session(samples, **extra):
    session = make_session(samples, 800, 600, created="2026-01-01T00:00:00Z")
    session.update(extra)
    return session


def test_samples_csv_exact_text():
    session = _session([{"t_ms": 0.0, "x": 150.0, "y": 70.25}, {"t_ms": 33.3333, "x": None, "y": None},
                        {"t_ms": 66.6667, "x": -0.001, "y": 1e4 / 3}])
    assert samples_csv(session) == (
        "t_ms,x_px,y_px,valid\n"
        "0.000,150.00,70.25,1\n"
        "33.333,,,0\n"
        "66.667,0.00,3333.33,1\n"
    )
    assert samples_csv(session, GEOMETRY).splitlines()[:3] == [
        "t_ms,x_px,y_px,valid,stim_x_px,stim_y_px",
        "0.000,150.00,70.25,1,25.00,10.12",
        "33.333,,,0,,",
    ]
    # the session's own stimulus is used when none is given
    with_stimulus = _session(session["samples"], stimulus=GEOMETRY.to_dict())
    assert samples_csv(with_stimulus) == samples_csv(session, GEOMETRY)


def test_fixations_csv_exact_text():
    fixations = [{"start_ms": 100.0, "end_ms": 433.3333, "duration_ms": 333.3333, "x": 300.0,
                  "y": 150.0, "dispersion_deg": 1.23456, "n_samples": 10}]
    assert fixations_csv(fixations) == (
        "index,start_ms,end_ms,duration_ms,x_px,y_px,dispersion_deg,n_samples\n"
        "1,100.000,433.333,333.333,300.00,150.00,1.235,10\n"
    )
    assert fixations_csv(fixations, GEOMETRY).splitlines()[1].endswith(",10,100.00,50.00")
    assert fixations_csv([]) == ",".join(FIXATION_COLUMNS) + "\n"
    with pytest.raises(InputError, match=r"fixations\[0\]"):
        fixations_csv([{"x": 1}])


def _random_session(rng):
    samples, t = [], rng.uniform(0, 1e6)
    for _ in range(rng.randint(0, 300)):
        t += rng.choice([0.0, rng.uniform(0, 80), rng.uniform(0, 5000)])
        if rng.random() < 0.2:
            samples.append({"t_ms": t, "x": None, "y": None})
        else:
            samples.append({"t_ms": t, "x": rng.uniform(-500, 3000), "y": rng.uniform(-500, 2000)})
    return _session(samples)


def _random_fixations(rng):
    out, t = [], rng.uniform(0, 1e5)
    for _ in range(rng.randint(0, 60)):
        d = rng.uniform(60, 3000)
        out.append({"start_ms": t, "end_ms": t + d, "duration_ms": d, "x": rng.uniform(-100, 2500),
                    "y": rng.uniform(-100, 1500), "dispersion_deg": rng.uniform(0, 8),
                    "n_samples": rng.randint(1, 90)})
        t += d + rng.uniform(0, 500)
    return out


# Stated precision: half a unit in the last decimal, plus float slack.
T_TOL = 0.5 * 10 ** -C.CSV_TIME_DECIMALS + 1e-9
PX_TOL = 0.5 * 10 ** -C.CSV_PX_DECIMALS + 1e-9
DEG_TOL = 0.5 * 10 ** -C.CSV_DEG_DECIMALS + 1e-9


@pytest.mark.parametrize("seed", range(25))
def test_samples_round_trip(seed):
    rng = random.Random(seed)
    session = _random_session(rng)
    geometry = GEOMETRY if seed % 2 else None
    rows = parse_samples_csv(samples_csv(session, geometry))
    assert len(rows) == len(session["samples"])
    for row, sample in zip(rows, session["samples"]):
        assert abs(row["t_ms"] - sample["t_ms"]) <= T_TOL * max(1.0, abs(sample["t_ms"]) * 1e-9)
        assert row["valid"] == (sample["x"] is not None)
        if sample["x"] is None:
            assert row["x_px"] is None and row["y_px"] is None
        else:
            assert abs(row["x_px"] - sample["x"]) <= PX_TOL
            assert abs(row["y_px"] - sample["y"]) <= PX_TOL
            if geometry is not None:
                sx, sy = geometry.to_stimulus(sample["x"], sample["y"])
                assert abs(row["stim_x_px"] - sx) <= PX_TOL and abs(row["stim_y_px"] - sy) <= PX_TOL
        assert ("stim_x_px" in row) == (geometry is not None)


@pytest.mark.parametrize("seed", range(25))
def test_fixations_round_trip(seed):
    rng = random.Random(1000 + seed)
    fixations = _random_fixations(rng)
    rows = parse_fixations_csv(fixations_csv(fixations, GEOMETRY if seed % 2 else None))
    assert [r["index"] for r in rows] == list(range(1, len(fixations) + 1))
    for row, f in zip(rows, fixations):
        for key in ("start_ms", "end_ms", "duration_ms"):
            assert abs(row[key] - f[key]) <= T_TOL
        assert abs(row["x_px"] - f["x"]) <= PX_TOL and abs(row["y_px"] - f["y"]) <= PX_TOL
        assert abs(row["dispersion_deg"] - f["dispersion_deg"]) <= DEG_TOL
        assert row["n_samples"] == f["n_samples"]


def test_other_readers_agree(np):
    rng = random.Random(3)
    text = samples_csv(_random_session(rng), GEOMETRY)
    table = np.genfromtxt(io.StringIO(text), delimiter=",", names=True)
    rows = parse_samples_csv(text)
    assert len(table) == len(rows)
    for name in SAMPLE_COLUMNS:
        ours = np.array([np.nan if r[name] is None else float(r[name]) for r in rows])
        assert np.allclose(table[name], ours, equal_nan=True)
    assert list(csv.reader(io.StringIO(text)))[0] == list(SAMPLE_COLUMNS) + ["stim_x_px",
                                                                             "stim_y_px"]


def test_parsers_accept_crlf_and_bytes():
    text = "t_ms,x_px,y_px,valid\r\n1.5,2.25,3.00,1\r\n2.0,,,0\r\n"
    assert parse_samples_csv(text) == [
        {"t_ms": 1.5, "x_px": 2.25, "y_px": 3.0, "valid": True},
        {"t_ms": 2.0, "x_px": None, "y_px": None, "valid": False}]
    assert parse_samples_csv(text.encode("utf-8")) == parse_samples_csv(text)


@pytest.mark.parametrize("text, message", [
    ("", "empty"),
    ("t,x,y\n", "header"),
    ("t_ms,x_px,y_px,valid\n1,2,3\n", "line 2: expected 4 cells"),
    ("t_ms,x_px,y_px,valid\n1,2,3,1\n1,a,3,1\n", "line 3: x_px must be a number"),
    ("t_ms,x_px,y_px,valid\n1,2,,1\n", "line 2: valid must be 1 exactly"),
    ("t_ms,x_px,y_px,valid\n1,2,3,0\n", "valid must be 1 exactly"),
    ("t_ms,x_px,y_px,valid\n,2,3,1\n", "t_ms must be given"),
    ("t_ms,x_px,y_px,valid\n1,2,3,2\n", "valid must be 0 or 1"),
    ("t_ms,x_px,y_px,valid\n1,nan,3,1\n", "finite"),
])
def test_sample_parse_errors(text, message):
    with pytest.raises(FormatError, match=message):
        parse_samples_csv(text)


def test_fixation_parse_errors():
    header = ",".join(FIXATION_COLUMNS) + "\n"
    with pytest.raises(FormatError, match="dispersion_deg must not be empty"):
        parse_fixations_csv(header + "1,0,100,100,5,5,,3\n")
    with pytest.raises(FormatError, match="index must be a number"):
        parse_fixations_csv(header + "1.5,0,100,100,5,5,1,3\n")
    with pytest.raises(FormatError, match="UTF-8"):
        parse_fixations_csv(b"\xff\xfe")
    with pytest.raises(InputError, match="session"):
        samples_csv({"samples": None})
