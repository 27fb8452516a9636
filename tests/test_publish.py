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

from conftest import ROOT, build
from liangshai.build.atomic import build_site, exchange


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


def run_build(folder, out, cache):
    env = {**os.environ, "PYTHONPATH": str(ROOT / "plugins")}
    args = [sys.executable, "-c", BUILD, str(ROOT / "pelicanconf.py"), str(out)]
    return subprocess.Popen([*args, str(folder.root), str(cache)], env=env)


def test_kill_9_at_any_moment_leaves_the_old_or_the_new_site(folder, tmp_path):
    old_out, old_cache = tmp_path / "old" / "publish", tmp_path / "old" / "cache"
    assert build(folder.root, old_out, cache=old_cache) == 0
    old = snapshot(old_out)
    folder.edit("statements/2024Q2/statements.csv", lambda rows: rows[1].update(note="改过"))
    shutil.copytree(old_out.parent, tmp_path / "new", symlinks=True)
    new_out = tmp_path / "new" / "publish"
    started = time.monotonic()
    assert run_build(folder, new_out, tmp_path / "new" / "cache").wait() == 0
    took = time.monotonic() - started  # as long as a build in its own process takes
    new = snapshot(new_out)
    assert old != new
    for k in range(10):
        place = tmp_path / f"run{k}"
        shutil.copytree(old_out.parent, place, symlinks=True)
        out, cache = place / "publish", place / "cache"
        process = run_build(folder, out, cache)
        time.sleep(took * 1.5 * k / 9)  # from start-up to past the end (timing only spreads
        # the kills; what is checked holds wherever one lands)
        process.send_signal(signal.SIGKILL)
        process.wait()
        time.sleep(0.1)  # workers die with their parent
        now = snapshot(out)
        assert now in (old, new), f"run {k}: a mixed site"
        assert run_build(folder, out, cache).wait() == 0  # the next build recovers …
        assert snapshot(out) == new
        assert sorted(p.name for p in place.iterdir()) == ["cache", "publish"]  # … and tidies
