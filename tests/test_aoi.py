"""gazeheat.aoi: AOI shapes, inside tests, metrics per AOI, the table and its CSV."""

import csv
import io
import json
import math
import random
import re

import pytest
from gazeheat import constants as C
from gazeheat.aoi import (
    AOI_COLUMNS,
    Aoi,
    AoiMetrics,
    aoi_csv,
    aoi_metrics,
    aoi_table,
    dump_aois,
    load_aois,
    session_aoi_metrics,
)
from gazeheat.errors import FormatError, InputError
from gazeheat.fixations import Fixation
from gazeheat.session import make_session, session_fixations
from gazeheat.stimulus import StimulusGeometry

CREATED = "2025-01-31T12:00:00.000Z"


def _fix(start, duration, x, y):
    return Fixation(float(start), float(start + duration), float(duration), float(x), float(y),
                    0.5, 3)


def _star(rng, n, cx, cy, r_min, r_max):
    """A random simple (star-shaped) polygon."""
    angles = sorted(rng.uniform(0, 2 * math.pi) for _ in range(n))
    return [(cx + rng.uniform(r_min, r_max) * math.cos(a), cy + rng.uniform(r_min, r_max) * math.sin(a))
            for a in angles]


# --- shapes ----------------------------------------------------------------------------


def test_rect_is_half_open_and_corners_may_come_in_any_order():
    for corners in (((10, 20), (110, 70)), ((110, 70), (10, 20)), ((10, 70), (110, 20))):
        aoi = Aoi("logo", "rect", corners)
        assert aoi.bounds == (10.0, 20.0, 110.0, 70.0)
        assert aoi.contains(10, 20) and aoi.contains(109.999, 69.999)
        assert not aoi.contains(110, 30) and not aoi.contains(50, 70)
        assert not aoi.contains(9.999, 30) and not aoi.contains(None, 30)
        assert not aoi.contains(math.nan, 30)


def test_rect_as_a_polygon_follows_the_same_rule():
    rect = Aoi("r", "rect", [(0, 0), (4, 3)])
    poly = Aoi("p", "polygon", rect.vertices)
    for x in range(-1, 6):
        for y in range(-1, 5):
            for dx in (0.0, 0.5):
                assert rect.contains(x + dx, y + dx) == poly.contains(x + dx, y + dx), (x, y, dx)


def test_shared_edges_give_each_point_to_exactly_one_aoi():
    # A square cut into triangles and a quad along shared diagonals: every lattice
    # point of the square (edges, vertices and the shared cuts included) is in
    # exactly one piece, except on the square's own right/bottom edges (in none).
    pieces = [
        Aoi("a", "polygon", [(0, 0), (8, 0), (4, 4)]),
        Aoi("b", "polygon", [(8, 0), (8, 8), (4, 4)]),
        Aoi("c", "polygon", [(8, 8), (0, 8), (4, 4)]),
        Aoi("d", "polygon", [(0, 8), (0, 0), (4, 4)]),
    ]
    for x in range(0, 9):
        for y in range(0, 9):
            n = sum(p.contains(x, y) for p in pieces)
            assert n == (1 if x < 8 and y < 8 else 0), (x, y, n)


@pytest.mark.parametrize("seed", range(8))
def test_polygon_inside_matches_matplotlib(seed):
    mpath = pytest.importorskip("matplotlib.path")
    np = pytest.importorskip("numpy")
    rng = random.Random(seed)
    vertices = _star(rng, rng.randint(3, 40), 500, 400, 50, 300)
    aoi = Aoi("star", "polygon", vertices)
    points = np.array([(rng.uniform(100, 900), rng.uniform(0, 800)) for _ in range(3000)])
    expected = mpath.Path(np.array(vertices)).contains_points(points)
    got = np.array([aoi.contains(float(x), float(y)) for x, y in points])
    assert (got == expected).all()


def test_self_intersecting_polygon_uses_even_odd():
    # Pentagram: the centre pentagon is crossed twice, so it is outside.
    pts = [(math.cos(math.radians(90 + 144 * k)), math.sin(math.radians(90 + 144 * k))) for k in range(5)]
    star = Aoi("pentagram", "polygon", [(100 + 100 * x, 100 - 100 * y) for x, y in pts])
    assert not star.contains(100, 100)
    assert star.contains(100, 10)  # inside the top point


@pytest.mark.parametrize("kwargs, message", [
    ({"name": "", "kind": "rect", "points_px": [(0, 0), (1, 1)]}, "non-empty"),
    ({"name": "   ", "kind": "rect", "points_px": [(0, 0), (1, 1)]}, "non-empty"),
    ({"name": 5, "kind": "rect", "points_px": [(0, 0), (1, 1)]}, "non-empty"),
    ({"name": "n" * 101, "kind": "rect", "points_px": [(0, 0), (1, 1)]}, "too long"),
    ({"name": "a", "kind": "circle", "points_px": [(0, 0), (1, 1)]}, "kind must be one of"),
    ({"name": "a", "kind": "rect", "points_px": [(0, 0)]}, "2 corners"),
    ({"name": "a", "kind": "rect", "points_px": [(0, 0), (0, 5)]}, "no area"),
    ({"name": "a", "kind": "rect", "points_px": [(0, 0), (math.inf, 5)]}, "finite"),
    ({"name": "a", "kind": "rect", "points_px": [(0, 0), ("1", 5)]}, "number"),
    ({"name": "a", "kind": "rect", "points_px": [(0, 0), (True, 5)]}, "number"),
    ({"name": "a", "kind": "rect", "points_px": [(0, 0), (1, 2, 3)]}, "[x, y] pair"),
    ({"name": "a", "kind": "rect", "points_px": [(0, 0), (10 ** 400, 2)]}, "too large"),
    ({"name": "a", "kind": "rect", "points_px": "0,0,1,1"}, "list of [x, y] pairs"),
    ({"name": "a", "kind": "polygon", "points_px": [(0, 0), (1, 1)]}, "3 to 1000"),
    ({"name": "a", "kind": "polygon", "points_px": [(0, 0), (1, 1), (2, 2)]}, "no area"),
    ({"name": "a", "kind": "polygon", "points_px": [(i, i % 2) for i in range(1001)]}, "too many points"),
])
def test_aoi_validation(kwargs, message):
    with pytest.raises(InputError, match=re.escape(message)):
        Aoi(**kwargs)


def test_aoi_dicts_round_trip():
    rng = random.Random(3)
    aois = [Aoi("rect ✓", "rect", [(1.5, 2), (30, 40.25)]),
            Aoi("名前", "polygon", _star(rng, 12, 100, 100, 10, 50))]
    for aoi in aois:
        assert Aoi.from_dict(aoi.to_dict()) == aoi
        assert Aoi.from_dict(json.loads(json.dumps(aoi.to_dict()))) == aoi
    file = dump_aois(aois, "sha256:" + "0" * 64)
    assert file["format"] == C.AOI_FORMAT and file["version"] == C.AOI_VERSION
    assert load_aois(json.dumps(file)) == tuple(aois)
    assert load_aois(json.dumps(file).encode("utf-8")) == tuple(aois)
    assert load_aois([a.to_dict() for a in aois]) == tuple(aois)


def test_load_aois_rejects_bad_definitions():
    good = {"name": "a", "kind": "rect", "points_px": [[0, 0], [1, 1]]}
    cases = {
        "used twice": [good, dict(good)],
        "too many AOIs": [{**good, "name": f"a{i}"} for i in range(C.AOI_MAX_COUNT + 1)],
        "aois[1]: AOI is missing points_px": [good, {"name": "b", "kind": "rect"}],
        "aois[0]: an AOI must be an object": ["a"],
        "AOIs must be a list": {"format": C.AOI_FORMAT, "version": 1, "aois": "x"},
        "format must be": {"format": "other", "aois": []},
        "version must be 1": {"format": C.AOI_FORMAT, "version": 2, "aois": []},
        "not valid JSON": '[{"name": "a",',
        "NaN is not allowed": '[{"name": "a", "kind": "rect", "points_px": [[NaN, 0], [1, 1]]}]',
        "not UTF-8": b"\xff\xfe[]",
        "nested too deeply": "[" * 100_000 + "]" * 100_000,
    }
    for message, value in cases.items():
        with pytest.raises(FormatError, match=re.escape(message)):
            load_aois(value)
    text = json.dumps(dump_aois([Aoi("a", "polygon", [(0, 0), (5, 0), (0, 5)])]))
    for cut in range(len(text)):
        with pytest.raises(FormatError):
            load_aois(text[:cut])


def test_load_aois_size_limit(monkeypatch):
    monkeypatch.setattr(C, "AOI_MAX_FILE_BYTES", 10)
    with pytest.raises(FormatError, match="too large"):
        load_aois("[" + " " * 20 + "]")


# --- metrics ------------------------------------------------------------------------------


def test_metrics_by_hand():
    # Stimulus 1000x500 native px shown at (100, 50), 500x250 CSS px: 2 native px per CSS px.
    geometry = StimulusGeometry("image", 1000, 500, 100, 50, 500, 250)
    box = Aoi("box", "rect", [(0, 0), (200, 200)])  # CSS (100..200, 50..150)
    never = Aoi("never", "rect", [(900, 400), (1000, 500)])
    fixations = [
        _fix(1000, 200, 400, 300),   # elsewhere
        _fix(1300, 250, 150, 100),   # box: visit 1
        _fix(1600, 100, 120, 60),    # box
        _fix(1800, 300, 700, 100),   # off the stimulus: ends the visit
        _fix(2200, 150, 199.9, 149.9),  # box: visit 2
        _fix(2400, 80, 200, 100),    # on the right edge: outside
        _fix(2500, 120, 100, 50),    # top-left corner: inside, visit 3
    ]
    got = aoi_metrics(fixations, geometry, [box, never], origin_ms=900)
    assert got[0] == AoiMetrics("box", 400.0, 250.0, 620.0, 4, 3, 2)
    assert got[1] == AoiMetrics("never", None, None, 0.0, 0, 0, 0)
    assert got[0].to_dict()["ttff_ms"] == 400.0


def _reference_metrics(fixations, geometry, aoi, origin):
    """Straightforward re-implementation from the definitions."""
    flags = [aoi.contains(*geometry.to_stimulus(f.x, f.y)) for f in fixations]
    inside = [f for f, k in zip(fixations, flags) if k]
    visits = sum(1 for i, k in enumerate(flags) if k and (i == 0 or not flags[i - 1]))
    return {"ttff": inside[0].start_ms - origin if inside else None,
            "first": inside[0].duration_ms if inside else None,
            "dwell": sum(f.duration_ms for f in inside), "count": len(inside),
            "visits": visits, "revisits": max(0, visits - 1)}


@pytest.mark.parametrize("seed", range(10))
def test_metrics_match_the_definitions_on_random_scanpaths(seed):
    rng = random.Random(100 + seed)
    geometry = StimulusGeometry("image", rng.randint(200, 2000), rng.randint(200, 1500),
                                rng.uniform(-50, 100), rng.uniform(-50, 100),
                                rng.uniform(300, 1500), rng.uniform(200, 900))
    aois = [Aoi(f"r{k}", "rect", [(rng.uniform(0, geometry.width_px), rng.uniform(0, geometry.height_px)),
                                  (rng.uniform(0, geometry.width_px), rng.uniform(0, geometry.height_px))])
            for k in range(3)]
    aois += [Aoi(f"p{k}", "polygon", _star(rng, rng.randint(3, 12), geometry.width_px / 2,
                                            geometry.height_px / 2, 10, geometry.width_px / 2))
             for k in range(3)]
    t, fixations = rng.uniform(0, 500), []
    for _ in range(rng.randint(0, 120)):
        d = rng.uniform(90, 800)
        fixations.append(_fix(t, d, rng.uniform(-100, 1700), rng.uniform(-100, 1100)))
        t += d + rng.uniform(20, 300)
    got = aoi_metrics([f.to_dict() for f in fixations], geometry, aois, origin_ms=0.0)
    for aoi, m in zip(aois, got):
        ref = _reference_metrics(fixations, geometry, aoi, 0.0)
        assert m.aoi == aoi.name
        assert (m.ttff_ms, m.first_fixation_duration_ms, m.fixation_count, m.visits, m.revisits) == (
            ref["ttff"], ref["first"], ref["count"], ref["visits"], ref["revisits"])
        assert m.dwell_ms == pytest.approx(ref["dwell"], rel=1e-12)


def test_metrics_validate_arguments():
    g = StimulusGeometry.viewport(100, 100)
    with pytest.raises(InputError, match="geometry"):
        aoi_metrics([], {"kind": "blank"}, [])
    with pytest.raises(InputError, match="fixations\\[0\\]"):
        aoi_metrics([{"x": 1}], g, [])
    with pytest.raises(InputError, match="unique"):
        aoi_metrics([], g, [Aoi("a", "rect", [(0, 0), (1, 1)])] * 2)
    with pytest.raises(InputError, match="origin_ms"):
        aoi_metrics([], g, [], origin_ms=math.nan)


# --- sessions, table, CSV -------------------------------------------------------------------


def _scanpath_samples(rng, centres, t0=500.0):
    samples, t = [], t0
    for cx, cy in centres:
        for _ in range(rng.randint(8, 20)):
            samples.append({"t_ms": t, "x": cx + rng.gauss(0, 2), "y": cy + rng.gauss(0, 2)})
            t += 33.3
        samples.append({"t_ms": t, "x": None, "y": None})
        t += 33.3
    return samples


def test_table_detects_fixations_for_sessions_without_them():
    rng = random.Random(7)
    centres = [(100, 100), (600, 100), (120, 110), (900, 600), (110, 90)]
    a = make_session(_scanpath_samples(rng, centres), 1280, 720, None, CREATED)
    a["participant"] = "=HYPERLINK(\"x\")"
    a["recording_id"] = "rec-a"
    b = make_session(_scanpath_samples(rng, centres[::-1], t0=0.0), 1280, 720, None, CREATED)
    b["fixations"] = [f.to_dict() for f in session_fixations(b)[:2]]
    aois = [Aoi("top-left", "rect", [(50, 50), (200, 200)]),
            Aoi("right, low", "rect", [(800, 500), (1000, 700)])]
    rows = aoi_table([a, b], [x.to_dict() for x in aois])
    assert [tuple(r) for r in rows] == [AOI_COLUMNS] * 4
    assert [(r["session"], r["aoi"]) for r in rows] == [
        ("rec-a", "top-left"), ("rec-a", "right, low"), ("2", "top-left"), ("2", "right, low")]
    first = rows[0]
    metrics, total = session_aoi_metrics(a, aois)
    assert first["fixation_count"] == 3 and first["visits"] == 3 and first["revisits"] == 2
    assert first["ttff_ms"] == pytest.approx(0.0, abs=1e-9)  # starts on the AOI
    assert first["dwell_pct"] == pytest.approx(100 * metrics[0].dwell_ms / total)
    assert rows[1]["fixation_count"] == 1 and rows[1]["ttff_ms"] > 1000
    # Session b keeps its stored (truncated) fixations: its first two centres only.
    assert rows[2]["fixation_count"] == 1 and rows[3]["fixation_count"] == 1
    assert rows[2]["ttff_ms"] == pytest.approx(0.0, abs=1e-9)
    assert rows[2]["dwell_pct"] + rows[3]["dwell_pct"] == pytest.approx(100.0)
    empty = make_session([], 100, 100, None, CREATED)
    (row,) = aoi_table([empty], aois[:1], labels=["P9"])
    assert row["dwell_pct"] is None and row["session"] == "P9" and row["participant"] == ""
    with pytest.raises(InputError, match="labels"):
        aoi_table([empty], aois, labels=[])
    bad = dict(empty, settings={"fixation_method": "nope"})
    with pytest.raises(InputError, match=r"sessions\[1\]"):
        aoi_table([empty, bad], aois)


def test_csv_is_quoted_guarded_and_reads_back():
    rows = [
        {"participant": "=1+2", "session": "a,b", "aoi": 'say "hi"\nthere', "ttff_ms": 12.3456,
         "dwell_ms": 1000.0, "dwell_pct": 33.3333, "fixation_count": 3, "visits": 2, "revisits": 1,
         "first_fixation_duration_ms": 250.0},
        {"participant": "-x", "session": "@s", "aoi": "\tTab", "ttff_ms": None, "dwell_ms": 0.0,
         "dwell_pct": None, "fixation_count": 0, "visits": 0, "revisits": 0,
         "first_fixation_duration_ms": None},
        {"participant": "Zoë 名前 😀", "session": "+1", "aoi": "plain", "ttff_ms": -0.0001,
         "dwell_ms": 5.0, "dwell_pct": 100.0, "fixation_count": 1, "visits": 1, "revisits": 0,
         "first_fixation_duration_ms": 5.0},
    ]
    text = aoi_csv(rows)
    assert text.startswith(",".join(AOI_COLUMNS) + "\n") and text.endswith("\n")
    read = list(csv.DictReader(io.StringIO(text, newline="")))
    assert [r["participant"] for r in read] == ["'=1+2", "'-x", "Zoë 名前 😀"]
    assert [r["session"] for r in read] == ["a,b", "'@s", "'+1"]
    assert [r["aoi"] for r in read] == ['say "hi"\nthere', "'\tTab", "plain"]
    assert read[0]["ttff_ms"] == "12.346" and read[0]["dwell_pct"] == "33.33"
    assert read[0]["fixation_count"] == "3" and read[1]["ttff_ms"] == "" and read[1]["dwell_pct"] == ""
    assert read[2]["ttff_ms"] == "0.000"
    text.encode("utf-8")
    with pytest.raises(InputError, match="rows\\[0\\]"):
        aoi_csv([{"participant": "a"}])
    with pytest.raises(InputError, match=r"rows\[0\].dwell_ms must be a number"):
        aoi_csv([{**rows[0], "dwell_ms": "many"}])


def test_csv_of_a_real_table():
    # Every table row survives CSV: numbers to the stated decimals, text exactly.
    rng = random.Random(11)
    sessions = []
    for k in range(3):
        s = make_session(_scanpath_samples(rng, [(rng.uniform(0, 1280), rng.uniform(0, 720))
                                                 for _ in range(8)]), 1280, 720, None, CREATED)
        s["participant"] = f"P{k}, ünïcode"
        sessions.append(s)
    aois = [Aoi("half", "rect", [(0, 0), (640, 720)]), Aoi("tri", "polygon", [(0, 0), (1280, 0), (0, 720)])]
    rows = aoi_table(sessions, aois)
    read = list(csv.DictReader(io.StringIO(aoi_csv(rows), newline="")))
    assert len(read) == len(rows) == 6
    for r, row in zip(read, rows):
        assert r["participant"] == row["participant"] and r["aoi"] == row["aoi"]
        assert float(r["dwell_ms"]) == pytest.approx(row["dwell_ms"], abs=5e-4)
        assert int(r["visits"]) == row["visits"]


def test_worker_aoi_table():
    from gazeheat import _worker
    from gazeheat.session import dump_session

    rng = random.Random(17)
    session = make_session(_scanpath_samples(rng, [(100, 100), (700, 400), (110, 100)]), 1280, 720,
                           None, CREATED)
    session["participant"] = "P1"
    aois = [Aoi("corner", "rect", [(0, 0), (200, 200)]).to_dict()]
    reply = _worker.aoi_table([dump_session(session)], aois)
    assert reply["ok"] is True, reply
    result = reply["result"]
    assert result["columns"] == list(AOI_COLUMNS)
    (row,) = result["rows"]
    assert (row["participant"], row["session"], row["aoi"], row["visits"]) == ("P1", "1", "corner", 2)
    assert result["csv"].splitlines()[1].startswith("P1,1,corner,")
    file = json.dumps(dump_aois([Aoi.from_dict(a) for a in aois]))
    assert _worker.aoi_table([session], file)["result"]["rows"] == result["rows"]
    reply = _worker.aoi_table([session], [aois[0], aois[0]])
    assert reply["ok"] is False and "used twice" in reply["error"]["message"]
