#!/usr/bin/env python3
"""Checks that each workspace crate's `rust-version` is at least what its
locked dependencies declare: the Rust a build from `Cargo.lock` needs.

This machine has one toolchain, so no older compiler can build the workspace
here. What can be checked is the claim itself: a crate that declares 1.80 but
locks a dependency that needs 1.91 fails on 1.80 with an error about that
dependency, not ours. (Clippy's `incompatible_msrv`, run with `-D warnings`,
checks our own use of the standard library against the same field.)

Normal and build dependencies count, on every target; dev-dependencies do not
(they build only our tests). Usage: scripts/check-msrv.py [--verbose]
"""

from __future__ import annotations

import json
import subprocess
import sys


def version(text: str) -> tuple[int, int, int]:
    """`1.85` or `1.85.0` as (1, 85, 0)."""
    major, minor, patch = ([int(p) for p in text.split(".")[:3]] + [0, 0])[:3]
    return major, minor, patch


def show(v: tuple[int, int, int]) -> str:
    return ".".join(str(p) for p in v)


def main() -> int:
    verbose = "--verbose" in sys.argv[1:]
    meta = json.loads(
        subprocess.run(
            ["cargo", "metadata", "--format-version", "1", "--locked"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )
    packages = {p["id"]: p for p in meta["packages"]}
    members = set(meta["workspace_members"])
    deps = {n["id"]: n["deps"] for n in meta["resolve"]["nodes"]}
    problems = []
    for member in meta["workspace_members"]:
        crate = packages[member]
        declared = crate.get("rust_version")
        if declared is None:
            if crate.get("publish") == []:
                continue  # an internal crate (publish = false) makes no claim
            problems.append(f"{crate['name']}: no rust-version")
            continue
        need, needed_by = (0, 0, 0), None
        seen, stack = set(), [member]
        while stack:
            pid = stack.pop()
            if pid in seen:
                continue
            seen.add(pid)
            rv = packages[pid].get("rust_version")
            # Workspace crates are checked on their own: name the outside cause.
            if pid not in members and rv and version(rv) > need:
                need, needed_by = version(rv), f"{packages[pid]['name']} {packages[pid]['version']}"
            for dep in deps.get(pid, []):
                if any(kind["kind"] in (None, "build") for kind in dep["dep_kinds"]):
                    stack.append(dep["pkg"])
        line = f"{crate['name']}: declares {declared}; its locked dependencies need {show(need)} ({needed_by})"
        if need > version(declared):
            problems.append(line)
        elif verbose:
            print(f"ok   {line}")
    for p in problems:
        print(f"FAIL {p}", file=sys.stderr)
    if problems:
        print("raise the crate's rust-version (Cargo.toml), or lock older dependencies", file=sys.stderr)
        return 1
    print(f"rust-version: every crate's declared minimum covers its locked dependencies ({len(meta['workspace_members'])} crates)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
