"""`kg serve`'s workers run with glibc's bigger per-thread malloc cache (kg.server.prefork.tune_allocator),
unless the user set it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from server_fixtures import running

from kg.server.prefork import TCACHE, tune_allocator

GLIBC = sys.platform.startswith("linux") and bool(os.confstr("CS_GNU_LIBC_VERSION"))


def test_tune_allocator_sets_the_cache_unless_the_user_did() -> None:
    env: dict[str, str] = {}
    tune_allocator(env)
    if not GLIBC:
        assert env == {}
        return
    assert env["GLIBC_TUNABLES"] == f"glibc.malloc.tcache_count={TCACHE}"
    env = {"GLIBC_TUNABLES": "glibc.malloc.arena_max=2"}
    tune_allocator(env)
    assert env["GLIBC_TUNABLES"] == f"glibc.malloc.arena_max=2:glibc.malloc.tcache_count={TCACHE}"
    env = {"GLIBC_TUNABLES": "glibc.malloc.tcache_count=7"}
    tune_allocator(env)
    assert env["GLIBC_TUNABLES"] == "glibc.malloc.tcache_count=7"



@pytest.mark.skipif(not GLIBC, reason="glibc's tunables: Linux with glibc only")
@pytest.mark.parametrize("preset", [None, "glibc.malloc.tcache_count=9"])
def test_the_workers_start_with_it(example_store: Path, tmp_path: Path, preset: str | None,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    if preset is None:
        monkeypatch.delenv("GLIBC_TUNABLES", raising=False)
    else:
        monkeypatch.setenv("GLIBC_TUNABLES", preset)
    with running(example_store, "--workers", "2", log=tmp_path / "serve.log") as server:
        kids = subprocess.run(["pgrep", "-P", str(server.process.pid)], capture_output=True, text=True).stdout
        found = []
        for pid in kids.split():
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
                environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"spawn_main" in cmdline:  # a worker, not multiprocessing's resource tracker
                found.append([v for v in environ if v.startswith(b"GLIBC_TUNABLES=")])
        expected = preset or f"glibc.malloc.tcache_count={TCACHE}"
        assert len(found) == 2 and all(v == [f"GLIBC_TUNABLES={expected}".encode()] for v in found), found
