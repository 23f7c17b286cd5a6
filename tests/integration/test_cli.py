"""The kafka-ml command: deterministic replay, a simulated incident found,
a real PNG from plot, capacity advice, and clear errors for bad input."""
import csv
import json
import os
import subprocess

from harness import BUILD

KML = os.path.join(BUILD, "kafka-ml")


def run(*args):
    return subprocess.run([KML] + [str(a) for a in args], capture_output=True, text=True, timeout=300)


def test_replay_is_deterministic(tmp_path):
    sim = tmp_path / "sim"
    assert run("simulate", "-o", sim, "--copies", 1, "--days", 4).returncode == 0
    outs = []
    for k in (1, 2):
        out = tmp_path / ("r%d" % k)
        p = run("replay", "-q", "-o", out, sim / "data")
        assert p.returncode == 0, p.stderr
        outs.append(out)
    files = sorted(os.path.relpath(os.path.join(d, f), outs[0])
                   for d, _, fs in os.walk(outs[0]) for f in fs)
    assert len(files) == 7
    for f in files:
        assert (outs[0] / f).read_bytes() == (outs[1] / f).read_bytes(), f
    # and the simulation itself is seeded
    sim2 = tmp_path / "sim2"
    run("simulate", "-o", sim2, "--copies", 1, "--days", 4)
    assert (sim / "labels" / "combined_windows.json").read_bytes() == \
        (sim2 / "labels" / "combined_windows.json").read_bytes()


def test_simulated_stall_is_found_in_its_window(tmp_path):
    sim = tmp_path / "sim"
    run("simulate", "-o", sim, "--copies", 1, "--days", 5, "--seed", 3)
    out = tmp_path / "out"
    f = "kafkaLag/consumer_stall_1.csv"
    assert run("replay", "-q", "-o", out / "kafkaLag", sim / "data" / f).returncode == 0
    win = json.load(open(sim / "labels" / "combined_windows.json"))[f][0]
    rows = list(csv.DictReader(open(out / f)))
    alerts = [r["timestamp"] for r in rows if r["alert"] == "1"]
    assert alerts, "no alert at all"
    assert any(win[0][:19] <= a <= win[1][:19] for a in alerts), (alerts, win)
    # alerts outside the window are rare (none expected on this seed)
    assert len([a for a in alerts if not win[0][:19] <= a <= win[1][:19]]) <= 1


def test_plot_writes_a_png_and_an_svg(tmp_path):
    sim = tmp_path / "sim"
    run("simulate", "-o", sim, "--copies", 1, "--days", 3)
    out = tmp_path / "out"
    run("replay", "-q", "-o", out, sim / "data")
    png, svg = tmp_path / "p.png", tmp_path / "p.svg"
    p = run("plot", out / "kafkaPartitions" / "hot_partition_1.csv", "-o", png, "--svg", svg)
    assert p.returncode == 0, p.stderr
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10000
    assert b"<svg" in svg.read_bytes()[:2000]


def test_whatif_recommends_more_partitions():
    p = run("whatif", "--rate", 1800, "--per-consumer", 150, "--partitions", 12, "--topic", "orders")
    assert p.returncode == 0, p.stderr
    # 12 x 150 = 1800 < 1800 * 1.2 -> 15 partitions
    assert "increase partitions of orders from 12 to 15" in p.stdout, p.stdout
    p = run("whatif", "--rate", 2400, "--per-consumer", 150, "--partitions", 12, "--sla", 60)
    assert "EXCEEDS SLA" in p.stdout


def test_bad_input_names_file_and_line(tmp_path):
    cases = {
        "missing.csv": ("timestamp,value\n2024-01-01 00:00:00,1\n2024-01-01 00:05:00\n", ":3: missing column"),
        "badtime.csv": ("timestamp,value\n2024-01-01 00:00:00,1\nyesterday,2\n", ":3: unparsable timestamp"),
        "badvalue.csv": ("timestamp,value\n2024-01-01 00:00:00,abc\n", ":2: unparsable value"),
        "empty.csv": ("", "empty file"),
        "header.csv": ("time,val\n1,2\n", ":1: header must name"),
    }
    for name, (text, want) in cases.items():
        path = tmp_path / name
        path.write_text(text)
        p = run("replay", "-o", tmp_path / "o", path)
        assert p.returncode == 2, (name, p.returncode, p.stderr)
        assert str(path) in p.stderr and want in p.stderr, (name, p.stderr)
    p = run("plot", tmp_path / "badtime.csv")
    assert p.returncode == 2 and "not a replay result" in p.stderr
    assert run("frobnicate").returncode == 2
    assert run("replay", "--memory", "x", tmp_path).returncode == 2
