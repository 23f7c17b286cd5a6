"""The Debian package, built once per test run and shared by the tests that
need it (test_package.py, test_readme.py): dpkg-buildpackage -b in a copy of
the tree (the checkout stays clean), lintian on the result, and the package
unpacked into a throw-away root with dpkg -x.

KML_DEB=path/to/collectd-kafka-ml_*.deb skips the build and uses that file.
"""
import atexit
import glob
import os
import shutil
import subprocess
import tempfile
import time

from harness import SRC

_built = {}


def _copy_tree(dst):
    """The files of the checkout (tracked and new, not ignored) into dst."""
    try:
        files = subprocess.check_output(["git", "-C", SRC, "ls-files", "-co", "--exclude-standard", "-z"],
                                        stderr=subprocess.DEVNULL).decode().split("\0")
    except (OSError, subprocess.CalledProcessError):
        files = None
    if not files or files == [""]:  # not a git checkout: everything but builds
        shutil.copytree(SRC, dst, symlinks=True,
                        ignore=shutil.ignore_patterns("build", "build-*", "*.o", "*.lo", ".libs", "debian/.debhelper"))
        return
    for f in files:
        if not f or not os.path.lexists(os.path.join(SRC, f)):
            continue
        os.makedirs(os.path.join(dst, os.path.dirname(f)), exist_ok=True)
        shutil.copy2(os.path.join(SRC, f), os.path.join(dst, f), follow_symlinks=False)


def built_package():
    """dict with deb (path), root (unpacked package), seconds (build time),
    lintian (its output); built at the first call of the process."""
    if _built:
        return _built

    work = tempfile.mkdtemp(prefix="kml-deb.", dir=os.environ.get("KML_RUN_DIR") or None)
    os.chmod(work, 0o755)
    if not os.environ.get("KML_KEEP_TMP"):
        atexit.register(shutil.rmtree, work, True)
    deb = os.environ.get("KML_DEB")
    seconds = 0.0
    if not deb:
        src = os.path.join(work, "collectd-kafka-ml")
        _copy_tree(src)
        env = dict(os.environ, DEB_BUILD_OPTIONS="parallel=%d" % (os.cpu_count() or 2))
        env.pop("MAKEFLAGS", None)
        t0 = time.time()
        p = subprocess.run(["dpkg-buildpackage", "-b", "-us", "-uc"], cwd=src, env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=900)
        seconds = time.time() - t0
        if p.returncode != 0:
            raise AssertionError("dpkg-buildpackage -b failed:\n" + p.stdout[-4000:])
        debs = [d for d in glob.glob(os.path.join(work, "collectd-kafka-ml_*.deb"))]
        assert len(debs) == 1, debs
        deb = debs[0]
    root = os.path.join(work, "root")
    subprocess.check_call(["dpkg", "-x", deb, root])
    os.chmod(root, 0o755)
    lint = subprocess.run(["lintian", "--allow-root", "--display-info", deb],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=300)
    _built.update(deb=deb, root=root, seconds=seconds, lintian=lint.stdout, work=work)
    print("package: %s built in %.0f s" % (os.path.basename(deb), seconds))
    return _built


def use_packaged(cd, root):
    """Point a harness Collectd (not started) at the package's plugins and
    types instead of the build tree's."""
    plugindir = os.path.join(cd.dir, "plugins")
    for name in ("kafka", "ml", "ports"):
        shutil.copy(os.path.join(root, "usr", "lib", "collectd", name + ".so"), plugindir)
    share = os.path.join(root, "usr", "share", "collectd-kafka-ml")
    with open(cd.conf) as f:
        lines = f.read().splitlines()
    lines = ['TypesDB "/usr/share/collectd/types.db" "%s/kafka.types.db" "%s/ml.types.db"' % (share, share)
             if ln.startswith("TypesDB ") else ln for ln in lines]
    with open(cd.conf, "w") as f:
        f.write("\n".join(lines) + "\n")


def use_packaged(cd, root):
    """Point a harness Collectd (not started) at the package's plugins and
    types instead of the build tree's."""
    plugindir = os.path.join(cd.dir, "plugins")
    for name in ("kafka", "ml", "ports"):
        shutil.copy(os.path.join(root, "usr", "lib", "collectd", name + ".so"), plugindir)
    share = os.path.join(root, "usr", "share", "collectd-kafka-ml")
    with open(cd.conf) as f:
        lines = f.read().splitlines()
    lines = ['TypesDB "/usr/share/collectd/types.db" "%s/kafka.types.db" "%s/ml.types.db"' % (share, share)
             if ln.startswith("TypesDB ") else ln for ln in lines]
    with open(cd.conf, "w") as f:
        f.write("\n".join(lines) + "\n")
