"""Ephemeral-port exhaustion in a network namespace this test creates: a
range of 300 ports (ip_local_port_range "40000 40299"), a client opening
connections to a local listener at a steady rate, and a real collectd
inside the namespace with the ports plugin and the ml forecast of
collectd.conf.d/ports.conf: "ports exhausted in ~N min" comes before the
range runs out, then the exhaustion itself; the counts are exact."""
import os
import re
import shutil
import signal
import subprocess
import sys
import time

import pytest

from harness import SRC, Collectd, wait_for

RANGE = (40000, 40299)
RATE = 3.0  # connections per second: the range runs out after ~100 s

# The client and the listener: holds every socket it opens; writes how many
# are open to a file; stops opening at the first EADDRNOTAVAIL.
LOAD = r"""
import errno, socket, sys, threading, time
rate, out = float(sys.argv[1]), sys.argv[2]
ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", 7000)); ls.listen(1024)
held = []
threading.Thread(target=lambda: [held.append(ls.accept()[0]) for _ in iter(int, 1)], daemon=True).start()
time.sleep(float(sys.argv[3]))
t0, n, full = time.time(), 0, False
while True:
    if not full and n < (time.time() - t0) * rate:
        try:
            held.append(socket.create_connection(("127.0.0.1", 7000)))
            n += 1
        except OSError as e:
            if e.errno != errno.EADDRNOTAVAIL:
                raise
            full = True
        with open(out + ".tmp", "w") as f:
            f.write("%d %d\n" % (n, full))
        import os; os.replace(out + ".tmp", out)
    time.sleep(0.01)
"""


def ns_name():
    return "kml-ports-%d" % os.getpid()


@pytest.fixture
def netns():
    name = ns_name()
    if shutil.which("ip") is None:
        pytest.skip("iproute2's ip is missing (tools/setup installs it)")
    p = subprocess.run(["ip", "netns", "add", name], capture_output=True, text=True)
    if p.returncode != 0:
        pytest.skip("network namespaces cannot be created here (ip netns add: %s)" % p.stderr.strip())
    try:
        subprocess.run(["ip", "-n", name, "link", "set", "lo", "up"], check=True)
        subprocess.run(["ip", "netns", "exec", name, "sh", "-c",
                        "echo '%d %d' > /proc/sys/net/ipv4/ip_local_port_range" % RANGE], check=True)
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name])


def ports_conf():
    """collectd.conf.d/ports.conf with this test's range, horizon and a
    warm-up a test can wait for."""
    with open(os.path.join(SRC, "collectd.conf.d", "ports.conf")) as f:
        text = f.read()
    text = text.replace("Threshold 28232", "Threshold %d" % (RANGE[1] - RANGE[0] + 1))
    text = text.replace('Forecast "30m"', 'Forecast "20s"\n    ForecastWarmup "20s"')
    assert "ForecastWarmup" in text and "Threshold 300" in text
    return text


def test_ports_forecast_warns_before_the_range_runs_out(netns, tmp_path):
    count = str(tmp_path / "open")
    os.chmod(str(tmp_path), 0o755)

    def opened():
        try:
            with open(count) as f:
                n, full = f.read().split()
            return int(n), full == "1"
        except (FileNotFoundError, ValueError):
            return 0, False

    # the client starts first: a host's port use is never flat at 0, and a
    # series that is (for a while) makes its first rise an outlier that
    # the models do not learn from
    load = subprocess.Popen(["ip", "netns", "exec", netns, sys.executable, "-c", LOAD, str(RATE), count, "0"],
                            start_new_session=True)
    try:
        with Collectd(ports_conf(), notify_exec=True, plugins=("ml",), netns=netns) as cd:
            assert cd.wait_value("testhost", "ports", "ports_range", timeout=30) == 300
            warn = wait_for(lambda: [n for n in cd.notifications()
                                     if n.get("Plugin") == "ports" and n["Severity"] == "WARNING"],
                            120, "the ports forecast warning")[0]
            at_warning, full = opened()
            assert not full, "the range ran out before the warning"
            assert re.search(r"ports exhausted in ~[0-9]+ (s|min) ", warn["message"]), warn
            assert warn["meta"]["model"] == "forecast"
            assert float(warn["meta"]["threshold"]) == 300
            eta = float(warn["meta"]["eta_seconds"])
            assert 0 < eta <= 20 and (300 - at_warning) / RATE > 5, (eta, at_warning)
            # the busiest destination's warning says which destination
            dest = wait_for(lambda: [n for n in cd.notifications()
                                     if n.get("TypeInstance") == "busiest_destination"
                                     and n["Severity"] == "WARNING"],
                            60, "the busiest destination's warning")[0]
            assert dest["meta"]["destination"] == "127.0.0.1:7000", dest
            assert dest["message"].startswith(
                "ports_used busiest_destination of ports (to 127.0.0.1:7000): "
                "ports exhausted in ~"), dest
            # then the range runs out: the client sees EADDRNOTAVAIL after
            # 300 connections, and the plugin counts exactly that
            wait_for(lambda: opened()[1], 150, "the range to run out")
            assert opened()[0] == 300
            for ti in ("total", "127.0.0.1", "busiest_destination"):
                assert cd.wait_value("testhost", "ports", "ports_used", type_instance=ti,
                                     pred=lambda v: v == 300, timeout=30) == 300, ti
            assert cd.last("testhost", "ports", "ports_time_wait") == 0
            fail = wait_for(lambda: [n for n in cd.notifications()
                                     if n.get("Plugin") == "ports" and n["Severity"] == "FAILURE"],
                            30, "the exhaustion notification")
            assert "ports exhausted (300 of 300)" in fail[0]["message"], fail[0]
            # the count grew one connection at a time
            used = [v[0] for _, v in cd.values("testhost", "ports", "ports_used", type_instance="total")]
            assert used == sorted(used) and used[-1] == 300
    finally:
        os.killpg(load.pid, signal.SIGKILL)
        load.wait()


def test_bad_ports_options_disable_only_the_plugin():
    cd = Collectd('<Plugin ports>\n  MaxAddresses 0\n  PerAddres true\n</Plugin>', plugins=("ports",))
    try:
        rc, out = cd.test_once()
        assert "MaxAddresses must be a whole number from 1 to 4096, not 0" in out, out
        assert "PerAddres is not an option of <Plugin ports>" in out
        assert "ports plugin: disabled because of the error above" in out
        assert rc == 0
    finally:
        cd.cleanup()
