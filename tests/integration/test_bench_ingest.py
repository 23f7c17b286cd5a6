"""bench/bench_ingest with "save": the state save it times is of the whole
store it fed (every series written, the format this tree writes), and its
figures are printed. No Kafka, nothing timed."""
import os
import re
import subprocess

from harness import BUILD, SRC

BENCH = os.path.join(BUILD, "bench", "bench_ingest")


def test_save_times_a_state_file_of_every_series():
    subprocess.run(["make", "-s", "-C", BUILD, "bench/bench_ingest"], check=True, timeout=600)
    p = subprocess.run([BENCH, "300", "2", "1", "save"], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr
    out = dict(line.split(" ", 1) for line in p.stdout.strip().splitlines()[1:])
    with open(os.path.join(SRC, "src", "ml", "persist.h")) as f:
        fmt = re.search(r"#define KML_STATE_FORMAT (\d+)u", f.read()).group(1)
    assert out["state_format"] == fmt
    # header and trailer amortized, each record a key and a model
    model = int(out["model_bytes"])
    assert model + 2 < float(out["state_bytes_per_series"]) < model + 120
    cpu = re.match(r"([0-9.]+) \(of 5 saves: ([0-9.]+)-([0-9.]+)\)$", out["save_cpu_ns_per_series"])
    assert cpu, out["save_cpu_ns_per_series"]
    assert float(cpu.group(2)) <= float(cpu.group(1)) <= float(cpu.group(3))
    assert float(out["save_wall_ns_per_series"]) > 0
    assert 250 <= int(out["saved_series"]) <= 300  # a small store evicts a few
    # without "save" nothing is written or printed about it
    p = subprocess.run([BENCH, "300", "2", "1"], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0 and "save_" not in p.stdout
