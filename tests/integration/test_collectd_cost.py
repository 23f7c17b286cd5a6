"""bench/collectd_cost.py --quick: the ml plugin's cost inside a real
collectd (no Kafka). Checks what can go wrong without timing anything:
both configurations took every value sent, the ml configuration really
modelled them (the plugin's ml_series count, a probe series' ml_score once
its views rank values), the ratio is a number and the idle CPU was taken
in several windows, by kind of thread."""
import json
import math
import os
import subprocess
import sys

from harness import BUILD, SRC

SCRIPT = os.path.join(SRC, "bench", "collectd_cost.py")


def test_quick_run_takes_every_value_and_models_them(tmp_path):
    out = tmp_path / "cost.json"
    p = subprocess.run([sys.executable, SCRIPT, "--quick", "--build", BUILD, "--json", str(out)],
                       capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stdout + p.stderr
    r = json.loads(out.read_text())
    series = r["series"]
    assert r["past_warmup"] > 0
    for kind in ("A", "B"):
        assert len(r["runs"][kind]) == 2
        for run in r["runs"][kind]:
            # every value arrived: no datagram dropped by the socket, none
            # refused, every series at the last round's time in the cache
            assert run["values"] == r["values_per_run"]
            assert run["drops"] == 0, run
            assert run["rejected"] == 0, run
            assert run["at_last"] == series, run
            assert run["cpu_ns"] > 0 and math.isfinite(run["ns"]), run
            assert not run.get("errors"), run
            # idle CPU: one figure per window and kind of thread
            assert len(run["idle_windows"]) >= 2, run
            assert all(set(w) == {"main", "read", "write", "other", "total"} for w in run["idle_windows"]), run
    for run in r["runs"]["B"]:
        # the ml plugin held a model per series and scored the probe
        assert run["ml_held"] == series, run
        assert run["probe_score"] is not None and run["probe_score"] > 0, run
    assert math.isfinite(r["ratio"]) and all(math.isfinite(x) for x in r["ratios"])
    assert math.isfinite(r["ml_ns"]) and math.isfinite(r["mem_bytes"])
    assert "ratio (B - A) / A" in p.stdout
    assert set(r["idle_by_thread"]) == {"main", "read", "write", "other", "total"}
    assert "windows" in p.stdout
