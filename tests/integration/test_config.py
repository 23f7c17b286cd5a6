"""Bad configuration lines, loaded by a real collectd (-T: load, init, one
read): each one disables only its own block, with an error line that names
the option and the block; nothing is rounded, truncated or guessed."""
import os
import re
import subprocess

from harness import SRC, Collectd, bootstrap

# (option line, what the error line must also say); one <Cluster> each
CLUSTER_CASES = [
    ("Interval 0", "Interval must be above 0"),
    ("Interval -5", "Interval must be above 0"),
    ('Interval "soon"', "Interval must be a duration"),
    ("Timeout 0", "Timeout must be above 0"),
    ("Timeout 601", "Timeout must be above 0 and up to 600 seconds, not 601"),
    ("StatusWindow 2.5", "StatusWindow must be a whole number from 2 to 10, not 2.5"),
    ("StatusWindow 11", "StatusWindow must be a whole number from 2 to 10, not 11"),
    ("LagSLASeconds -1", "LagSLASeconds must be"),
    ('PartitionDetail "maybe"', 'PartitionDetail must be true, false or per-partition types (kafka_offset, '),
    ('PartitionDetail "kafka_lag" 3', 'kafka_group_status), not 3'),
    ('GroupDetail "kafka_offset"', 'GroupDetail must be true, false or group types (kafka_group_state, '),
    ("Groups 1", "Groups must be true or false, not 1"),
    ('Brokers "127.0.0.1:1"', "Brokers is given twice"),
    ('TopicsInclude "([a-"', "TopicsInclude"),
    ('TopicsInclude "a" "b"', "TopicsInclude must be a quoted name"),
    ('Property "client.id"', "Property needs two strings"),
    ("Tiemout 3", "Tiemout is not an option of <Cluster>"),
    ("OrderingSkewSeconds -5", "OrderingSkewSeconds must be"),
    ('OrderingSkewSeconds "soon"', "OrderingSkewSeconds must be a duration"),
    ("SchemaRecords 0", "SchemaRecords must be a whole number from 1 to 1000, not 0"),
    ("SchemaBytes 100", "SchemaBytes must be a whole number from 1024"),
    ('SchemaTopics "(["', "SchemaTopics"),
    ("SchemaLearn 0", "SchemaLearn must be"),
]

MATCH_CASES = [
    ("Forecast 0", "Forecast must be above 0"),
    ('Forecast "5x"', "Forecast must be a duration"),
    ('Forecast "31d"', "Forecast must be above 0 and up to 2592000 seconds"),
    ('Threshold "lots"', 'Threshold must be a number, not "lots"'),
    ("DerivedValues 3", "DerivedValues must be true or false, not 3"),
    ('Models "crystal-ball"', 'unknown model "crystal-ball"'),
    ('Plugin "(["', "is not a valid regex"),
    ('Plugin "^a$"\n    Plugin "^b$"', "Plugin is given twice"),
    ('Models "anomaly"\n    Models "forecast"', "Models is given twice"),
    ("Horizon 5", "Horizon is not an option of <Match>"),
    ("ForecastWarmup 0", "ForecastWarmup must be above 0"),
    ('ForecastMessage "%s"' % ("x" * 61), "ForecastMessage is 61 bytes long; at most 60 fit"),
]

PEERS_CASES = [
    ("ZThreshold -1", "ZThreshold must be above 0 and up to 1000, not -1"),
    ("ZThreshold 0", "ZThreshold must be above 0"),
    ("MinMembers 2.5", "MinMembers must be a whole number from 3 to 1000000, not 2.5"),
    ("MinMembers 2", "MinMembers must be a whole number from 3"),
    ('GroupBy "Nope"', "GroupBy takes distinct field names"),
    ('GroupBy "Host" "Host"', "GroupBy takes distinct field names"),
    ('Persist "2d"', "Persist must be"),
    ("Persist -1", "Persist must be"),
    ('Types "kafka_rtt"', "Types takes 2 to 8 type names"),
    ('Types "kafka-rtt" "kafka_leaders"', '"kafka-rtt" is not a type name'),
    ('Types "kafka_rtt" "kafka_rtt"', '"kafka_rtt" is given twice'),
]

GLOBAL_CASES = [
    ("MaxSeries 1.5", "MaxSeries must be a whole number from 1 to 100000000, not 1.5"),
    ("MaxSeries 0", "MaxSeries must be a whole number"),
    ("IdleTimeout 0", "IdleTimeout must be above 0"),
    ('IdleTimeout "1y"', "IdleTimeout must be a duration"),
    ("StateInterval 0", "StateInterval must be from 1 to 604800 seconds, not 0"),
    ('StateFile ""', "StateFile must not be empty"),
    ("MaxSeries 10\n  MaxSeries 20", "MaxSeries is given twice"),
    ("Shards 4", "Shards is not an option of <Plugin ml>"),
]


def errors(log):
    return [l for l in log.splitlines() if "[error]" in l]


def test_each_bad_line_disables_only_its_block(tmp_path):
    boot = bootstrap()
    blocks = []
    for i, (line, _) in enumerate(CLUSTER_CASES):
        blocks.append('  <Cluster "bad-%d">\n    Brokers "%s"\n    %s\n  </Cluster>' % (i, boot, line))
    blocks.append('  <Cluster "%s">\n    Brokers "%s"\n  </Cluster>' % ("c" * 300, boot))
    blocks.append('  <Cluster "a/b">\n    Brokers "%s"\n  </Cluster>' % boot)
    blocks.append('  <Cluster>\n    Brokers "%s"\n  </Cluster>' % boot)
    blocks.append('  <Cluster "nobrokers">\n    Timeout 2\n  </Cluster>')
    blocks.append('  <Cluster "good">\n    Brokers "%s"\n    Timeout 5\n    Interval "10s"\n  </Cluster>' % boot)
    blocks.append('  <Cluster "good">\n    Brokers "%s"\n  </Cluster>' % boot)
    ml = []
    for i, (line, _) in enumerate(MATCH_CASES):
        ml.append('  <Match "m-%d">\n    Type "^kafka_lag$"\n    %s\n  </Match>' % (i, line))
    for i, (line, _) in enumerate(PEERS_CASES):
        ml.append('  <Peers "p-%d">\n    Plugin "^kafka$"\n    %s\n  </Peers>' % (i, line))
    ml.append('  <Match>\n    Plugin "^nameless$"\n  </Match>')
    ml.append('  <Match "%s">\n    Plugin "^x$"\n  </Match>' % ("n" * 64))
    ml.append('  <Match "good">\n    Plugin "^kafka$"\n    Forecast "30m"\n    Threshold 300\n  </Match>')
    ml.append('  <Match "good">\n    Plugin "^other$"\n  </Match>')
    ml.append('  <Match "good-2">\n    Plugin "^other$"\n  </Match>')
    ml.append('  <Peers "good">\n    Plugin "^kafka$"\n    MinMembers 4\n  </Peers>')
    ml.append('  <Peers "good">\n    Plugin "^kafka$"\n  </Peers>')
    body = ("<Plugin kafka>\n%s\n</Plugin>\n<Plugin ml>\n  MaxSeries 1000\n"
            '  IdleTimeout "1d"\n%s\n</Plugin>\n') % ("\n".join(blocks), "\n".join(ml))
    cd = Collectd(body)
    try:
        rc, out = cd.test_once()
        assert rc == 0, out
        errs = errors(out)
        for i, (line, want) in enumerate(CLUSTER_CASES):
            block = '<Cluster "bad-%d">' % i
            mine = [l for l in errs if block in l]
            assert any(want in l for l in mine), (line, want, mine)
            assert any("disabled because of the error above" in l for l in mine), (line, mine)
        for i, (line, want) in enumerate(MATCH_CASES):
            mine = [l for l in errs if '<Match "m-%d">' % i in l]
            assert any(want in l for l in mine), (line, want, mine)
            assert any("disabled because" in l for l in mine), (line, mine)
        for i, (line, want) in enumerate(PEERS_CASES):
            mine = [l for l in errs if '<Peers "p-%d">' % i in l]
            assert any(want in l for l in mine), (line, want, mine)
            assert any("disabled because" in l for l in mine), (line, mine)
        # names: too long, a slash, none, duplicates; never cut or guessed
        assert any("<Cluster> name is 300 bytes long; at most 127 fit" in l for l in errs), errs
        assert any("<Cluster> name must not contain '/'" in l for l in errs), errs
        assert any("<Cluster> name must be a quoted name" in l for l in errs), errs
        assert any('<Cluster "nobrokers"> Brokers is required' in l for l in errs), errs
        assert any('<Cluster "good"> is configured twice' in l for l in errs), errs
        assert any("<Match> name needs one quoted name" in l for l in errs), errs
        assert any("<Match> name is 64 bytes long; at most 63 fit" in l for l in errs), errs
        assert any('<Match "good"> is configured twice' in l for l in errs), errs
        assert any('<Peers "good"> is configured twice' in l for l in errs), errs
        # every "disabled" line follows an error about the same block
        for k, l in enumerate(errs):
            if "disabled because of the error above" in l:
                block = re.search(r"<(Cluster|Match|Peers)[^>]*>", l).group(0)
                assert any(block in e for e in errs[:k] if "disabled" not in e), l
        # the good blocks run: one cluster read, two matches and one peers block
        assert "ml plugin: 2 match block(s), 1 peers block(s)" in out, out
        assert not [l for l in errs if "good-2" in l]
        assert "cluster good: Kafka cluster unreachable" not in out
        assert cd.identifiers("good"), "the good cluster was not read"
    finally:
        cd.cleanup()


def test_bad_global_option_disables_the_plugin_block():
    for line, want in GLOBAL_CASES:
        body = ('<Plugin ml>\n  %s\n  <Match "lag">\n    Plugin "^kafka$"\n'
                "  </Match>\n</Plugin>\n") % line
        cd = Collectd(body, plugins=("ml",))
        try:
            rc, out = cd.test_once()
            assert rc == 0, out
            errs = errors(out)
            assert any("<Plugin ml> " + want in l for l in errs), (line, errs)
            assert any("<Plugin ml> disabled because of the error above" in l for l in errs), errs
            assert "ml plugin: 0 match block(s), 0 peers block(s)" in out, out
        finally:
            cd.cleanup()
    # and the same block with good values loads
    cd = Collectd('<Plugin ml>\n  MaxSeries 1000\n  StateInterval "5m"\n  IdleTimeout "1d"\n'
                  '  <Match "lag">\n    Plugin "^kafka$"\n  </Match>\n</Plugin>\n', plugins=("ml",))
    try:
        rc, out = cd.test_once()
        assert rc == 0 and not errors(out), out
        assert "ml plugin: 1 match block(s), 0 peers block(s), at most 1000 series" in out
    finally:
        cd.cleanup()


CAUSE_CASES = [
    ('Scope "resource" "(cpu"', 'Scope "resource" plugin "(cpu" is not a valid regex'),
    ('Scope "only-a-name"', "Scope takes a name and a plugin regex"),
    ('Method "dtw"', 'Method takes "detrend"'),
    ("MaxLag 40", "MaxLag must be"),
    ("MinCorrelation 2", "MinCorrelation must be"),
    ('Effects "["', 'Effects "[" is not a valid regex'),
    ("Shards 2", "Shards is not an option of <Cause>"),
]


def test_bad_cause_line_leaves_the_chain_off_and_the_rest_running():
    for line, want in CAUSE_CASES:
        body = ('<Plugin ml>\n  <Match "lag">\n    Plugin "^kafka$"\n  </Match>\n'
                "  <Cause>\n    %s\n  </Cause>\n</Plugin>\n") % line
        cd = Collectd(body, plugins=("ml",))
        try:
            rc, out = cd.test_once()
            assert rc == 0, out
            errs = errors(out)
            assert any(want in l for l in errs), (line, errs)
            assert any("<Cause> disabled because of the error above" in l for l in errs), (line, errs)
            assert "ml plugin: 1 match block(s), 0 peers block(s)" in out, out
            assert "<Cause>: 2 scopes" not in out
        finally:
            cd.cleanup()
    cd = Collectd('<Plugin ml>\n  <Match "lag">\n    Plugin "^kafka$"\n  </Match>\n'
                  '  <Cause>\n    Step "10s"\n    MaxLag 4\n  </Cause>\n</Plugin>\n', plugins=("ml",))
    try:
        rc, out = cd.test_once()
        assert rc == 0 and not errors(out), out
        assert "ml plugin: <Cause>: 2 scopes, 10 s slots, at most 50000 series" in out, out
    finally:
        cd.cleanup()


def test_types_db_without_kafka_types_is_one_error():
    """A TypesDB line without kafka.types.db (what copying only the snippet
    gives): one error naming the line to add, not a "Dataset not found" line
    per value and read; nothing is collected, the daemon runs on."""
    cd = Collectd('<Plugin kafka>\n  <Cluster "notypes">\n    Brokers "%s"\n  </Cluster>\n</Plugin>\n'
                  % bootstrap(), plugins=("kafka",))
    try:
        with open(cd.conf) as f:
            conf = f.read()
        conf = re.sub(r"(?m)^TypesDB .*$", 'TypesDB "/usr/share/collectd/types.db"', conf)
        with open(cd.conf, "w") as f:
            f.write(conf)
        rc, out = cd.test_once()
        assert rc == 0, out
        mine = [l for l in errors(out) if "kafka.types.db" in l]
        assert len(mine) == 1, out
        assert "does not know the type kafka_up" in mine[0] and "TypesDB" in mine[0], mine
        assert "Dataset not found" not in out, out
        assert not cd.identifiers("notypes")
    finally:
        cd.cleanup()


def types_db_only(cd, *files):
    """Replace the harness's TypesDB line of cd's config by one listing
    collectd's types.db and the given files of collectd.conf.d."""
    with open(cd.conf) as f:
        conf = f.read()
    line = " ".join(['TypesDB "/usr/share/collectd/types.db"'] +
                    ['"%s"' % os.path.join(SRC, "collectd.conf.d", n) for n in files])
    conf = re.sub(r"(?m)^TypesDB .*$", line, conf)
    with open(cd.conf, "w") as f:
        f.write(conf)


def test_types_db_without_ml_types_is_one_error():
    """The ml plugin without ml.types.db in TypesDB: one error naming the
    line to add instead of a "Dataset not found" line per value it
    dispatches (ml_series each read, DerivedValues); the models run."""
    cd = Collectd('<Plugin ml>\n  <Match "m">\n    Plugin "^load$"\n    DerivedValues true\n'
                  '  </Match>\n</Plugin>\n', plugins=("ml",))
    try:
        types_db_only(cd, "kafka.types.db")
        rc, out = cd.test_once()
        assert rc == 0, out
        mine = [l for l in errors(out) if "ml.types.db" in l]
        assert len(mine) == 1 and len(errors(out)) == 1, out
        assert "ml plugin: collectd does not know the type ml_series" in mine[0], mine
        assert 'TypesDB "/usr/share/collectd/types.db"' in mine[0], mine
        assert "Dataset not found" not in out, out
    finally:
        cd.cleanup()


def test_types_db_without_ports_types_is_one_error():
    """The ports plugin's types are in kafka.types.db: without it in
    TypesDB, one error naming the line to add; nothing is read."""
    cd = Collectd("<Plugin ports>\n  PerAddress true\n</Plugin>\n", plugins=("ports",))
    try:
        types_db_only(cd, "ml.types.db")
        rc, out = cd.test_once()
        assert rc == 0, out
        mine = [l for l in errors(out) if "kafka.types.db" in l]
        assert len(mine) == 1 and len(errors(out)) == 1, out
        assert "ports plugin: collectd does not know the type ports_range" in mine[0], mine
        assert "Dataset not found" not in out, out
    finally:
        cd.cleanup()


def test_timeout_over_interval_is_a_warning_naming_both():
    """Timeout above the block's Interval: every read of a cluster that does
    not answer would run past its interval. One warning at start naming
    both; the block still runs. Timeout within Interval: no warning."""
    body = ('<Plugin kafka>\n  <Cluster "slow">\n    Brokers "%s"\n    Interval 2\n    Timeout 5\n'
            '  </Cluster>\n  <Cluster "fits">\n    Brokers "%s"\n    Interval 2\n    Timeout "1.5s"\n'
            '  </Cluster>\n</Plugin>\n') % (bootstrap(), bootstrap())
    cd = Collectd(body, plugins=("kafka",))
    try:
        rc, out = cd.test_once()
        assert rc == 0, out
        warn = [l for l in out.splitlines() if "[warning]" in l and "Timeout" in l and "kafka plugin" in l]
        assert len(warn) == 1, warn
        assert '<Cluster "slow"> Timeout 5 s is longer than its Interval 2 s' in warn[0], warn
        assert not [l for l in out.splitlines() if '<Cluster "fits">' in l], out
        assert cd.identifiers("slow") and cd.identifiers("fits"), "both blocks run"
    finally:
        cd.cleanup()


def test_threshold_without_the_forecast_model_is_warned():
    """Threshold or ForecastMessage in a <Match> whose Models lack
    "forecast" would never alert: a warning names the block at load; the
    block still loads (its anomaly model works)."""
    body = """<Plugin ml>
  <Match "thr">
    Plugin "^kafka$"
    Threshold 300
  </Match>
  <Match "msg">
    Plugin "^other$"
    ForecastMessage "the disk is full"
  </Match>
  <Match "both">
    Plugin "^third$"
    Models "anomaly" "forecast"
    Threshold 300
  </Match>
</Plugin>
"""
    cd = Collectd(body, plugins=("ml",))
    try:
        rc, out = cd.test_once()
        assert rc == 0 and not errors(out), out
        warns = [l for l in out.splitlines() if "[warning]" in l]
        assert any('<Match "thr"> Threshold without the forecast model: it never alerts; '
                   'add "forecast" to Models' in l for l in warns), warns
        assert any('<Match "msg"> ForecastMessage without the forecast model' in l for l in warns), warns
        assert not any('<Match "both">' in l for l in warns), warns
        assert "ml plugin: 3 match block(s)" in out, out
    finally:
        cd.cleanup()


def test_peers_types_collectd_cannot_deliver_disable_the_block():
    """A Types name that no value can carry (a type collectd does not know,
    a type of several data sources named without one, a data source the
    type lacks) would leave the block comparing nothing, forever: an error
    names it and the block is disabled; the other blocks run."""
    cases = [
        ('"kafka_rttt" "kafka_leaders"', 'Types "kafka_rttt": collectd knows no type kafka_rttt'),
        ('"if_octets" "kafka_rtt"', 'Types "if_octets": type if_octets has the data sources rx, tx; '
                                    'name one, e.g. "if_octets.rx"'),
        ('"load.mid" "kafka_rtt"', 'Types "load.mid": type load has no data source mid '
                                   '(it has shortterm, midterm, longterm)'),
    ]
    blocks = "".join('  <Peers "p-%d">\n    Plugin "^kafka$"\n    Types %s\n  </Peers>\n' % (i, t)
                     for i, (t, _) in enumerate(cases))
    body = ('<Plugin ml>\n%s  <Peers "good">\n    Plugin "^kafka$"\n'
            '    Types "kafka_rtt" "if_octets.tx" "load.midterm"\n  </Peers>\n</Plugin>\n') % blocks
    cd = Collectd(body, plugins=("ml",))
    try:
        rc, out = cd.test_once()
        assert rc == 0, out
        errs = errors(out)
        for i, (_, want) in enumerate(cases):
            mine = [l for l in errs if '<Peers "p-%d">' % i in l]
            assert any(want in l for l in mine), (want, mine)
            assert any("disabled because of the error above" in l for l in mine), mine
        assert not [l for l in errs if '"good"' in l], errs
        assert "ml plugin: 0 match block(s), 1 peers block(s)" in out, out
    finally:
        cd.cleanup()


def test_shadowed_match_is_warned_naming_the_block_before_it():
    """`kafka-ml tune` output included after the shipped ml.conf: a <Match>
    whose selectors an earlier block has too (or more of them) never models
    a series, since the first matching block wins. One warning names both
    blocks and their order; a block that only overlaps is not warned."""
    body = """<Plugin ml>
  <Match "consumption">
    Plugin "^kafka$"
    Type "^kafka_consumed$"
    Models "anomaly"
  </Match>
  <Match "lag-seconds">
    Plugin "^kafka$"
    PluginInstance "^group-"
    Type "^kafka_lag_seconds$"
  </Match>
</Plugin>
<Plugin ml>
  <Match "tuned-consumed">
    Plugin "^kafka$"
    Type "^kafka_consumed$"
    FalseAlarmsPerDay 0.01
  </Match>
  <Match "tuned-lag-seconds">
    Plugin "^kafka$"
    Type "^kafka_lag_seconds$"
  </Match>
</Plugin>
"""
    cd = Collectd(body, plugins=("ml",))
    try:
        rc, out = cd.test_once()
        assert rc == 0 and not errors(out), out
        warns = [l for l in out.splitlines() if "[warning]" in l and "never models" in l]
        assert len(warns) == 1, out
        assert ('<Match "tuned-consumed"> (Match block 3) never models anything: the earlier '
                '<Match "consumption"> (Match block 1) selects every series it selects' in warns[0]), warns
    finally:
        cd.cleanup()


def test_state_file_where_it_cannot_be_saved_is_said_at_start(tmp_path):
    """A StateFile in a missing directory is reported at init, not at the
    first save minutes later; a file that does not exist yet is a fresh
    start, not "restored 0 series"."""
    os.chmod(str(tmp_path), 0o777)
    bad = str(tmp_path / "missing" / "ml.state")
    good = str(tmp_path / "ml.state")
    for path in (bad, good):
        body = ('<Plugin ml>\n  StateFile "%s"\n  <Match "lag">\n    Plugin "^kafka$"\n'
                "  </Match>\n</Plugin>\n") % path
        cd = Collectd(body, plugins=("ml",))
        try:
            rc, out = cd.test_once()
            assert rc == 0, out
            assert "no state file at %s yet: starting fresh" % path in out, out
            assert "restored 0 series" not in out, out
            cannot = [l for l in errors(out) if "cannot save state to %s: " % path in l]
            if path == bad:
                assert cannot and "/missing: No such file or directory" in cannot[0], out
            else:
                assert not errors(out), out
            # StateInterval's default, 15 min, said only where saving can work
            saved = "models saved to %s every 900 s and at shutdown" % path
            assert (saved in out) == (path == good), out
        finally:
            cd.cleanup()


def test_a_read_callback_name_already_taken_disables_only_its_cluster():
    """Another plugin already holds the read callback name "kafka/taken":
    collectd refuses the <Cluster "taken"> block's registration (and frees
    the block itself, as collectd 5.12 does with the user data of a
    registration it refuses). One error names the block; the daemon runs
    on and the other block collects. No Kafka needed: registration comes
    before any read."""
    cd = Collectd('<Plugin kafka>\n  <Cluster "taken">\n    Brokers "127.0.0.1:1"\n    Timeout 1\n'
                  '  </Cluster>\n  <Cluster "free">\n    Brokers "127.0.0.1:1"\n    Timeout 1\n'
                  '  </Cluster>\n</Plugin>\n', plugins=("takes_read_name", "kafka"))
    try:
        so = os.path.join(cd.dir, "plugins", "takes_read_name.so")
        subprocess.run(["gcc", "-shared", "-fPIC", "-DHAVE_CONFIG_H", "-I/usr/include/collectd",
                        os.path.join(SRC, "tests", "integration", "plugins", "takes_read_name.c"),
                        "-o", so], check=True)
        rc, out = cd.test_once()
        assert rc == 0, out
        mine = [l for l in errors(out) if "kafka plugin" in l]
        assert mine == [l for l in mine if "cluster taken: registering the read callback failed" in l], out
        assert len(mine) == 1, out
        assert cd.identifiers("free"), "the other block runs"
    finally:
        cd.cleanup()
