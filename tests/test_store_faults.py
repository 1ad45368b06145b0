"""Faults of the store's file system (a full disk, a file-size limit, a read-only disk, permissions):
one `kg: error:` line naming the store and the cause, exit code 1, the old store intact; a failed
first build leaves nothing behind.

Real file systems, no mocks: a small tmpfs filled to the last byte and remounted read-only (when the
tests run as root with CAP_SYS_ADMIN, as in CI's container; skipped otherwise with the reason), and
RLIMIT_FSIZE, which any process can set on itself (writes past it fail with EFBIG).
"""

from __future__ import annotations

import ctypes
import os
import resource
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from conftest import EXAMPLE

import kg
from kg.errors import BadRowError
from kg.store import StoreDir


def _kg(*args: str, preexec: Callable[[], None] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kg", *args], capture_output=True, text=True, timeout=120, preexec_fn=preexec
    )


def _dump(store: Path) -> list[bytes]:
    data = StoreDir(store).open().dump(format=ox.RdfFormat.N_QUADS)
    assert data is not None
    return sorted(data.splitlines())


def _one_error_line(result: subprocess.CompletedProcess[str], store: Path, cause: str) -> str:
    assert result.returncode == 1, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr  # no traceback
    [line] = lines
    assert line.startswith(f"kg: error: --store {store}: "), line
    assert cause in line, line
    return line


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Path]:
    """A 2 MB tmpfs of our own, unmounted afterwards."""
    mount = tmp_path / "tmpfs"
    mount.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a small tmpfs needs root (CI runs the suite as root)")
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)], capture_output=True)
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {made.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _fill(directory: Path) -> None:
    """Writes zeros until the file system has no byte left."""
    with open(directory / "filler", "wb", buffering=0) as f:
        for size in (65536, 512, 1):
            try:
                while True:
                    f.write(b"\0" * size)
            except OSError:
                pass


def test_a_failed_first_build_leaves_no_store_directory(tmp_path: Path) -> None:
    bad = tmp_path / "rows"
    shutil.copytree(EXAMPLE, bad)
    with open(bad / "papers.csv", "a", encoding="utf-8") as f:
        f.write("broken,title,not-a-year,,,,,,\n")
    store = tmp_path / "new" / "deeper" / "store"
    with pytest.raises(BadRowError):
        kg.build([bad], store, strict=True)
    assert not (tmp_path / "new").exists()  # the store and the parents this build made: not even a .lock
    result = _kg("build", str(bad), "--store", str(store), "--strict")
    assert result.returncode == 1 and result.stderr.startswith("kg: error: ")
    assert not (tmp_path / "new").exists()
    # an existing directory is kept (only what the build made goes)
    store.mkdir(parents=True)
    with pytest.raises(BadRowError):
        kg.build([bad], store, strict=True)
    assert store.is_dir() and [p.name for p in store.iterdir()] == [".lock"]


def test_a_full_disk_is_one_line_and_keeps_the_old_store(tmpfs: Path) -> None:
    store = tmpfs / "store"
    kg.build([EXAMPLE], store)
    before = _dump(store)
    active = StoreDir(store).active()
    _fill(tmpfs)
    result = _kg("build", str(EXAMPLE), "--store", str(store))
    _one_error_line(result, store, "No space left on device")
    assert StoreDir(store).active() == active and _dump(store) == before
    assert not list(store.glob(".build-*"))  # the failed generation is gone
    # a first build on a full disk: the same line, and nothing left behind
    fresh = tmpfs / "fresh"
    line = _one_error_line(_kg("build", str(EXAMPLE), "--store", str(fresh)), fresh, "No space left on device")
    assert "nothing was created" in line and not fresh.exists()


def test_a_read_only_disk_is_one_line_and_keeps_the_old_store(tmpfs: Path) -> None:
    store = tmpfs / "store"
    kg.build([EXAMPLE], store)
    before = _dump(store)
    subprocess.run(["mount", "-o", "remount,ro", str(tmpfs)], check=True)
    result = _kg("build", str(EXAMPLE), "--store", str(store))
    _one_error_line(result, store, "Read-only file system")
    assert _dump(store) == before
    assert _kg("stats", "--store", str(store)).returncode == 0  # still readable


def _file_size_limit(limit: int) -> Callable[[], None]:
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # then a write past the limit fails with EFBIG
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def test_a_file_size_limit_is_one_line_and_keeps_the_old_store(tmp_path: Path) -> None:
    store = tmp_path / "store"
    kg.build([EXAMPLE], store)
    before = _dump(store)
    result = _kg("build", str(EXAMPLE), "--store", str(store), preexec=_file_size_limit(4096))
    _one_error_line(result, store, "File too large")
    assert _dump(store) == before and not list(store.glob(".build-*"))
    # any other command's OSError is one line too (here an export's output file)
    out = tmp_path / "out.nq"
    export = _kg("export", "--store", str(store), "--format", "nq", "-o", str(out), preexec=_file_size_limit(4096))
    assert export.returncode == 1 and len(export.stderr.splitlines()) == 1, export.stderr
    assert export.stderr.startswith("kg: error: ") and "File too large" in export.stderr


def _without_dac_override() -> None:
    """Root ignores file modes through CAP_DAC_OVERRIDE (and CAP_DAC_READ_SEARCH): drop them from the
    bounding set before exec, so the program runs as a root that modes apply to."""
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
        if libc.prctl(24, cap, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def test_permissions_are_one_line(tmp_path: Path) -> None:
    """A store directory this user may not write (as root, without the capability to ignore modes)."""
    store = tmp_path / "store"
    kg.build([EXAMPLE], store)
    before = _dump(store)
    os.chmod(store, 0o555)
    try:
        result = _kg("build", str(EXAMPLE), "--store", str(store), preexec=_without_dac_override)
    finally:
        os.chmod(store, 0o755)
    _one_error_line(result, store, "Permission denied")
    assert _dump(store) == before
