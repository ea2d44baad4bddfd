#!/usr/bin/env python3
"""`loki-metrics watch` in a real terminal: tmux runs it, `capture-pane`
reads the screen.

* `--once` on a finished session prints plain text (no ESC, no control
  character) whose iteration and cost are `render --format json`'s.
* A project named with escape sequences (the directory `simulate` takes the
  name from) prints and draws as inert text: no ESC gets out, the pane's
  title does not change.
* The TUI on a live directory shows the iteration and cost `render` gives
  for the same moments (between a render before and one after), and they
  move while `simulate` writes.
* Resizing redraws for the new size (the sparklines stacked on a narrow
  window, dropped on a short one, side by side again when wide).
* `q`, Esc and Ctrl-C end it with exit status 0 and the terminal restored
  (the alternate screen left).
* `--url`: the values of a running exporter; a killed exporter brings the
  red banner over the last values, a restarted one (same port) takes it
  away and the values move again; a wrong token is a banner too (401), the
  right one in --token-file works; `--once` against no exporter exits 1.
"""

import atexit
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness import binary, free_port, http_get, ok, spawn, wait_until

SOCKET = f"loki-metrics-watch-{os.getpid()}"
# Read when the server starts (with the first session): a dead pane stays,
# its exit status readable; no status line.
CONF = Path(tempfile.mkdtemp(prefix="loki-watch-tmux-")) / "tmux.conf"
INTERVAL = "0.5"


def tmux(*args: str) -> str:
    result = subprocess.run(["tmux", "-L", SOCKET, "-f", str(CONF), *args], capture_output=True, text=True, timeout=10)
    if result.returncode != 0:
        raise SystemExit(f"FAIL: tmux {' '.join(args)}: {result.stderr.strip()}")
    return result.stdout


def status_file(name: str) -> Path:
    return CONF.parent / f"{name}.status"


def start(name: str, argv: list[str], width: int = 120, height: int = 40) -> None:
    # The shell writes the command's exit status to a file: tmux's
    # #{pane_dead_status} is sometimes empty for a pane that exited
    # normally (seen with Debian's tmux 3.3a).
    status_file(name).unlink(missing_ok=True)
    command = f"{shlex.join(argv)}; echo $? > {shlex.quote(str(status_file(name)))}"
    tmux("new-session", "-d", "-s", name, "-x", str(width), "-y", str(height), command)


def screen(name: str) -> str:
    return tmux("capture-pane", "-p", "-t", name)


def pane(name: str, fmt: str) -> str:
    return tmux("display-message", "-p", "-t", name, fmt).strip()


def number(text: str) -> int:
    return int(text.replace(",", ""))


def shown_iteration(text: str) -> tuple[int, int] | None:
    """`iteration  ███   12 / 1,000` (the TUI's gauge) or `  iteration  12 / 1,000` (--once)."""
    m = re.search(r"^\s*iteration\b.*?([\d,]+) / ([\d,]+)", text, re.M)
    return (number(m.group(1)), number(m.group(2))) if m else None


def shown_cost(text: str) -> float | None:
    m = re.search(r"^\s*cost\s+\$([\d,]+\.\d+)", text, re.M)
    return float(m.group(1).replace(",", "")) if m else None


def render(bin_: str, loki: Path) -> dict:
    out = subprocess.run([bin_, "render", "--format", "json", "-q", "--loki-dir", str(loki)],
                         capture_output=True, text=True, timeout=30, check=True)
    return json.loads(out.stdout)


def cents(usd: float) -> float:
    return round(usd, 2)


def assert_plain(text: str, what: str) -> None:
    bad = sorted({repr(c) for c in text if (ord(c) < 32 and c != "\n") or 0x7F <= ord(c) <= 0x9F})
    if bad:
        raise SystemExit(f"FAIL: {what} holds control characters {bad}:\n{text!r}"[:3000])


def wait_screen(name: str, what: str, check, deadline_s: float = 15.0) -> str:
    """Polls the pane until `check(text)` holds; fails with the last screen."""
    deadline = time.monotonic() + deadline_s
    text = ""
    while time.monotonic() < deadline:
        text = screen(name)
        if check(text):
            return text
        if pane(name, "#{pane_dead}") == "1":
            break
        time.sleep(0.1)
    raise SystemExit(f"FAIL: waiting for {what} in pane {name}; the pane shows:\n{text}")


def wait_exit(name: str) -> tuple[str, str]:
    """The exit status of the command in `name`, and whether the terminal was
    left in the alternate screen, once it exited."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if pane(name, "#{pane_dead}") == "1" and status_file(name).exists():
            return status_file(name).read_text().strip(), pane(name, "#{alternate_on}")
        time.sleep(0.1)
    raise SystemExit(f"FAIL: {name} did not exit; the pane shows:\n{screen(name)}")


def once(bin_: str, args: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run([bin_, "watch", "--once", *args], capture_output=True, text=True, timeout=30)


def check_once_and_hostile_names(bin_: str, work: Path) -> None:
    finished = work / "finished" / "app" / ".loki"
    subprocess.run([bin_, "simulate", "--loki-dir", str(finished), "--seed", "3", "--rate", "40", "--duration", "2"],
                   capture_output=True, timeout=60, check=True)
    expected = render(bin_, finished)
    result = once(bin_, ["--loki-dir", str(finished)])
    if result.returncode != 0:
        raise SystemExit(f"FAIL: watch --once exited {result.returncode}: {result.stderr}")
    assert_plain(result.stdout, "watch --once")
    want_iteration = (expected["iteration_current"], expected["iteration_max"])
    if shown_iteration(result.stdout) != want_iteration or shown_cost(result.stdout) != cents(expected["cost_usd"]):
        raise SystemExit(f"FAIL: --once shows {shown_iteration(result.stdout)}, ${shown_cost(result.stdout)}; "
                         f"render: {want_iteration}, ${expected['cost_usd']}\n{result.stdout}")
    if not re.search(r"^\s*status\s+stopped — ", result.stdout, re.M) or "\napp\n" not in result.stdout:
        raise SystemExit(f"FAIL: --once lacks the project or its stopped status:\n{result.stdout}")
    ok(f"--once prints plain text with render's iteration {want_iteration[0]} / {want_iteration[1]} "
       f"and cost ${cents(expected['cost_usd'])}")

    # The project's name is its directory's: escape sequences and a BEL in it.
    evil = "evil\x1b[31mRED\x1b[0m\x1b]0;pwned\x07" + "x" * 200
    hostile = work / evil / ".loki"
    subprocess.run([bin_, "simulate", "--loki-dir", str(hostile), "--seed", "5", "--rate", "40", "--duration", "1"],
                   capture_output=True, timeout=60, check=True)
    if "\x1b" not in render(bin_, hostile)["session_info"]["project"]:
        raise SystemExit("FAIL: the hostile project name did not reach the snapshot (the test proves nothing)")
    result = once(bin_, ["--loki-dir", str(hostile)])
    assert_plain(result.stdout, "watch --once of the hostile project")
    if "evil?[31mRED?[0m?]0;pwned?xxx" not in result.stdout or "x" * 201 in result.stdout:
        raise SystemExit(f"FAIL: the hostile name is not shown cleaned and cut:\n{result.stdout}")
    start("hostile", [bin_, "watch", "--loki-dir", str(hostile), "--interval", INTERVAL], 100, 30)
    text = wait_screen("hostile", "the hostile project", lambda t: "evil?[31mRED?[0m?]0;pwned?" in t)
    if "pwned" in pane("hostile", "#{pane_title}") or shown_iteration(text) is None:
        raise SystemExit(f"FAIL: the hostile name changed the pane's title or broke the frame:\n{text}")
    tmux("send-keys", "-t", "hostile", "q")
    wait_exit("hostile")
    ok("a project named with ESC sequences and a BEL prints and draws as inert text ('?'), cut, title unchanged")


def check_live_directory(bin_: str, live: Path) -> None:
    start("dir", [bin_, "watch", "--loki-dir", str(live), "--interval", INTERVAL])
    wait_screen("dir", "the first frame", lambda t: shown_iteration(t) is not None and "Open tasks" in t)
    seen = []
    for _ in range(3):
        before = render(bin_, live)
        time.sleep(float(INTERVAL) + 1.0)
        text = screen("dir")
        after = render(bin_, live)
        iteration, cost = shown_iteration(text), shown_cost(text)
        if iteration is None or cost is None:
            raise SystemExit(f"FAIL: no iteration or cost on the screen:\n{text}")
        if not (before["iteration_current"] <= iteration[0] <= after["iteration_current"]
                and iteration[1] == after["iteration_max"]):
            raise SystemExit(f"FAIL: the screen's iteration {iteration} is not between render's "
                             f"{before['iteration_current']} and {after['iteration_current']}:\n{text}")
        if not cents(before["cost_usd"]) <= cost <= cents(after["cost_usd"]):
            raise SystemExit(f"FAIL: the screen's cost ${cost} is not between render's "
                             f"${before['cost_usd']} and ${after['cost_usd']}:\n{text}")
        seen.append((iteration[0], cost))
    if not (seen[-1][0] > seen[0][0] and seen[-1][1] > seen[0][1]):
        raise SystemExit(f"FAIL: the iteration and cost did not move while simulate wrote: {seen}")
    ok(f"the TUI shows render's iteration and cost at each moment, and they move: {seen}")

    def stacked(t: str) -> bool:
        return any(line.startswith("Events per second") for line in t.splitlines()) and "Open tasks" in t

    def side_by_side(t: str) -> bool:
        return any(line.startswith("Cost") and "Events per second" in line for line in t.splitlines())

    tmux("resize-window", "-t", "dir", "-x", "50", "-y", "40")
    wait_screen("dir", "the sparklines stacked at 50x40", lambda t: stacked(t) and shown_iteration(t) is not None)
    tmux("resize-window", "-t", "dir", "-x", "50", "-y", "16")
    wait_screen("dir", "a 50x16 frame without sparklines",
                lambda t: "Open tasks" not in t and shown_iteration(t) is not None and "q quits" in t)
    tmux("resize-window", "-t", "dir", "-x", "20", "-y", "5")
    wait_screen("dir", "a 20x5 frame", lambda t: shown_iteration(t) is not None)
    tmux("resize-window", "-t", "dir", "-x", "120", "-y", "40")
    wait_screen("dir", "the sparklines side by side at 120x40", side_by_side)
    ok("resizing redraws: sparklines stacked at 50x40, dropped at 50x16, the iteration still at 20x5, side by side at 120x40")

    tmux("send-keys", "-t", "dir", "q")
    status, alternate = wait_exit("dir")
    if (status, alternate) != ("0", "0"):
        raise SystemExit(f"FAIL: q: exit status {status}, alternate screen {alternate} (want 0, 0)")
    for key, name in (("Escape", "esc"), ("C-c", "ctrl-c")):
        start(name, [bin_, "watch", "--loki-dir", str(live), "--interval", INTERVAL])
        wait_screen(name, "the first frame", lambda t: shown_iteration(t) is not None)
        tmux("send-keys", "-t", name, key)
        status, alternate = wait_exit(name)
        if (status, alternate) != ("0", "0"):
            raise SystemExit(f"FAIL: {key}: exit status {status}, alternate screen {alternate} (want 0, 0)")
    ok("q, Esc and Ctrl-C exit 0 with the alternate screen left")


def check_url_mode(bin_: str, live: Path, work: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOKI_")}

    def serve(log: str, token: str | None = None) -> subprocess.Popen:
        proc = spawn([bin_, "serve", "--loki-dir", str(live), "--port", str(port)], work / log,
                     env | ({"LOKI_METRICS_TOKEN": token} if token else {}))
        wait_until("the exporter", lambda: http_get(f"{base}/health")[0] == 200, 15, proc, work / log)
        return proc

    def stop(proc: subprocess.Popen) -> None:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=15)

    exporter = serve("exporter-1.log")
    start("url", [bin_, "watch", "--url", base, "--interval", INTERVAL])
    text = wait_screen("url", "the exporter's values", lambda t: shown_iteration(t) is not None and "app" in t)
    if "unreachable" in text:
        raise SystemExit(f"FAIL: a banner while the exporter answers:\n{text}")
    banner = f"exporter at {base} unreachable: "
    stop(exporter)
    text = wait_screen("url", "the banner", lambda t: banner in t)
    if f"retrying every {INTERVAL} s" not in text or shown_iteration(text) is None:
        raise SystemExit(f"FAIL: the banner lacks the retry interval, or the last values are gone:\n{text}")
    during = shown_iteration(text)
    ok(f"a killed exporter brings the banner ({banner}...) over the last values {during[0]} / {during[1]}")

    result = once(bin_, ["--url", base])
    if result.returncode != 1 or banner not in result.stderr or result.stdout:
        raise SystemExit(f"FAIL: --once with no exporter: exit {result.returncode}, stdout {result.stdout!r}, "
                         f"stderr {result.stderr!r}")
    ok("--once with no exporter exits 1 with the reason on stderr")

    exporter = serve("exporter-2.log")
    text = wait_screen("url", "the banner gone and the values moving",
                       lambda t: banner not in t and (shown_iteration(t) or (0, 0))[0] > during[0], 20)
    ok(f"the restarted exporter takes the banner away; the iteration moved to {shown_iteration(text)[0]}")
    tmux("send-keys", "-t", "url", "q")
    if wait_exit("url")[0] != "0":
        raise SystemExit("FAIL: watch --url did not exit 0 on q")
    stop(exporter)

    exporter = serve("exporter-3.log", token="s3cret-token")
    start("noauth", [bin_, "watch", "--url", base, "--interval", INTERVAL])
    wait_screen("noauth", "the 401 banner", lambda t: banner in t and "401" in t)
    token_file = work / "token"
    token_file.write_text("s3cret-token\n")
    result = once(bin_, ["--url", base, "--token-file", str(token_file)])
    if result.returncode != 0 or shown_iteration(result.stdout) is None:
        raise SystemExit(f"FAIL: --token-file: exit {result.returncode}\n{result.stdout}{result.stderr}")
    ok("with a token on the exporter, no token is a 401 banner and --token-file gets the values")
    stop(exporter)


def main() -> None:
    bin_ = binary()
    if not shutil.which("tmux"):
        sys.exit("FAIL: tmux not found (scripts/test.sh installs it)")
    work = Path(tempfile.mkdtemp(prefix="loki-watch-"))
    CONF.write_text("set -g remain-on-exit on\nset -g status off\n")
    atexit.register(lambda: shutil.rmtree(CONF.parent, ignore_errors=True))
    atexit.register(lambda: subprocess.run(["tmux", "-L", SOCKET, "kill-server"], capture_output=True))

    check_once_and_hostile_names(bin_, work)

    live = work / "live" / "app" / ".loki"
    sim_log = work / "simulate.log"
    sim = spawn([bin_, "simulate", "--loki-dir", str(live), "--seed", "11", "--rate", "10",
                 "--max-iterations", "100000", "--budget-limit", "100000"], sim_log)
    wait_until("the first dashboard-state.json", lambda: (live / "dashboard-state.json").exists(), 15, sim, sim_log)
    check_live_directory(bin_, live)
    check_url_mode(bin_, live, work)
    shutil.rmtree(work, ignore_errors=True)
    print("watch under tmux: all checks passed")


if __name__ == "__main__":
    main()
