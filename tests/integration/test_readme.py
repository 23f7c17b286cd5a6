"""The README works as written: every configuration block loads in a real
collectd (collectd -T) with the packaged plugins, every /usr path it names is
where the package (and make install --prefix=/usr) puts it or where Debian's
collectd has it, the kafka-ml examples run in an empty directory, and
tools/demo shows scores after the warm-up it announces, with its model state
in a temporary directory it removes."""
import os
import re
import shutil
import socket
import subprocess
import tempfile

import pytest

from harness import BUILD, SRC, Collectd
from package import built_package, use_packaged

README = os.path.join(SRC, "README.md")


def readme():
    with open(README) as f:
        return f.read()


def fenced(text):
    """(language, body, section title) of every fenced block."""
    out, section = [], ""
    lang, body = None, None
    for line in text.splitlines():
        if body is None and line.startswith("#"):
            section = line.lstrip("#").strip()
        m = re.match(r"^```(\w*)\s*$", line)
        if m and body is None:
            lang, body = m.group(1), []
        elif line.startswith("```") and body is not None:
            out.append((lang, "\n".join(body), section))
            body = None
        elif body is not None:
            body.append(line)
    return out


def config_blocks():
    return [b for lang, b, _ in fenced(readme()) if lang == "" and re.search(r"^\s*(LoadPlugin|<Plugin)", b, re.M)]


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def errors(log):
    return [ln for ln in log.splitlines()
            if ("[error]" in ln or "disabled" in ln) and "MHD_OPTION_EXTERNAL_LOGGER" not in ln]


def test_readme_has_config_blocks():
    assert len(config_blocks()) >= 3


@pytest.mark.parametrize("index", range(len(config_blocks())))
def test_readme_config_block_loads(index):
    """collectd -T on the block as written; only the package's paths point
    into the unpacked package, the state directory and the port are private."""
    block = config_blocks()[index]
    root = built_package()["root"]
    cd = Collectd("", plugins=())
    use_packaged(cd, root)
    text = block.replace("/usr/share/collectd-kafka-ml", root + "/usr/share/collectd-kafka-ml")
    text = text.replace("/usr/libexec/collectd-kafka-ml", root + "/usr/libexec/collectd-kafka-ml")
    text = text.replace('"/var/lib/collectd/', '"%s/' % cd.dir)
    text = re.sub(r'Port "9103"', 'Port "%d"' % free_port(), text)
    with open(cd.conf) as f:
        base = f.read()
    if re.search(r"^\s*TypesDB ", text, re.M):  # its own list replaces the harness's
        base = "\n".join(ln for ln in base.splitlines() if not ln.startswith("TypesDB "))
    with open(cd.conf, "w") as f:
        f.write(base + "\n" + text + "\n")
    try:
        rc, out = cd.test_once()
        assert rc == 0, out
        assert errors(out) == [], out
        for plugin in re.findall(r"^\s*LoadPlugin (\w+)", block, re.M):
            assert 'plugin "%s" successfully loaded' % plugin in out, (plugin, out)
    finally:
        cd.cleanup()


def test_readme_paths_are_where_the_package_and_debian_put_them():
    root = built_package()["root"]
    paths = set(re.findall(r"(/usr/[\w.+-]+(?:/[\w.+-]+)*)", readme()))
    assert "/usr/lib/collectd" in paths and "/usr/share/collectd-kafka-ml/kafka.types.db" in paths
    missing = [p for p in sorted(paths)
               if not os.path.exists(root + p) and not os.path.exists(p)]
    assert missing == [], missing


def kafka_ml_examples():
    blocks = [b for lang, b, sec in fenced(readme()) if lang == "sh" and sec.startswith("The kafka-ml command")]
    assert blocks, "no sh block in the README's kafka-ml section"
    cmds = []
    for b in blocks:
        for line in b.splitlines():
            cmd = line.split("#", 1)[0].strip()
            if cmd:
                cmds.append(cmd)
    return cmds


def test_readme_kafka_ml_examples_run_in_an_empty_directory():
    cmds = kafka_ml_examples()
    assert any(c.startswith("kafka-ml simulate") for c in cmds)
    work = tempfile.mkdtemp(prefix="kml-readme.", dir=os.environ.get("KML_RUN_DIR") or None)
    env = dict(os.environ, PATH=BUILD + os.pathsep + os.environ.get("PATH", ""))
    try:
        for cmd in cmds:
            p = subprocess.run(cmd, shell=True, cwd=work, env=env, capture_output=True, text=True, timeout=300)
            assert p.returncode == 0, "%s\n%s%s" % (cmd, p.stdout[-2000:], p.stderr[-2000:])
            # every output it names is there and not empty
            for out in re.findall(r"(?:-o|--svg)\s+(\S+)", cmd):
                path = os.path.join(work, out)
                assert os.path.exists(path), (cmd, out)
                if os.path.isfile(path):
                    assert os.path.getsize(path) > 0, (cmd, out)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def test_readme_demo_scores_after_the_warmup_it_explains():
    """tools/demo as the README runs it, bounded by --duration."""
    p = subprocess.run([os.path.join(SRC, "tools", "demo"), "--duration", "95"], cwd=SRC,
                       capture_output=True, text=True, timeout=600)
    out = p.stdout + p.stderr
    assert p.returncode == 0, out[-3000:]
    m = re.search(r"warm-up of (\d+) values[^\n]*\n[^\n]*Model state: (\S+)/ml\.state", out)
    assert m, out[-3000:]
    warmup, state_dir = int(m.group(1)), m.group(2)
    assert "warming up" in out
    scores = re.findall(r"anomaly score (\d+\.\d+)", out)
    assert scores, out[-3000:]
    assert out.index("warming up") < out.index("anomaly score")
    assert all(0 <= float(s) <= 1 for s in scores)
    assert warmup > 0
    # the state was the run's own and is gone with it
    assert not state_dir.startswith("/var/") and state_dir != "/tmp"
    assert not os.path.exists(state_dir)
    assert "no process left running" in out
