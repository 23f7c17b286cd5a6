"""The kafka-ml command: deterministic replay, a simulated incident found,
a real PNG from plot, capacity advice, and clear errors for bad input."""
import csv
import json
import os
import re
import subprocess

from harness import BUILD, SRC

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
    # at 300 s: the benign pauses and blips of a 10 s simulation page the
    # detector today (bench/quality.py measures that); this checks the stall
    run("simulate", "-o", sim, "--copies", 1, "--days", 5, "--seed", 3, "--step", 300)
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


def test_replay_of_less_than_the_warm_up_says_why_nothing_was_notified(tmp_path):
    """2000 values at 10 s (5.6 h) with a 200x step: nothing can be notified
    within the default day of warm-up, and the summary says so; with a
    shorter --warmup the step is notified and the remark is gone."""
    import random
    rnd = random.Random(5)
    rows = ["%d,%f" % (1767225600 + 10 * i, (200 if i >= 1500 else 1) * (10 + rnd.gauss(0, 1)))
            for i in range(2000)]
    f = tmp_path / "step.csv"
    f.write_text("epoch,value\n" + "\n".join(rows) + "\n")
    p = run("replay", "-o", tmp_path / "a", f)
    assert p.returncode == 0, p.stderr
    assert "0 anomaly and 0 forecast notification(s)" in p.stderr, p.stderr
    assert "1 of 1 series ended within the 1 d warm-up: no anomaly notification was possible " \
        "for it (a shorter --warmup tries the model on less history)" in p.stderr, p.stderr
    p = run("replay", "--warmup", "10m", "-o", tmp_path / "b", f)
    assert p.returncode == 0, p.stderr
    assert not re.search(r" 0 anomaly and", p.stderr) and "warm-up" not in p.stderr, p.stderr

def test_replay_why_says_what_paged(tmp_path):
    """--why adds rate,surprise,view: where a spike after the warm-up pages,
    its rate is below the budget (0.02 a day) and a view is named; the
    zscore detector has no views; without --why the header is unchanged."""
    import random
    rnd = random.Random(7)
    rows = ["%d,%f" % (1767225600 + 300 * i, (60 if i == 700 else 0) + 10 + rnd.gauss(0, 1))
            for i in range(800)]
    f = tmp_path / "spike.csv"
    f.write_text("epoch,value\n" + "\n".join(rows) + "\n")
    base = "timestamp,value,anomaly_score,expected,lower,upper,alert,notification"
    p = run("replay", "-q", "--why", "-o", tmp_path / "w", f)
    assert p.returncode == 0, p.stderr
    text = (tmp_path / "w" / "spike.csv").read_text()
    assert text.splitlines()[0] == base + ",rate,surprise,view"
    rows = list(csv.DictReader(text.splitlines()))
    first = next(r for r in rows if r["alert"] == "1")
    assert first["timestamp"] == str(1767225600 + 300 * 700), first
    assert float(first["rate"]) < 0.02 and float(first["surprise"]) > 0, first
    assert first["view"] in ("level", "jump", "season", "shift", "vol", "drift", "run", "trend"), first
    p = run("replay", "-q", "--why", "--detector", "zscore", "-o", tmp_path / "z", f)
    assert p.returncode == 0, p.stderr
    rows = list(csv.DictReader(open(tmp_path / "z" / "spike.csv")))
    assert all(r["view"] == "" and r["surprise"] == "" for r in rows)
    assert float(rows[700]["rate"]) < 0.02 and rows[700]["alert"] == "1", rows[700]
    assert run("replay", "-q", "-o", tmp_path / "d", f).returncode == 0
    assert (tmp_path / "d" / "spike.csv").read_text().splitlines()[0] == base


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


def test_whatif_prices_a_rebalance_and_a_storm():
    # 1200 msg/s, 12 x 150 = 1800 msg/s: a 30 s pause adds 36000 messages,
    # drained in 36000 / 600 = 60 s
    p = run("whatif", "--rate", 1200, "--per-consumer", 150, "--partitions", 12,
            "--rebalance-pause", 30, "--rebalances-per-hour", 12)
    assert p.returncode == 0, p.stderr
    assert "36000 messages of lag, the oldest 30 s old" in p.stdout, p.stdout
    assert "drained in 60 s" in p.stdout and "back to normal 90 s" in p.stdout
    assert "recovers from each before the next" in p.stdout
    p = run("whatif", "--rate", 1200, "--per-consumer", 150, "--partitions", 12,
            "--rebalance-pause", "30s", "--rebalances-per-hour", 60)
    assert "a storm" in p.stdout and "grows 300.0 msg/s" in p.stdout, p.stdout
    # the plan covers the peak with consumption paused half the time:
    # ceil(1200 * 1.2 / (150 * 0.5)) = 20 consumers, not "no change"
    assert ("recommendation: increase partitions of the topic from 12 to 20 and run 20 consumers"
            in p.stdout and "pause consumption 50% of the time" in p.stdout), p.stdout
    p = run("whatif", "--rate", 1200, "--per-consumer", 150, "--partitions", 12,
            "--rebalance-pause", 60, "--rebalances-per-hour", 60)
    assert "recommendation: fix the rebalances first" in p.stdout, p.stdout
    p = run("whatif", "--rate", 1200, "--per-consumer", 150, "--partitions", 12)
    assert "rebalance" not in p.stdout
    assert "recommendation: no change needed; 10 consumers" in p.stdout, p.stdout


# CSV refusals: (content, text the message must hold after "FILE:")
CSV_BAD = {
    "missing.csv": (b"timestamp,value\n2024-01-01 00:00:00,1\n2024-01-01 00:05:00\n", ":3: missing column"),
    "badtime.csv": (b"timestamp,value\n2024-01-01 00:00:00,1\nyesterday,2\n", ":3: unparsable timestamp"),
    "badvalue.csv": (b"timestamp,value\n2024-01-01 00:00:00,abc\n", ":2: unparsable value"),
    "infvalue.csv": (b"timestamp,value\n2024-01-01 00:00:00,inf\n", ":2: unparsable value"),
    "hugevalue.csv": (b"timestamp,value\n2024-01-01 00:00:00,1e999\n", ":2: unparsable value"),
    "hexvalue.csv": (b"timestamp,value\n2024-01-01 00:00:00,0x10\n", ":2: unparsable value"),
    "empty.csv": (b"", ":1: empty file"),
    "blank.csv": (b"\n\n  \n", ":3: empty file"),
    "bomonly.csv": (b"\xef\xbb\xbf", ":1: empty file"),
    "header.csv": (b"time,val\n1,2\n", ":1: header must name"),
    "norows.csv": (b"timestamp,value\n", ":1: no data rows"),
    "norows2.csv": (b"timestamp,value\r\n\r\n", ":2: no data rows"),
    "fracexp.csv": (b"timestamp,value\n2024-01-01 00:00:00.5e999,1\n", ":2: unparsable timestamp"),
    "epochinf.csv": (b"epoch,value\n1e999,1\n", ":2: unparsable timestamp"),
    "epochms.csv": (b"epoch,value\n1700000000000,1\n", ":2: timestamp out of range"),
    "negepoch.csv": (b"epoch,value\n-5,1\n", ":2: timestamp out of range"),
    "feb31.csv": (b"timestamp,value\n2024-02-31 00:00:00,1\n", ":2: impossible date"),
    "feb29.csv": (b"timestamp,value\n2023-02-29 00:00:00,1\n", ":2: impossible date"),
    "hour24.csv": (b"timestamp,value\n2024-01-01 24:00:00,1\n", ":2: impossible date"),
    "nul.csv": (b"timestamp,value\n2024-01-01 00:00:00,1\x002\n", ":2: NUL byte"),
}


def test_bad_input_names_file_and_line(tmp_path):
    for name, (data, want) in CSV_BAD.items():
        path = tmp_path / name
        path.write_bytes(data)
        p = run("replay", "-o", tmp_path / "o", path)
        assert p.returncode == 2, (name, p.returncode, p.stderr)
        assert (str(path) + want) in p.stderr, (name, p.stderr)
        assert not (tmp_path / "o" / name).exists(), name
    p = run("plot", tmp_path / "badtime.csv")
    assert p.returncode == 2 and "not a replay result" in p.stderr
    assert run("frobnicate").returncode == 2
    assert run("replay", "--memory", "x", tmp_path).returncode == 2


def test_bom_crlf_and_cr_are_read(tmp_path):
    rows = ["2024-01-01 00:%02d:00,%d" % (i, i) for i in range(30)]
    variants = {
        "lf.csv": ("timestamp,value\n" + "\n".join(rows) + "\n").encode(),
        "bom.csv": b"\xef\xbb\xbf" + ("timestamp,value\r\n" + "\r\n".join(rows) + "\r\n").encode(),
        "cr.csv": ("timestamp,value\r" + "\r".join(rows)).encode(),
    }
    outs = {}
    for name, data in variants.items():
        (tmp_path / name).write_bytes(data)
        p = run("replay", "-q", "-o", tmp_path / "o", tmp_path / name)
        assert p.returncode == 0, (name, p.stderr)
        outs[name] = (tmp_path / "o" / name).read_bytes()
    assert outs["lf.csv"] == outs["bom.csv"] == outs["cr.csv"]
    assert outs["lf.csv"].count(b"\n") == 31


def test_unsorted_rows_are_sorted_with_a_warning_or_refused(tmp_path):
    src = tmp_path / "r.csv"
    src.write_text("timestamp,value\n2024-01-01 00:10:00,3\n2024-01-01 00:00:00,1\n"
                   "2024-01-01 00:05:00,2\n2024-01-01 00:05:00,9\n")
    p = run("replay", "-o", tmp_path / "o", src)
    assert p.returncode == 0, p.stderr
    assert "warning: %s:3: row before the one above it; 4 row(s) out of time order sorted" % src in p.stderr, p.stderr
    assert "warning: %s:5: same timestamp as the row above; 1 such row(s) kept in file order" % src in p.stderr
    rows = list(csv.DictReader(open(tmp_path / "o" / "r.csv")))
    assert [r["timestamp"][-5:-3] for r in rows] == ["00", "05", "05", "10"]
    # stable; the model skips a value at the same time as the one before
    assert [r["value"] for r in rows] == ["1", "2", "", "3"], rows
    # --strict refuses both, naming the line
    p = run("replay", "--strict", "-o", tmp_path / "o2", src)
    assert p.returncode == 2
    assert '%s:3: timestamp "2024-01-01 00:00:00" is before the one on line 2' % src in p.stderr, p.stderr
    dup = tmp_path / "dup.csv"
    dup.write_text("timestamp,value\n2024-01-01 00:00:00,1\n2024-01-01 00:00:00,2\n")
    p = run("replay", "--strict", "-o", tmp_path / "o2", dup)
    assert p.returncode == 2 and "%s:3: timestamp \"2024-01-01 00:00:00\" is the same as the one on line 2" % dup in p.stderr
    help_text = run("replay", "--help").stdout
    assert "--strict" in help_text and "sorted" in help_text


def test_never_overwrites_an_input_nor_follows_a_symlink(tmp_path):
    data = "timestamp,value\n" + "".join("2024-01-01 00:%02d:00,%d\n" % (i, i % 7) for i in range(40))
    src = tmp_path / "data.csv"
    src.write_text(data)
    # replay -o . data.csv would replace its own input
    p = subprocess.run([KML, "replay", "-o", ".", "data.csv"], cwd=tmp_path, capture_output=True, text=True)
    assert p.returncode == 2 and "would replace its own input" in p.stderr, p.stderr
    assert src.read_text() == data
    # a directory replayed into itself: refused before anything is written
    d = tmp_path / "d"
    d.mkdir()
    (d / "a.csv").write_text(data)
    (d / "b.csv").write_text(data)
    p = run("replay", "-o", d, d)
    assert p.returncode == 2 and "would replace its own input" in p.stderr
    assert (d / "a.csv").read_text() == data and (d / "b.csv").read_text() == data
    # a hard link is the same file
    os.link(src, tmp_path / "o-link.csv")
    os.makedirs(tmp_path / "o2")
    os.link(src, tmp_path / "o2" / "data.csv")
    p = run("replay", "-o", tmp_path / "o2", src)
    assert p.returncode == 2 and "would replace its own input" in p.stderr
    assert src.read_text() == data
    # a symlink at the result's place is replaced, its target untouched
    victim = tmp_path / "victim"
    victim.write_text("keep me")
    out = tmp_path / "o3"
    out.mkdir()
    os.symlink(victim, out / "data.csv")
    p = run("replay", "-q", "-o", out, src)
    assert p.returncode == 0, p.stderr
    assert victim.read_text() == "keep me"
    assert not os.path.islink(out / "data.csv")
    assert (out / "data.csv").read_text().startswith("timestamp,value,anomaly_score")
    # plot: not over its input, not through a symlink
    os.symlink(victim, tmp_path / "p.png")
    p = run("plot", out / "data.csv", "-o", tmp_path / "p.png")
    assert p.returncode == 0, p.stderr
    assert victim.read_text() == "keep me"
    assert (tmp_path / "p.png").read_bytes()[:4] == b"\x89PNG"
    assert "wrote " + str(tmp_path / "p.png") in p.stderr
    p = run("plot", out / "data.csv", "-o", out / "data.csv")
    assert p.returncode == 2 and "one of the inputs" in p.stderr
    # simulate writes through no symlink either
    sim = tmp_path / "sim"
    (sim / "labels").mkdir(parents=True)
    os.symlink(victim, sim / "scenarios.json")
    p = run("simulate", "-o", sim, "--copies", 1, "--days", 3)
    assert p.returncode == 0, p.stderr
    assert victim.read_text() == "keep me"
    # no temporary files are left behind
    leftovers = [f for _, _, fs in os.walk(tmp_path) for f in fs if ".csv." in f or ".json." in f]
    assert not leftovers, leftovers


# (command line, what stderr must say); every one exits 2 at once
ARGS_BAD = [
    (["simulate"], "-o DIR is required"),
    (["simulate", "-o", "S", "--days", "1e6"], "--days must be from 2 to 3660"),
    (["simulate", "-o", "S", "--step", "1e-9"], "--step must be from 1 to 86400 seconds"),
    (["simulate", "-o", "S", "--copies", "1e9"], "--copies must be a whole number from 1 to 1000"),
    (["simulate", "-o", "S", "--copies", "2.5"], "--copies must be a whole number"),
    (["simulate", "-o", "S", "--seed", "-1"], "--seed must be a whole number"),
    (["simulate", "-o", "S", "--seed", "1e300"], "--seed must be a whole number"),
    (["simulate", "-o", "S", "--days", "3660", "--step", "1"], "values per series; at most"),
    (["simulate", "-o", "S", "--days", "365", "--step", "60", "--copies", "1000"], "in all (fewer --copies"),
    (["simulate", "-o", "S", "--days", "nan"], "--days must be"),
    (["whatif", "--rate", "-5", "--per-consumer", "1", "--partitions", "2"], "--rate must be above 0"),
    (["whatif", "--rate", "5", "--per-consumer", "0", "--partitions", "2"], "--per-consumer must be above 0"),
    (["whatif", "--rate", "5", "--per-consumer", "1", "--partitions", "2.5"], "--partitions must be a whole number"),
    (["whatif", "--rate", "5", "--per-consumer", "1", "--partitions", "0"], "--partitions must be a whole number"),
    (["whatif", "--rate", "5", "--per-consumer", "1", "--partitions", "2", "--sla", "0"], "--sla must be above 0"),
    (["whatif", "--rate", "5", "--per-consumer", "1", "--partitions", "2", "--consumers", "0"], "--consumers must be a whole number from 1"),
    (["whatif", "--rate", "5", "--per-consumer", "1", "--partitions", "2", "--headroom", "-0.1"], "--headroom must be from 0 to 10"),
    (["whatif", "--rate", "5", "--per-consumer", "1", "--partitions", "2", "--rebalance-pause", "0"],
     "--rebalance-pause must be above 0"),
    (["whatif", "--rate", "5", "--per-consumer", "1", "--partitions", "2", "--rebalances-per-hour", "3"],
     "--rebalances-per-hour needs --rebalance-pause"),
    (["whatif", "--rate", "5", "--per-consumer", "1", "--partitions", "2", "--peak-seconds", "inf"], "--peak-seconds must be a duration"),
    (["whatif", "--rate", "5", "--per-consumer", "1", "--partitions", "2", "--horizon", "2y"], "--horizon must be a duration"),
    (["whatif", "--rate", "5", "--per-consumer", "1"], "are required"),
    (["whatif", "--rate", "5", "--per-consumer", "1", "--partitions", "2", "extra"], "unexpected argument"),
    (["replay", "--budget", "5", "x.csv"], "--budget must be above 0 and up to 4"),
    (["replay", "--budget", "0", "x.csv"], "--budget must be above 0"),
    (["replay", "--alert-p", "0.1", "x.csv"], "unknown option"),
    (["replay", "--memory", "0", "x.csv"], "--memory must be above 0"),
    (["replay", "--memory", "5x", "x.csv"], "--memory must be a duration"),
    (["replay", "--relearn", "0", "x.csv"], "--relearn must be above 0"),
    (["replay", "--refractory", "-1", "x.csv"], "--refractory must be from 0"),
    (["replay", "--warmup", "1e12", "x.csv"], "--warmup must be from 0"),
    (["replay", "--horizon", "0", "x.csv"], "--horizon must be above 0"),
    (["replay", "--threshold", "nan", "x.csv"], "--threshold must be a number"),
    (["replay", "--kind", "gauges", "x.csv"], "--kind \"gauges\" is not one of"),
    (["replay", "--detector", "magic", "x.csv"], "--detector \"magic\" is not model or zscore"),
    (["replay", "--bogus", "x.csv"], "unknown option"),
    (["replay"], "no INPUT given"),
    (["replay", "-o", "", "x.csv"], "--output must not be empty"),
    (["plot"], "exactly one RESULT.csv"),
    (["plot", "a.csv", "--title", "it's"], "must be non-empty and hold no '"),
]


def test_every_numeric_argument_is_validated(tmp_path):
    for args, want in ARGS_BAD:
        p = subprocess.run([KML] + args, capture_output=True, text=True, timeout=20, cwd=tmp_path)
        assert p.returncode == 2, (args, p.returncode, p.stderr)
        assert want in p.stderr, (args, p.stderr)
        assert "kafka-ml %s: " % args[0] in p.stderr, (args, p.stderr)
    assert not os.path.exists(tmp_path / "S"), "a refused simulate wrote files"


def test_version_everywhere():
    for args in (["--version"], ["replay", "--version"], ["simulate", "--version"],
                 ["plot", "--version"], ["whatif", "--version"]):
        p = run(*args)
        assert p.returncode == 0 and p.stdout.startswith("kafka-ml (collectd-kafka-ml) "), (args, p)


def _collectd_history(tmp_path, days=3, step=60):
    """A real collectd writes `days` of one gauge (exec feeder, one value per
    `step` s, level 100 with noise) through its csv and rrdtool plugins.
    Returns (csv file, rrd file)."""
    import glob
    import shutil
    from harness import SRC, Collectd, readable_copy, wait_for
    feeder = readable_copy(os.path.join(SRC, "tests", "integration", "feeder.py"))
    n = int(days * 86400 / step)
    rrd_dir = tmp_path / "rrd"
    body = """
LoadPlugin exec
<Plugin exec>
  Exec "nobody" "/usr/bin/env" "KML_STEP=%d" "KML_IDENT=hist/exec-lag/gauge-age" "/usr/bin/python3" "%s" "%d:100:2"
</Plugin>
LoadPlugin rrdtool
<Plugin rrdtool>
  DataDir "%s"
</Plugin>
""" % (step, feeder, n, rrd_dir)
    cd = Collectd(body, plugins=(), write_threads=1)
    shutil.copy("/usr/lib/collectd/rrdtool.so", os.path.join(cd.dir, "plugins"))
    try:
        cd.start()
        wait_for(lambda: len(cd.values("hist", "exec", "gauge", "lag", "age")) >= n, 120,
                 "collectd's csv plugin to write %d values" % n)
        cd.stop()  # the rrdtool plugin flushes its cache
        csvs = glob.glob(os.path.join(cd.data, "hist", "exec-lag", "gauge-age-*"))
        rrds = glob.glob(str(rrd_dir / "hist" / "exec-lag" / "gauge-age.rrd"))
        assert len(csvs) == 1 and len(rrds) == 1, (csvs, rrds)
        keep = tmp_path / "history"
        keep.mkdir()
        shutil.copy(csvs[0], keep)
        shutil.copy(rrds[0], keep)
        return keep / os.path.basename(csvs[0]), keep / "gauge-age.rrd"
    finally:
        cd.cleanup()


def test_replays_collectds_own_csv_and_rrd_files(tmp_path):
    day_file, rrd = _collectd_history(tmp_path)
    lines = day_file.read_text().splitlines()
    assert lines[0] == "epoch,value", lines[0]
    # the tree as the csv plugin lays it out over three days: HOST/PLUGIN-PI/
    # TYPE-TI-YYYY-MM-DD, one file per day (the plugin names files by the
    # day it writes them; the split below is what three days of it leave)
    import datetime
    tree = tmp_path / "csvtree" / "hist" / "exec-lag"
    tree.mkdir(parents=True)
    by_day = {}
    for line in lines[1:]:
        day = datetime.datetime.utcfromtimestamp(float(line.split(",")[0])).strftime("%Y-%m-%d")
        by_day.setdefault(day, []).append(line)
    assert len(by_day) >= 3
    for day, rows in by_day.items():
        (tree / ("gauge-age-" + day)).write_text("epoch,value\n" + "\n".join(rows) + "\n")
    # a two-value type in the same tree is skipped with a warning
    (tree / ("if_octets-" + min(by_day))).write_text("epoch,rx,tx\n1700000000.000,1,2\n")
    p = run("replay", "-o", tmp_path / "out", tmp_path / "csvtree")
    assert p.returncode == 0, p.stderr
    assert "warning: skipped" in p.stderr and "if_octets" in p.stderr
    joined = tmp_path / "out" / "hist" / "exec-lag" / "gauge-age.csv"
    rows = list(csv.DictReader(open(joined)))
    assert len(rows) == len(lines) - 1  # every day, once, in order
    assert [r["timestamp"] for r in rows] == [l.split(",")[0] for l in lines[1:]]
    # the single file as written replays to the same results
    p = run("replay", "-q", "-o", tmp_path / "single", day_file)
    assert p.returncode == 0, p.stderr
    single = (tmp_path / "single" / (day_file.name[:-11] + ".csv")).read_bytes()
    assert single == joined.read_bytes()
    # the RRD: archives stitched, fine resolution at the end, coarse before
    p = run("replay", "-q", "-o", tmp_path / "rrdout", rrd)
    assert p.returncode == 0, p.stderr
    rr = list(csv.DictReader(open(tmp_path / "rrdout" / "gauge-age.csv")))
    ts = [datetime.datetime.strptime(r["timestamp"], "%Y-%m-%d %H:%M:%S").timestamp() for r in rr]
    span = ts[-1] - ts[0]
    assert span >= 2.5 * 86400, span
    assert ts[-1] - ts[-2] == 60 and ts[1] - ts[0] > 60, (ts[:3], ts[-3:])
    vals = [float(r["value"]) for r in rr if r["value"]]
    assert abs(sum(vals) / len(vals) - 100) < 1.5, sum(vals) / len(vals)
    # a data source that is not there is named
    p = run("replay", "--column", "rx", "-o", tmp_path / "rrdout2", rrd)
    assert p.returncode == 2 and 'no data source "rx" (it has: value)' in p.stderr, p.stderr


def test_whatif_plans_a_flat_series_at_its_peak_and_says_why(tmp_path):
    sim = tmp_path / "sim"
    assert run("simulate", "-o", sim, "--seed", 1).returncode == 0
    rate = sim / "data" / "kafkaTraffic" / "traffic_normal_1.csv"
    p = run("whatif", "--rate", rate, "--per-consumer", 150, "--partitions", 12, "--topic", "orders")
    assert p.returncode == 0, p.stderr
    out = p.stdout
    highest = float(out.split("measured: highest ")[1].split()[0])
    planned = float(out.split("planning for a peak of ")[1].split()[0])
    # producer bursts (1.2-1.5x) reach above the daily peaks; was 36,993 msg/s
    assert highest < 1500 and planned == highest, out
    assert "growth: none the daily peaks show" in out
    assert "backtest on this series:" in out and " of " in out
    assert "no change needed" in out, out  # 12 x 150 = 1800 > 1.2 x peak
    assert "assumptions:" in out and "a partition feeds at most one consumer" in out
    help_text = run("whatif", "--help").stdout
    assert "--topic" in help_text and "Output (stdout)" in help_text


def test_plot_draws_threshold_forecast_severities_and_a_time_range(tmp_path):
    sim = tmp_path / "sim"
    assert run("simulate", "-o", sim, "--copies", 1, "--days", 14, "--seed", 1,
               "--step", 300).returncode == 0
    out = tmp_path / "out"
    assert run("replay", "-q", "--threshold", 300, "-o", out, sim / "data" / "kafkaLag").returncode == 0
    res = out / "slow_consumer_1.csv"
    rows = list(csv.DictReader(open(res)))
    notes = [r["notification"] for r in rows if r["notification"]]
    assert "forecast WARNING" in notes and "forecast FAILURE" in notes, notes
    # the summary counts both kinds of notification, as the file has them
    p = run("replay", "--threshold", 300, "-o", tmp_path / "out2", sim / "data" / "kafkaLag" / "slow_consumer_1.csv")
    assert p.returncode == 0, p.stderr
    kinds = [k for n in notes for k in n.split(";")]
    anomaly = len([k for k in kinds if k in ("WARNING", "FAILURE")])
    forecast = len([k for k in kinds if k in ("forecast WARNING", "forecast FAILURE")])
    assert forecast >= 2
    assert "replayed 1 series, 4032 values, %d anomaly and %d forecast notification(s) in " % (
        anomaly, forecast) in p.stderr, (p.stderr, kinds)
    breach = next(r["timestamp"] for r in rows if r["notification"] == "forecast FAILURE")
    svg = tmp_path / "lag.svg"
    p = run("plot", res, "--threshold", 300, "--svg", svg)
    assert p.returncode == 0, p.stderr
    assert "warning" not in p.stderr, p.stderr  # gnuplot had nothing to complain about
    text = svg.read_text()
    for want in ("threshold 300", "forecast (made 1800 s before)", "FAILURE", "WARNING",
                 "(log scale)", "2026-01-01 00:00 .. 2026-01-14 23:55 UTC"):
        assert want in text, want
    # two hours around the breach: linear axis, the range in the title
    day, hour = breach.split()
    h = int(hour[:2])
    frm, to = "%s %02d:00:00" % (day, h - 1), "%s %02d:00:00" % (day, h + 1)
    p = run("plot", res, "--threshold", 300, "--from", frm, "--to", to, "--svg", tmp_path / "2h.svg",
            "-o", tmp_path / "2h.png")
    assert p.returncode == 0, p.stderr
    text = (tmp_path / "2h.svg").read_text()
    assert "%s .. %s UTC" % (frm[:16], to[:16]) in text and "(log scale)" not in text
    assert "forecast_FAILURE" in text  # the marker's label
    assert (tmp_path / "2h.png").read_bytes()[:4] == b"\x89PNG"
    p = run("plot", res, "--from", "2030-01-01", "-o", tmp_path / "none.png")
    assert p.returncode == 2 and "no rows between --from and --to" in p.stderr
    assert run("plot", res, "--from", "2026-01-05", "--to", "2026-01-04").returncode == 2
    help_text = run("plot", "--help").stdout
    assert "--from" in help_text and "./plot.png" in help_text and "stderr" in help_text


def test_tune_proposes_matches_within_the_budget_that_load(tmp_path):
    import random
    import shutil
    from harness import Collectd
    day_file, rrd = _collectd_history(tmp_path, days=3)
    tree = tmp_path / "tree" / "hist"
    (tree / "exec-lag").mkdir(parents=True)
    shutil.copy(day_file, tree / "exec-lag")
    # a calm series with two values 10,000 sds out past its first day: two
    # notifications at any FalseAlarmsPerDay the ladder tries
    (tree / "exec-noisy").mkdir()
    rnd = random.Random(3)
    t0 = 1767225600
    vals = [10 + rnd.gauss(0, 1) for _ in range(3 * 1440)]
    vals[int(1.5 * 1440)] = vals[int(2.5 * 1440)] = 1e4
    rows = ["%d.000,%f" % (t0 + 60 * i, v) for i, v in enumerate(vals)]
    (tree / "exec-noisy" / "other-spiky-2026-01-01").write_text("epoch,value\n" + "\n".join(rows) + "\n")
    p = run("tune", "--budget", "0.5", tmp_path / "tree")
    assert p.returncode == 0, p.stderr
    snippet = p.stdout
    assert '<Match "exec-gauge">' in snippet and 'Plugin "^exec$"' in snippet and 'Type "^gauge$"' in snippet
    # each group's rate past the warm-up, and a FalseAlarmsPerDay of the
    # ladder (the budget, 1/2, 1/5 or 1/10 of it) for the one proposed
    assert "series-days past the warm-up" in snippet and "budget 0.5" in snippet, snippet
    fapd = re.findall(r"^\s*FalseAlarmsPerDay (\S+)$", snippet, re.M)
    assert len(fapd) == 1 and float(fapd[0]) in (0.5, 0.25, 0.1, 0.05), snippet
    assert "# exec-other:" in snippet and "not proposed: above the budget of 0.5" in snippet, snippet
    # what tune prints loads as written in a real collectd
    cd = Collectd(snippet, plugins=("ml",))
    try:
        rc, out = cd.test_once()
        assert rc == 0, out
        assert not [l for l in out.splitlines() if "[error]" in l and "ml plugin" in l], out
        assert "ml plugin: 1 match block(s)" in out, out
    finally:
        cd.cleanup()
    # the spiky group's rate at the lowest rung is reported with the reason
    p = run("tune", "--budget", "0.02", tmp_path / "tree")
    assert p.returncode == 0, p.stderr
    # (at 0.002 a day one of the two may already stay below what one value can show)
    assert re.search(r"# exec-other: 1 series, 2\.0 series-days past the warm-up; at FalseAlarmsPerDay "
                     r"0\.002: [12] anomaly", p.stdout), p.stdout
    assert "not proposed: above the budget of 0.02" in p.stdout, p.stdout
    assert run("tune", "--budget", "0", tmp_path / "tree").returncode == 2
    assert "false-alarm budget" in run("tune", "--help").stdout


def _incident_datadir(root, step=10, n=60, onset=40):
    """collectd csv files of a small cluster "prod" (3 brokers, topic
    orders with 6 partitions, partition p led by broker p % 3 + 1) and of
    the brokers' hosts: from value `onset` broker 2 slows (its round-trip
    time x8, its host's disk busy), the group billing stops keeping up on
    the partitions it leads (orders-1, orders-4), and memory grows on every
    host all along (a trend that must not match)."""
    import math
    import random
    rnd = random.Random(7)
    t0 = 1767225600
    files = {}

    def put(host, pdir, tname, header, t, vals):
        key = (host, pdir, tname)
        if key not in files:
            files[key] = [header]
        files[key].append("%.3f,%s" % (t, ",".join("%g" % v for v in vals)))

    lag = [0.0] * 6
    offset = [0.0] * 6
    io_cum = [0.0] * 4
    for s in range(n):
        t = t0 + s * step
        tk = t + 0.4
        slow = s >= onset
        for b in (1, 2, 3):
            rtt = (3 + rnd.random()) * (8 if slow and b == 2 else 1)
            put("prod", "kafka-broker-%d" % b, "kafka_rtt", "epoch,value", tk, [rtt])
            put("prod", "kafka-broker-%d" % b, "kafka_leaders", "epoch,value", tk, [2])
            put("prod", "kafka-broker-%d" % b, "kafka_messages_in", "epoch,value", tk,
                [200 * (1 + 0.05 * rnd.gauss(0, 1))])
            host = "kafka%d" % b
            th = t + 2
            put(host, "memory", "memory-used", "epoch,value", th, [4e9 + 3e6 * s + 1e6 * rnd.gauss(0, 1)])
            io = 50 + 10 * rnd.gauss(0, 1)
            if b == 2 and s >= onset - 1:
                io *= 6
            io_cum[b] += io * step
            put(host, "disk-sda", "disk_io_time", "epoch,io_time,weighted_io_time", th,
                [int(io_cum[b]), int(2 * io_cum[b])])
        for p in range(6):
            rate = 100 * (1 + 0.3 * s / n + 0.05 * rnd.gauss(0, 1))
            offset[p] += rate * step
            put("prod", "kafka-topic-orders", "kafka_offset-orders-%d" % p, "epoch,value", tk, [int(offset[p])])
            put("prod", "kafka-topic-orders", "kafka_leader-orders-%d" % p, "epoch,value", tk, [p % 3 + 1])
            if slow and p % 3 + 1 == 2:
                lag[p] += rate * 0.6 * step
            saw = rate * 0.5 * rnd.random()  # commits every 500 ms
            put("prod", "kafka-group-billing", "kafka_lag-orders-%d" % p, "epoch,value", tk,
                [int(lag[p] + saw)])
        put("prod", "kafka-group-billing", "kafka_lag-total", "epoch,value", tk, [sum(lag) + 900])
    for (host, pdir, tname), lines in files.items():
        d = root / host / pdir
        d.mkdir(parents=True, exist_ok=True)
        (d / ("%s-2026-01-01" % tname)).write_text("\n".join(lines) + "\n")
    return t0 + (n - 1) * step


def test_explain_names_partitions_leader_and_matches(tmp_path):
    data = tmp_path / "csv"
    last = _incident_datadir(data)
    types = [os.path.join(SRC, "collectd.conf.d", "kafka.types.db")]
    if os.path.exists("/usr/share/collectd/types.db"):
        types.insert(0, "/usr/share/collectd/types.db")
    targs = sum([["--types-db", t] for t in types], [])
    r = run("explain", "--group", "billing", *targs, data)
    assert r.returncode == 0, r.stderr
    out = r.stdout
    print(out)
    meta = dict(l[5:].split(": ", 1) for l in out.splitlines() if l.startswith("meta "))
    assert "partitions: 2 of 6 backed up" in out, out
    assert set(meta["cause_partitions"].split(",")) == {"orders-1", "orders-4"}, meta
    assert meta["cause_leader"] == "2", meta
    assert meta["cause_leader_outlier"] == "1", meta
    assert "leader: broker 2 leads 2 of them; an OUTLIER among 3 brokers" in out, out
    # the slow broker's own series is the best application match; its
    # host's disk the best resource match, not the memory that trends
    assert meta["cause_application"].startswith("prod/kafka-broker-2/"), meta
    assert meta["cause_resource"].startswith("kafka2/disk-sda/disk_io_time"), meta
    assert re.search(r"message: backed up: orders-[14],orders-[14] of 6; leader broker 2 \(broker 2 outlier: kafka_rtt", out), out
    assert "explained: group-billing on prod at 2026-01-01 00:09:50 UTC (%d)" % last in out, out
    # before the incident nothing backed up
    r = run("explain", "-g", "group-billing", "--at", last - 300, *targs, data)
    assert r.returncode == 0, r.stderr
    assert "partitions: none of 6 backed up" in r.stdout, r.stdout
    # one partition, as a peer outlier of it is explained
    r = run("explain", "-g", "billing", "-p", "orders-4", *targs, data)
    assert r.returncode == 0 and "meta cause_leader: 2" in r.stdout, r.stdout + r.stderr


def test_explain_refuses_bad_input_clearly(tmp_path):
    data = tmp_path / "csv"
    _incident_datadir(data, n=20, onset=10)
    for args, want in [
        (["explain", data], "--group ID is required"),
        (["explain", "-g", "billing"], "no DATADIR given"),
        (["explain", "-g", "nope", data], "no kafka_lag-total of group-nope"),
        (["explain", "-g", "billing", "--at", "yesterday", data], "--at takes epoch seconds"),
        (["explain", "-g", "billing", "--method", "dtw", data], "--method takes detrend, diff or raw"),
        (["explain", "-g", "billing", "--scope", "cpu", data], "--scope takes NAME=PLUGIN-REGEX"),
        (["explain", "-g", "billing", "--scope", "x=(cpu", data], 'Scope "x" plugin "(cpu" is not a valid regex'),
        (["explain", "-g", "billing", "--types-db", tmp_path / "none", data], "cannot be read"),
        (["explain", "-g", "billing", tmp_path / "missing"], "missing"),
    ]:
        r = run(*args)
        assert r.returncode == 2, (args, r.returncode, r.stdout, r.stderr)
        assert want in r.stderr, (args, r.stderr)
    r = run("explain", "--help")
    assert r.returncode == 0 and "usage: kafka-ml explain" in r.stdout


def test_tune_and_replay_skip_the_ml_plugins_own_values(tmp_path):
    """A collectd DataDir with DerivedValues holds plugin "ml" files
    (ml_score, ml_band, ml_series...): the plugin never models them, so
    tune proposes no block for them and replay does not replay them; both
    say how many they skipped."""
    import random
    rnd = random.Random(7)
    host = tmp_path / "data" / "hist"
    t0 = 1767225600
    for sub, name, header, cols in (("exec-lag", "gauge-age", "epoch,value", 1),
                                    ("ml-exec-lag", "ml_score-gauge-age", "epoch,value", 1),
                                    ("ml-exec-lag", "ml_band-gauge-age", "epoch,lower,upper", 2),
                                    ("ml", "ml_series", "epoch,held,evicted", 2)):
        (host / sub).mkdir(parents=True, exist_ok=True)
        for day in range(3):
            rows = ["%d.000,%s" % (t0 + 86400 * day + 60 * i,
                                   ",".join("%f" % (100 + rnd.gauss(0, 2)) for _ in range(cols)))
                    for i in range(1440)]
            (host / sub / ("%s-2026-01-%02d" % (name, day + 1))).write_text(header + "\n" + "\n".join(rows) + "\n")
    note = "note: skipped 3 series of the ml plugin's own values (plugin \"ml\", types ml_*), which it never models"
    p = run("tune", "--budget", "0.5", tmp_path / "data")
    assert p.returncode == 0, p.stderr
    assert "kafka-ml tune: " + note in p.stderr and "warning" not in p.stderr, p.stderr
    assert '<Match "exec-gauge">' in p.stdout and '"^ml$"' not in p.stdout and "ml_" not in p.stdout, p.stdout
    out = tmp_path / "out"
    p = run("replay", "-o", out, tmp_path / "data")
    assert p.returncode == 0, p.stderr
    assert "kafka-ml replay: " + note in p.stderr and "warning" not in p.stderr, p.stderr
    assert "replayed 1 series, 4320 values" in p.stderr, p.stderr
    assert sorted(os.listdir(out / "hist")) == ["exec-lag"]
    p = run("replay", "-o", tmp_path / "out2", host / "ml-exec-lag")
    assert p.returncode == 2 and "only the ml plugin's own values below it" in p.stderr, p.stderr
