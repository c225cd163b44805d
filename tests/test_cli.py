"""gazeheat.cli: the command line, run in-process on the fixture session."""

import json

import pytest

from gazeheat import cli
from gazeheat.export import parse_fixations_csv, parse_samples_csv
from gazeheat.png import decode_png_rgba


@pytest.fixture
def session_path(data_dir):
    return str(data_dir / "session_studio.json")


@pytest.fixture
def stimulus_path(data_dir):
    return str(data_dir / "stimulus_160x90.png")


def _run(capsys, *argv):
    code = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def _ok(capsys, *argv):
    code, out, err = _run(capsys, *argv)
    assert code == 0, err
    assert out.startswith("wrote ") and err == ""
    return out


def _fails(capsys, *argv, match):
    code, out, err = _run(capsys, *argv)
    assert code == 2
    lines = err.strip().splitlines()
    assert "Traceback" not in err and match in err, err
    assert len(lines) == 1 or lines[0].startswith("usage:")
    return err


def test_heatmap_over_the_stimulus(capsys, tmp_path, session_path, stimulus_path):
    out_png, legend_png = tmp_path / "heat.png", tmp_path / "legend.png"
    message = _ok(capsys, "heatmap", session_path, "--stimulus", stimulus_path, "--colormap",
                  "viridis", "--sigma-deg", "1.5", "-o", out_png, "--legend", legend_png)
    assert "160x90 px" in message and "10 fixations" in message
    w, h, rgba = decode_png_rgba(out_png.read_bytes())
    assert (w, h) == (160, 90) and set(rgba[3::4]) == {255}
    _, _, stimulus = decode_png_rgba(open(stimulus_path, "rb").read())
    assert rgba != stimulus
    lw, lh, _ = decode_png_rgba(legend_png.read_bytes())
    assert lw >= 300 and lh > 40


def test_heatmap_without_stimulus_uses_the_sessions_geometry(capsys, tmp_path, session_path):
    out = tmp_path / "heat.png"
    _ok(capsys, "heatmap", session_path, "-o", out, "--weighting", "relative", "--source",
        "samples", "--opacity", "0.5", "--cutoff", "0.1", "--scale-max", "0.05")
    assert decode_png_rgba(out.read_bytes())[:2] == (160, 90)
    _ok(capsys, "heatmap", session_path, "-o", out, "--transparent", "--colormap", "fog")
    w, h, rgba = decode_png_rgba(out.read_bytes())
    assert min(rgba[3::4]) < 255 and set(rgba[0::4]) == {0}


def test_session_without_stimulus_or_fixations(capsys, tmp_path, session_path, stimulus_path):
    session = json.load(open(session_path))
    del session["stimulus"], session["fixations"]
    path = tmp_path / "bare.json"
    path.write_text(json.dumps(session))
    out = tmp_path / "plot.png"
    message = _ok(capsys, "gazeplot", path, "-o", out)
    assert "1280x720 px" in message and "10 fixations" in message  # detected with I-VT
    assert decode_png_rgba(out.read_bytes())[:2] == (1280, 720)
    # an image given without a geometry is taken to fill the viewport
    _ok(capsys, "heatmap", path, "--stimulus", stimulus_path, "-o", out)
    assert decode_png_rgba(out.read_bytes())[:2] == (160, 90)


def test_gazeplot(capsys, tmp_path, session_path, stimulus_path):
    out = tmp_path / "plot.png"
    message = _ok(capsys, "gazeplot", session_path, "--stimulus", stimulus_path, "-o", out,
                  "--sizing", "linear", "--max-radius-deg", "2")
    assert "10 fixations" in message
    assert decode_png_rgba(out.read_bytes())[:2] == (160, 90)


def test_csv(capsys, tmp_path, session_path):
    samples, fixations = tmp_path / "s.csv", tmp_path / "f.csv"
    message = _ok(capsys, "csv", session_path, "--samples", samples, "--fixations", fixations)
    assert "129 samples" in message and "10 fixations" in message
    rows = parse_samples_csv(samples.read_text(encoding="utf-8"))
    assert len(rows) == 129 and "stim_x_px" in rows[0]
    assert rows[0]["stim_x_px"] == pytest.approx((rows[0]["x_px"] - 160) / 6, abs=0.01)
    assert len(parse_fixations_csv(fixations.read_bytes())) == 10


def test_bad_input_is_one_line_and_exit_code_2(capsys, tmp_path, session_path, data_dir):
    out = tmp_path / "x.png"
    _fails(capsys, "heatmap", tmp_path / "missing.json", "-o", out, match="missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    _fails(capsys, "heatmap", bad, "-o", out, match="not valid JSON")
    bad.write_text(json.dumps({**json.load(open(session_path)), "stimulus": {"kind": "x"}}))
    _fails(capsys, "gazeplot", bad, "-o", out, match="stimulus")
    jpeg = tmp_path / "photo.jpg"
    jpeg.write_bytes(b"\xff\xd8\xff\xe0" + bytes(20))
    _fails(capsys, "heatmap", session_path, "--stimulus", jpeg, "-o", out, match="JPEG")
    notpng = tmp_path / "x.png"
    notpng.write_bytes(b"hello")
    _fails(capsys, "heatmap", session_path, "--stimulus", notpng, "-o", out, match="not a PNG")
    _fails(capsys, "heatmap", session_path, "--opacity", "2", "-o", out, match="between 0 and 1")
    _fails(capsys, "heatmap", session_path, "--scale-max", "-1", "-o", out, match="> 0")
    _fails(capsys, "heatmap", session_path, "--colormap", "rainbow", "-o", out, match="invalid choice")
    _fails(capsys, "heatmap", session_path, match="-o/--output")
    _fails(capsys, "csv", session_path, match="nothing to write")
    _fails(capsys, "heatmap", session_path, "-o", tmp_path / "no" / "dir.png",
           match="No such file")
    assert not (tmp_path / "no").exists()
    assert (data_dir / "session_studio.json").exists()


def test_help_and_version(capsys):
    code, out, _ = _run(capsys, "--help")
    assert code == 0 and "heatmap" in out and "gazeplot" in out and "csv" in out
    code, out, _ = _run(capsys, "--version")
    assert code == 0 and out.startswith("gazeheat ")
    code, _, err = _run(capsys)
    assert code == 2 and "usage:" in err
