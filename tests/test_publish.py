"""Publishing: a build killed at any moment leaves publish/ exactly the old site or exactly the
new one, the next build clears what it left, and everything published is world-readable."""

from __future__ import annotations

import fcntl
import hashlib
import io
import os
import shutil
import signal
import stat
import subprocess
import sys
import time

import pytest

from conftest import ROOT, build
from liangshai.build.atomic import build_site
from liangshai.build.spare import exchange


def snapshot(root):
    """Every file and folder under root: its bytes' digest and its permission bits."""
    out = {}
    for folder, dirs, names in os.walk(root):
        for name in dirs + names:
            path = os.path.join(folder, name)
            mode = os.lstat(path).st_mode
            digest = ""
            if stat.S_ISREG(mode):
                with open(path, "rb") as f:
                    digest = hashlib.sha256(f.read()).hexdigest()
            out[os.path.relpath(path, root)] = (digest, stat.S_IMODE(mode))
    return out


def test_everything_published_is_world_readable(folder, tmp_path):
    publish = tmp_path / "publish"
    old = os.umask(0o077)  # a careful admin's shell: files 0600, folders 0700
    try:
        assert build(folder.root, publish) == 0
        # and again with one statement changed: files kept from the first build, and new ones
        folder.edit("statements/2024Q2/statements.csv", lambda rows: rows[1].update(note="改"))
        assert build(folder.root, publish) == 0
        # and a third time, into the spare tree (the first build's) brought up to date
        folder.edit("communities.csv", lambda rows: rows[0].update(id="rongyin-garden"))
        assert build(folder.root, publish) == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE(publish.stat().st_mode) & 0o755 == 0o755
    for rel, (digest, mode) in snapshot(publish).items():
        wanted = 0o644 if digest else 0o755
        assert mode & wanted == wanted, rel


def test_the_swap_is_one_atomic_exchange(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "x").write_text("a")
    (b / "x").write_text("b")
    assert exchange(a, b)  # renameat2(RENAME_EXCHANGE) works on this file system
    assert (a / "x").read_text() == "b" and (b / "x").read_text() == "a"


def test_a_second_build_beside_a_running_one_cannot_run(folder, tmp_path):
    fd = os.open(tmp_path, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX)  # as a running build holds it
    try:
        out = tmp_path / "publish"
        assert build_site(ROOT / "pelicanconf.py", out, data=folder.root, out=io.StringIO()) == 2
        assert not out.exists()
    finally:
        os.close(fd)


BUILD = """
import os, sys
from liangshai.build.atomic import build_site
sys.exit(build_site(sys.argv[1], sys.argv[2], data=sys.argv[3], cache=sys.argv[4],
                    out=open(os.devnull, "w")))
"""


def run_build(data, out, cache):
    env = {**os.environ, "PYTHONPATH": str(ROOT / "plugins")}
    args = [sys.executable, "-c", BUILD, str(ROOT / "pelicanconf.py"), str(out)]
    return subprocess.Popen([*args, str(data), str(cache)], env=env)


@pytest.mark.parametrize("before", [1, 2], ids=["new tree", "spare tree"])
def test_kill_9_at_any_moment_leaves_the_old_or_the_new_site(folder, tmp_path, before):
    """`before` builds make the old site: after one, the killed build makes a whole new tree;
    after two, it brings the spare tree (the first build's) up to date."""
    versions = []  # the data of each build: the old site's, then the killed build's
    for k, note in enumerate(["第一版", "第二版", "改过"][-before - 1 :]):
        folder.edit("statements/2024Q2/statements.csv", lambda rows, n=note: rows[1].update(note=n))
        versions.append(shutil.copytree(folder.root, tmp_path / f"data-{k}"))
    data = versions.pop()

    def old_site(place):
        for version in versions:
            assert build(version, place / "publish", cache=place / "cache") == 0
        return place / "publish", place / "cache"

    out, cache = old_site(tmp_path / "new")
    old = snapshot(out)
    started = time.monotonic()
    assert run_build(data, out, cache).wait() == 0
    took = time.monotonic() - started  # as long as a build in its own process takes
    new = snapshot(out)
    assert old != new
    for k in range(10):
        place = tmp_path / f"run{k}"
        out, cache = old_site(place)
        process = run_build(data, out, cache)
        time.sleep(took * 1.5 * k / 9)  # from start-up to past the end (timing only spreads
        # the kills; what is checked holds wherever one lands)
        process.send_signal(signal.SIGKILL)
        process.wait()
        time.sleep(0.1)  # workers die with their parent
        now = snapshot(out)
        assert now in (old, new), f"run {k}: a mixed site"
        assert run_build(data, out, cache).wait() == 0  # the next build recovers …
        assert snapshot(out) == new
        # … and tidies: a spare is kept unless the kill left no record of what it holds
        assert sorted(p.name for p in place.iterdir() if p.name != ".publish.spare") == [
            "cache",
            "publish",
        ]
