#!/usr/bin/env python3
"""Hostile clients against `loki-metrics serve`: 10,000 concurrent
connections, slow loris, a 1 MB Accept header, pipelined and HTTP/1.0
requests, malformed requests, bad methods and traversal paths, wrong and
missing tokens (and whether a wrong token's 401 takes longer the more of it
matches), and bad TLS client hellos.

Each case checks (a) that the hostile traffic gets the right answer and never
a 5xx or a 200 it should not get, and (b) that normal scrapes issued during
the attack, each on a new connection from a separate process, get 200 with a
body that parses and carries the fixture's values, each within
SCRAPE_BOUND_S. Prints a table; exits 1 on any failure.

Python 3 stdlib + harness.py. Usage:
    LOKI_METRICS_BIN=target/debug/loki-metrics python3 tests/integration/hostile_clients.py
"""

import http.client
import math
import multiprocessing
import os
import random
import re
import resource
import selectors
import shutil
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from harness import PROMETHEUS_ACCEPT, binary, free_port, spawn, wait_until

# The failure this guards against, a scrape queued behind idle connections,
# costs the 10 s header-read timeout (also Prometheus' default scrape
# timeout). 1 s is ten times below that and leaves room for a debug build on
# two cores shared with other work. It bounds the exchange once the TCP
# connection is up.
SCRAPE_BOUND_S = 1.0
# The TCP handshake is the kernel's: when 10,000 connections arrive at once,
# the listen queue (somaxconn, 4096 here) overflows and the kernel drops a
# SYN, which the client resends after 1 s, then 2 s more. Up to two resends
# are allowed (and counted in the report); more would be a scrape that
# could not get in at all.
CONNECT_BOUND_S = 3.5
SCRAPE_INTERVAL_S = 0.05
CONNECTIONS = 10_000
REOPEN_RATE = 2000  # connections/s the attacker re-opens during the hold (it keeps 10,000 open or opening)
MAX_CONNECTIONS = 1024  # the exporter's default --max-connections
SHORT_TIMEOUT_S = 2.0  # --header-read-timeout of the slow-loris and TLS exporters
TIMING_TOKEN_BYTES = 128 * 1024
TIMING_PAIRS = 400
SIGN_TEST_Z = 4.0  # |z| above this: the two token classes take different times (two-sided p < 1e-4)

# The fixture, and what a correct scrape of it reports.
STATE = ('{"mode":"autonomous","iteration":7,"startedAt":"2026-01-05T10:00:00Z",'
         '"tasks":{"pending":[{},{}],"inProgress":[{}],"review":[{}],"completed":[{},{},{}],"failed":[]},'
         '"agents":[{"status":"active"},{"status":"idle"}]}')
EXPECTED = {"loki_iteration_current": 7.0, 'loki_tasks_total{status="completed"}': 3.0, "loki_events_total": 3.0}

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*",?)*\})? (\S+)( -?\d+(?:\.\d+)?)?$')


class CaseFailure(Exception):
    pass


def check(condition: bool, message: str) -> None:
    if not condition:
        raise CaseFailure(message)


def parse_exposition(text: str, openmetrics: bool) -> dict[str, float]:
    """Strictly parses Prometheus text 0.0.4 / OpenMetrics 1.0 sample lines."""
    lines = text.split("\n")
    if lines[-1] != "":
        raise ValueError("no final newline")
    lines = lines[:-1]
    if openmetrics:
        if lines[-1:] != ["# EOF"]:
            raise ValueError("OpenMetrics without # EOF")
        lines = lines[:-1]
    samples = {}
    for line in lines:
        if line.startswith("#") or (not openmetrics and line == ""):
            continue
        m = SAMPLE.match(line)
        if not m:
            raise ValueError(f"bad sample line {line!r}")
        samples[m.group(1) + (m.group(2) or "")] = float(m.group(3))
    return samples


# ---------------------------------------------------------------- raw HTTP

def parse_responses(data: bytes, head_only: list[bool]) -> tuple[list[tuple[int, dict, bytes]], bool]:
    """The complete responses at the start of `data`; the second value says
    whether the bytes were all consumed."""
    out = []
    while data and len(out) < len(head_only):
        end = data.find(b"\r\n\r\n")
        if end < 0:
            break
        head = data[:end].decode("latin-1").split("\r\n")
        parts = head[0].split(" ")
        if not (parts[0].startswith("HTTP/1.") and len(parts) >= 2 and parts[1].isdigit()):
            raise ValueError(f"not an HTTP response: {data[:60]!r}")
        headers = {}
        for line in head[1:]:
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
        rest = data[end + 4:]
        if head_only[len(out)]:
            body = b""
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            body, pos = b"", 0
            while True:
                eol = rest.find(b"\r\n", pos)
                if eol < 0:
                    return out, False
                size = int(rest[pos:eol], 16)
                if size == 0:
                    rest = rest[eol + 4:]
                    break
                body += rest[eol + 2:eol + 2 + size]
                pos = eol + 4 + size
        else:
            n = int(headers.get("content-length", "0"))
            if len(rest) < n:
                break
            body, rest = rest[:n], rest[n:]
        out.append((int(parts[1]), headers, body))
        data = rest
    return out, not data


def exchange(port: int, payload: bytes, expect: int = 1, head_only: list[bool] | None = None,
             timeout: float = 5.0, tls: ssl.SSLContext | None = None) -> tuple[list, bool, bytes]:
    """Sends `payload` (non-blocking, so a huge one cannot deadlock against an
    early answer) and reads until `expect` responses or the server closes.
    Returns (responses, closed by the server, raw bytes)."""
    head_only = head_only or [False] * expect
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    if tls:
        sock = tls.wrap_socket(sock, server_hostname="localhost")
    sock.setblocking(False)
    sent, raw, closed = 0, b"", False
    deadline = time.monotonic() + timeout
    sel = selectors.DefaultSelector()
    sel.register(sock, selectors.EVENT_READ | selectors.EVENT_WRITE)
    try:
        while time.monotonic() < deadline:
            for key, events in sel.select(timeout=0.1):
                if events & selectors.EVENT_WRITE and sent < len(payload):
                    try:
                        sent += sock.send(payload[sent:sent + 65536])
                    except (BlockingIOError, ssl.SSLWantWriteError):
                        pass
                    except OSError:
                        sent = len(payload)  # the server stopped reading: read its answer
                    if sent >= len(payload):
                        sel.modify(sock, selectors.EVENT_READ)
                if events & selectors.EVENT_READ:
                    try:
                        chunk = sock.recv(65536)
                    except (BlockingIOError, ssl.SSLWantReadError):
                        continue
                    except OSError:
                        chunk = b""
                    if not chunk:
                        closed = True
                    raw += chunk
            responses, _ = parse_responses(raw, head_only)
            if closed or len(responses) >= expect:
                break
        if not closed and len(parse_responses(raw, head_only)[0]) >= expect:
            # Did the server close after the last answer? Give it a moment.
            sock.setblocking(True)
            sock.settimeout(0.3)
            try:
                closed = sock.recv(1) == b""
            except (TimeoutError, ssl.SSLError):
                pass
            except OSError:
                closed = True
    finally:
        sel.close()
        sock.close()
    return parse_responses(raw, head_only)[0], closed, raw


def one_status(port: int, payload: bytes, **kw) -> tuple[int | None, bytes]:
    responses, _, raw = exchange(port, payload, **kw)
    return (responses[0][0] if responses else None), raw


def req(method: str, target: str, *headers: str, version: str = "HTTP/1.1", close: bool = True) -> bytes:
    lines = [f"{method} {target} {version}", "Host: 127.0.0.1"] + list(headers)
    if close:
        lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


# ------------------------------------------------------- the normal scraper

def scrape_once(port: int, token: str | None, cafile: str | None, openmetrics: bool,
                connected: list[float] | None = None) -> str | None:
    """One scrape on a new connection; None if right, else what was wrong.
    `connected[0]`, if given, is set to the time the connection (and TLS) was up."""
    if cafile:
        ctx = ssl.create_default_context(cafile=cafile)
        conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=10, context=ctx)
    else:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {"Accept": PROMETHEUS_ACCEPT} if openmetrics else {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        conn.connect()
        if connected is not None:
            connected[0] = time.monotonic()
        conn.request("GET", "/metrics", headers=headers)
        resp = conn.getresponse()
        body = resp.read()
    except (OSError, http.client.HTTPException) as e:
        return f"request failed: {e!r}"
    finally:
        conn.close()
    if resp.status != 200:
        return f"HTTP {resp.status}"
    try:
        samples = parse_exposition(body.decode(), openmetrics)
    except (ValueError, UnicodeDecodeError) as e:
        return f"unparsable body: {e}"
    wrong = {k: samples.get(k) for k, v in EXPECTED.items() if samples.get(k) != v}
    return f"wrong values {wrong}" if wrong else None


def _scraper(port, token, cafile, interval, stop, conn):
    results = []
    n = 0
    while not stop.is_set():
        started = time.monotonic()
        connected = [started]
        problem = scrape_once(port, token, cafile, openmetrics=n % 2 == 0, connected=connected)
        done = time.monotonic()
        # (whole scrape, TCP connect, exchange after connecting, problem)
        results.append((done - started, connected[0] - started, done - connected[0], problem))
        n += 1
        stop.wait(max(0.0, interval - (time.monotonic() - started)))
    conn.send(results)
    conn.close()


class Scraper:
    """Normal scrapes from a separate process (so the attacker's GIL and
    sockets do not slow them down), one new connection each."""

    def __init__(self, port: int, token: str | None = None, cafile: str | None = None,
                 interval: float = SCRAPE_INTERVAL_S):
        ctx = multiprocessing.get_context("fork")
        self.stop = ctx.Event()
        self.recv, send = ctx.Pipe(duplex=False)
        self.proc = ctx.Process(target=_scraper, args=(port, token, cafile, interval, self.stop, send), daemon=True)
        self.proc.start()
        send.close()

    def finish(self) -> dict:
        self.stop.set()
        results = self.recv.recv() if self.recv.poll(30) else []
        self.proc.join(5)
        latencies = sorted(r[0] for r in results)
        problems = [r[3] for r in results if r[3]]
        slow = [r[2] for r in results if r[2] > SCRAPE_BOUND_S]
        slow_connects = [r[1] for r in results if r[1] > CONNECT_BOUND_S]
        resent = sum(1 for r in results if r[1] > 0.9)  # a dropped SYN costs >= 1 s
        check(len(results) >= 3, f"only {len(results)} scrapes during the attack: {results}")
        check(not problems, f"{len(problems)}/{len(results)} scrapes failed, e.g. {problems[:3]}")
        check(not slow, f"{len(slow)}/{len(results)} scrapes answered slower than {SCRAPE_BOUND_S} s after connecting "
                        f"(max {max(slow or [0]):.2f} s)")
        check(not slow_connects, f"{len(slow_connects)}/{len(results)} connects slower than {CONNECT_BOUND_S} s "
                                 f"(max {max(slow_connects or [0]):.2f} s)")
        return {"n": len(results), "p50": statistics.median(latencies), "max": latencies[-1],
                "exchange_max": max(r[2] for r in results), "syn_resent": resent}


# ------------------------------------------------------------ the exporters

class Exporter:
    def __init__(self, work: Path, name: str, *args: str, token_file: Path | None = None,
                 cafile: str | None = None, token: str | None = None):
        self.port = free_port()
        self.log = work / f"{name}.log"
        self.token, self.cafile = token, cafile
        argv = [binary(), "serve", "--loki-dir", str(work / ".loki"), "--port", str(self.port), *args]
        if token_file:
            argv += ["--token-file", str(token_file)]
        self.proc = spawn(argv, self.log)

    def wait_ready(self) -> None:
        wait_until(f"the exporter ({self.log.name})", lambda: scrape_once(self.port, self.token, self.cafile, False)
                   is None, 20, self.proc, self.log)

    def socket_count(self) -> int:
        fd_dir = Path(f"/proc/{self.proc.pid}/fd")
        count = 0
        for fd in fd_dir.iterdir():
            try:
                count += os.readlink(fd).startswith("socket:")
            except OSError:
                pass
        return count


def during(scraper: Scraper, attack, min_seconds: float = 1.5) -> tuple[str, dict]:
    """Repeats `attack()` (which returns a description) for at least
    `min_seconds` while `scraper` runs."""
    started = time.monotonic()
    try:
        what = attack()
        while time.monotonic() - started < min_seconds:
            attack()
    finally:
        stats = scraper.finish()
    return what, stats


def no_5xx(statuses, label: str) -> None:
    bad = [s for s in statuses if s is not None and s >= 500]
    check(not bad, f"{label}: 5xx answers {bad}")


# ------------------------------------------------------------------- cases

def case_baseline(main: Exporter) -> tuple[str, dict]:
    scraper = Scraper(main.port)
    time.sleep(1.5)  # the attack here is nothing: scrapes run for 1.5 s
    return "no attack: reference latency", scraper.finish()


def case_ten_thousand_connections(main: Exporter) -> tuple[str, dict]:
    scraper = Scraper(main.port)
    sel = selectors.DefaultSelector()
    partial = b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: "
    state = {"opened": 0, "connected": 0, "closed_by_server": 0, "reopened": 0, "answers": []}

    def open_one(i: int) -> None:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        try:
            s.connect(("127.0.0.1", main.port))
        except BlockingIOError:
            pass
        sel.register(s, selectors.EVENT_WRITE, i)
        state["opened"] += 1

    for i in range(CONNECTIONS):
        open_one(i)
    hold_until = None
    max_sockets = 0
    next_fd_check = 0.0
    reopen_budget = 0.0
    to_reopen = []
    last_refill = time.monotonic()
    deadline = time.monotonic() + 30
    try:
        while time.monotonic() < deadline:
            now = time.monotonic()
            if hold_until is None and state["connected"] >= CONNECTIONS:
                hold_until = now + 5.0  # all 10,000 connected: hold (and re-open what is closed) for 5 s
            if hold_until is not None and now >= hold_until:
                break
            if now >= next_fd_check:
                max_sockets = max(max_sockets, main.socket_count())
                next_fd_check = now + 0.25
            # A persistent attacker re-opens what the exporter closes, at most REOPEN_RATE/s.
            reopen_budget = min(reopen_budget + (now - last_refill) * REOPEN_RATE, REOPEN_RATE / 10)
            last_refill = now
            for key, events in sel.select(timeout=0.01):
                s, i = key.fileobj, key.data
                if events & selectors.EVENT_WRITE:
                    err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                    if err:
                        sel.unregister(s)
                        s.close()
                        open_one(i)
                        continue
                    state["connected"] += 1
                    if i % 2 == 0:
                        try:
                            s.send(partial)
                        except OSError:
                            pass
                    sel.modify(s, selectors.EVENT_READ, i)
                elif events & selectors.EVENT_READ:
                    try:
                        data = s.recv(4096)
                    except OSError:
                        data = b""
                    if data:
                        state["answers"].append(data[:40])
                        continue
                    state["closed_by_server"] += 1
                    sel.unregister(s)
                    s.close()
                    if hold_until is None:
                        open_one(i)
                    else:
                        to_reopen.append(i)
            while to_reopen and reopen_budget >= 1:
                reopen_budget -= 1
                state["reopened"] += 1
                open_one(to_reopen.pop())
    finally:
        still_open = len(sel.get_map())
        for key in list(sel.get_map().values()):
            key.fileobj.close()
        sel.close()
        stats = scraper.finish()
    check(hold_until is not None, f"only {state['connected']} of {CONNECTIONS} connections completed in 30 s")
    bad = [a for a in state["answers"] if not re.match(rb"HTTP/1\.[01] 4\d\d", a)]
    check(not bad, f"attack connections got unexpected answers: {bad[:3]}")
    # + the listener, the connection waiting to be admitted, and sockets that
    # open and close while /proc/<pid>/fd is being listed.
    check(max_sockets <= MAX_CONNECTIONS + 8,
          f"the exporter held {max_sockets} sockets (limit {MAX_CONNECTIONS} connections)")
    what = (f"{CONNECTIONS} opened at once (half idle, half half-sent), then {state['reopened']} more in a 5 s "
            f"hold replacing closed ones; "
            f"exporter closed {state['closed_by_server']} to make room, held <= {max_sockets} sockets; "
            f"{still_open} attack sockets still open at the end")
    return what, stats


def case_slow_loris(loris: Exporter) -> tuple[str, dict]:
    scraper = Scraper(loris.port)
    head = b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Loris: " + b"a" * 1000
    conns = []
    for _ in range(300):
        s = socket.create_connection(("127.0.0.1", loris.port))
        s.setblocking(False)
        conns.append({"sock": s, "opened": time.monotonic(), "sent": 0, "closed": None, "got": b""})
    deadline = time.monotonic() + SHORT_TIMEOUT_S + 4
    try:
        while time.monotonic() < deadline and any(c["closed"] is None for c in conns):
            for c in conns:
                if c["closed"] is not None:
                    continue
                try:
                    c["sock"].send(head[c["sent"]:c["sent"] + 1])  # one byte per round
                    c["sent"] += 1
                except BlockingIOError:
                    pass
                except OSError:
                    c["closed"] = time.monotonic()
                    continue
                try:
                    data = c["sock"].recv(4096)
                    c["got"] += data
                    if not data:
                        c["closed"] = time.monotonic()
                except BlockingIOError:
                    pass
                except OSError:
                    c["closed"] = time.monotonic()
            time.sleep(0.25)  # the loris pace: a byte per connection every 250 ms
    finally:
        for c in conns:
            c["sock"].close()
        stats = scraper.finish()
    open_left = sum(c["closed"] is None for c in conns)
    check(open_left == 0, f"{open_left}/300 slow-loris connections still open after {SHORT_TIMEOUT_S + 4} s")
    lifetimes = [c["closed"] - c["opened"] for c in conns]
    check(max(lifetimes) <= SHORT_TIMEOUT_S + 1.5, f"a slow loris lasted {max(lifetimes):.2f} s")
    check(min(lifetimes) >= SHORT_TIMEOUT_S - 0.2, f"a slow loris was cut after only {min(lifetimes):.2f} s")
    answers = [c["got"][:30] for c in conns if c["got"]]
    check(all(re.match(rb"HTTP/1\.1 4\d\d", a) for a in answers), f"slow lorises got {answers[:3]}")
    return (f"300 connections sending 1 byte/250 ms: all cut by the {SHORT_TIMEOUT_S:g} s header-read timeout "
            f"after {min(lifetimes):.2f}-{max(lifetimes):.2f} s, {len(answers)} got an answer"), stats


def case_one_mb_accept_header(main: Exporter) -> tuple[str, dict]:
    payload = req("GET", "/metrics", "Accept: " + "text/plain;q=0.5," * (1024 * 1024 // 17), close=False)
    check(len(payload) > 1024 * 1024, "payload under 1 MB")
    statuses = []

    def attack():
        for _ in range(5):
            responses, closed, raw = exchange(main.port, payload)
            statuses.append(responses[0][0] if responses else None)
            check(responses and responses[0][0] == 431, f"1 MB Accept got {raw[:60]!r}")
            check(closed, "connection left open after 431")
        return ""

    _, stats = during(Scraper(main.port), attack)
    no_5xx(statuses, "1 MB Accept")
    return f"{len(statuses)} requests with a {len(payload) // 1024} KiB head: all 431, connection closed", stats


PIPELINE = [("GET", "/metrics", 200), ("HEAD", "/metrics", 200), ("GET", "/health", 200), ("GET", "/nope", 404),
            ("POST", "/metrics", 405), ("GET", "/metrics", 200)]


def case_pipelined_and_http10(main: Exporter) -> tuple[str, dict]:
    counts = {"pipelined": 0, "http10": 0}

    def attack():
        # Six different requests in one write; the last closes.
        payload = b"".join(req(m, p, "Content-Length: 0", close=i == len(PIPELINE) - 1)
                           for i, (m, p, _) in enumerate(PIPELINE))
        responses, closed, raw = exchange(main.port, payload, expect=len(PIPELINE),
                                          head_only=[m == "HEAD" for m, _, _ in PIPELINE])
        got = [r[0] for r in responses]
        check(got == [s for _, _, s in PIPELINE], f"pipelined answers {got}, expected {[s for _, _, s in PIPELINE]}")
        check(closed, "the connection stayed open after Connection: close")
        for (m, p, _), (status, headers, body) in zip(PIPELINE, responses):
            if m == "GET" and p == "/metrics":
                check(parse_exposition(body.decode(), False).get("loki_events_total") == 3.0, "pipelined body wrong")
        # 100 scrapes in one write.
        many = req("GET", "/metrics", close=False) * 99 + req("GET", "/metrics")
        responses, closed, _ = exchange(main.port, many, expect=100)
        check(len(responses) == 100 and all(r[0] == 200 for r in responses), f"{len(responses)}/100 pipelined answers")
        check(all(parse_exposition(r[2].decode(), False).get("loki_events_total") == 3.0 for r in responses),
              "a pipelined body was wrong")
        counts["pipelined"] += len(PIPELINE) + 100
        # HTTP/1.0, no Host: answered, then closed.
        responses, closed, raw = exchange(main.port, b"GET /metrics HTTP/1.0\r\n\r\n")
        check(responses and responses[0][0] == 200 and closed, f"HTTP/1.0: {raw[:60]!r}, closed={closed}")
        check(parse_exposition(responses[0][2].decode(), False).get("loki_events_total") == 3.0, "HTTP/1.0 body wrong")
        # HTTP/1.0 keep-alive: two answers on one connection.
        ka = b"GET /metrics HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
        responses, _, raw = exchange(main.port, ka + b"GET /health HTTP/1.0\r\n\r\n", expect=2)
        check([r[0] for r in responses] == [200, 200], f"HTTP/1.0 keep-alive: {raw[:80]!r}")
        # HTTP/0.9 (no version): refused, not served.
        status, raw = one_status(main.port, b"GET /metrics\r\n\r\n")
        check(status == 400 or (status is None and b"loki_" not in raw), f"HTTP/0.9 got {raw[:60]!r}")
        counts["http10"] += 4
        return ""

    _, stats = during(Scraper(main.port), attack)
    return (f"{counts['pipelined']} pipelined requests (mixed 200/404/405, HEAD) answered in order; "
            f"{counts['http10']} HTTP/1.0 and 0.9 requests right"), stats


MALFORMED = [
    (b"\x00\x01\x02\xff garbage\r\n\r\n", (400,)),
    (b"GET /metrics HTTP/9.9\r\nHost: x\r\n\r\n", (400,)),
    (b"GET /metrics HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n", (400,)),
    (b"GET /metrics HTTP/1.1\r\nHost: x\r\nX: a\x00b\r\n\r\n", (400,)),
    (b"GET /metrics HTTP/1.1\r\nHost: x\r\nHo(st: y\r\n\r\n", (400,)),
    (b"GET /metrics HTTP/1.1\r\n Host: x\r\n\r\n", (400,)),
    (b"GET  /metrics HTTP/1.1\r\nHost: x\r\n\r\n", (400,)),
    (b"GET /met rics HTTP/1.1\r\nHost: x\r\n\r\n", (400,)),
    (b"GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", (400,)),
    (b"GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", (400,)),
    (b"GET /metrics HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked, identity\r\n\r\n", (400,)),
    (b"GET ../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n", (400,)),
    (b"GET /\x7fmetrics HTTP/1.1\r\nHost: x\r\n\r\n", (400,)),
    (b"GET /" + b"a" * 20000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", (414, 431)),
    (b"GET /metrics HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-H%d: 1\r\n" % i for i in range(200)) + b"\r\n", (431,)),
]


def case_malformed_requests(main: Exporter) -> tuple[str, dict]:
    statuses = []

    def attack():
        for payload, expected in MALFORMED:
            status, raw = one_status(main.port, payload)
            statuses.append(status)
            check(status in expected, f"{payload[:50]!r} got {raw[:60]!r}, expected {expected}")
        return ""

    _, stats = during(Scraper(main.port), attack)
    no_5xx(statuses, "malformed")
    seen = sorted(set(statuses))
    return f"{len(statuses)} malformed requests ({len(MALFORMED)} kinds): answers {seen} as expected", stats


BAD_TARGETS = [
    # (method, target, expected statuses)
    ("FOO", "/metrics", (405,)), ("get", "/metrics", (405,)), ("TRACE", "/metrics", (405,)),
    ("DELETE", "/health", (405,)), ("OPTIONS", "/metrics", (405,)), ("PROPFIND", "/health", (405,)),
    ("OPTIONS", "*", (400, 404)), ("CONNECT", "127.0.0.1:22", (400, 404, 405)),
    ("GET", "/../metrics", (404,)), ("GET", "/metrics/../health", (404,)), ("GET", "/health/../metrics", (404,)),
    ("GET", "/../../../../etc/passwd", (404,)), ("GET", "/%2e%2e/%2e%2e/etc/passwd", (404,)),
    ("GET", "/..%2f..%2fetc%2fpasswd", (404,)), ("GET", "/metrics%2f..%2f..%2fetc%2fpasswd", (404,)),
    ("GET", "/metrics/.", (404,)), ("GET", "/./metrics", (404,)), ("GET", "//metrics", (404,)),
    ("GET", "/metrics%00", (404,)), ("GET", "/%ff%fe", (404,)), ("GET", "/..\\..\\etc\\passwd", (400, 404)),
    ("GET", "http://127.0.0.1/../../etc/passwd", (404,)), ("GET", "/.loki/dashboard-state.json", (404,)),
    ("GET", "/dashboard-state.json", (404,)),
]


def case_bad_methods_and_traversal_paths(main: Exporter) -> tuple[str, dict]:
    statuses = []

    def attack():
        for method, target, expected in BAD_TARGETS:
            status, raw = one_status(main.port, req(method, target, "Content-Length: 0"))
            statuses.append(status)
            check(status in expected, f"{method} {target} got {raw[:60]!r}, expected {expected}")
            check(b"root:" not in raw and b"autonomous" not in raw, f"{method} {target} leaked a file: {raw[:200]!r}")
            if status == 405:
                allow = exchange(main.port, req(method, target, "Content-Length: 0"))[0][0][1].get("allow", "")
                check("GET" in allow, f"{method} {target}: 405 without Allow: GET")
        return ""

    _, stats = during(Scraper(main.port), attack)
    no_5xx(statuses, "bad methods/paths")
    counts = {s: statuses.count(s) for s in sorted(set(statuses), key=str)}
    return f"{len(statuses)} requests ({len(BAD_TARGETS)} kinds): {counts}, nothing served from disk", stats


def case_wrong_or_missing_token(tok: Exporter) -> tuple[str, dict]:
    token = tok.token
    near = token[:-1] + ("a" if token[-1] != "a" else "b")
    wrong_auth = [None, f"Bearer {near}", f"Bearer {token[:-1]}", f"Bearer {token}x", f"Bearer x{token}",
                  f"Bearer {token.upper()}", f"Basic {token}", f"Bearer{token}", "Bearer ", "Bearer",
                  f"Token {token}", f"{token}", f"Bearer {token[:8]}"]
    statuses = []

    def attack():
        for auth in wrong_auth:
            for target in ("/metrics", "/health", "/nope", "/../metrics"):
                headers = [f"Authorization: {auth}"] if auth is not None else []
                responses, _, raw = exchange(tok.port, req("GET", target, *headers))
                status = responses[0][0] if responses else None
                statuses.append(status)
                if target == "/health":
                    # Probes carry no token: the bare status, and nothing of the directory.
                    check(status == 200 and responses[0][2] == b'{"status":"ok"}\n',
                          f"GET /health with {auth!r:.30} got {raw[:80]!r}, expected the bare status")
                    continue
                check(status == 401, f"GET {target} with {auth!r:.30} got {raw[:60]!r}")
                check(responses[0][1].get("www-authenticate", "").startswith("Bearer"), "401 without WWW-Authenticate")
        # A wrong token before the right one: the first Authorization counts.
        responses, _, raw = exchange(tok.port, req("GET", "/metrics", f"Authorization: Bearer {near}",
                                                   f"Authorization: Bearer {token}"))
        statuses.append(responses[0][0] if responses else None)
        check(statuses[-1] == 401, f"wrong-then-right Authorization got {raw[:60]!r}")
        for method in ("POST", "FOO", "DELETE"):
            status, raw = one_status(tok.port, req(method, "/metrics", "Content-Length: 0"))
            statuses.append(status)
            check(status == 401, f"{method} without a token got {raw[:60]!r}")
        # The right token works (so the 401s above are about the token).
        responses, _, raw = exchange(tok.port, req("GET", "/metrics", f"Authorization: Bearer {token}"))
        check(responses and responses[0][0] == 200, f"the right token got {raw[:60]!r}")
        return ""

    _, stats = during(Scraper(tok.port, token=token), attack)
    no_5xx(statuses, "tokens")
    return (f"{len(statuses)} requests with missing/wrong/near-miss tokens on every path and method: all 401 "
            "(GET /health: the bare status)"), stats


def sign_test(diffs: list[float]) -> float:
    """z of the sign test: under 'no difference', positive and negative
    paired differences are equally likely (ties dropped)."""
    pos = sum(d > 0 for d in diffs)
    neg = sum(d < 0 for d in diffs)
    n = pos + neg
    return 0.0 if n == 0 else (pos - n / 2) / math.sqrt(n / 4)


def case_token_timing(timing: Exporter, token: bytes) -> tuple[str, dict]:
    """Tokens of the real token's length sharing 0 leading bytes with it (first
    byte changed) or all but one (last byte changed), sent in random order in
    pairs on one keep-alive connection. Client side: the 401's round trip.
    Server side: the access log's per-request micros, which cover everything
    that sees the token (auth middleware, routing) but not the parsing of a
    128 KiB header; that is the measurement sensitive enough to see a memcmp."""
    flip = lambda b: b"a" if b != ord("a") else b"b"  # noqa: E731
    classes = {"first": flip(token[0]) + token[1:], "last": token[:-1] + flip(token[-1])}
    requests = {k: req("GET", "/metrics", f"Authorization: Bearer {v.decode()}", close=False)
                for k, v in classes.items()}
    rng = random.Random(7)
    scraper = Scraper(timing.port, token=token.decode(), interval=0.2)
    sock = socket.create_connection(("127.0.0.1", timing.port), timeout=10)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    me = sock.getsockname()[1]

    def one(kind: str) -> float:
        t = time.perf_counter()
        sock.sendall(requests[kind])
        buf = b""
        while not buf.endswith(b"required\n"):
            chunk = sock.recv(65536)
            check(bool(chunk), "the timing connection closed")
            buf += chunk
        check(buf.startswith(b"HTTP/1.1 401"), f"timing request got {buf[:40]!r}")
        return time.perf_counter() - t

    order = []
    client = {"first": [], "last": []}
    try:
        for _ in range(20):  # warm-up, not measured
            one("first"), one("last")
        for _ in range(TIMING_PAIRS):
            pair = ["first", "last"] if rng.random() < 0.5 else ["last", "first"]
            order.extend(pair)
            for kind in pair:
                client[kind].append(one(kind))
    finally:
        sock.close()
        stats = scraper.finish()
    # The access log lines of this connection, in request order.
    pattern = re.compile(r"peer=Some\(127\.0\.0\.1:%d\).* status=(\d+) micros=(\d+)" % me)
    log_deadline = time.monotonic() + 5
    while True:
        lines = pattern.findall(timing.log.read_text(errors="replace"))
        if len(lines) >= 40 + len(order) or time.monotonic() > log_deadline:
            break
        time.sleep(0.1)
    check(len(lines) == 40 + len(order), f"{len(lines)} access-log lines for {40 + len(order)} timing requests")
    server = {"first": [], "last": []}
    for kind, (status, micros) in zip(order, lines[40:]):
        check(status == "401", f"timing request answered {status}")
        server[kind].append(int(micros))
    client_z = sign_test([b - a for a, b in zip(client["first"], client["last"])])
    server_z = sign_test([b - a for a, b in zip(server["first"], server["last"])])
    med = {k: statistics.median(v) * 1e6 for k, v in client.items()}
    smed = {k: statistics.median(v) for k, v in server.items()}
    what = (f"{TIMING_PAIRS} pairs, {len(token) // 1024} KiB token. 401 round trip median: 0 bytes matched "
            f"{med['first']:.0f} us, all but 1 {med['last']:.0f} us, sign-test z={client_z:+.2f}; in-server median "
            f"{smed['first']:.0f} vs {smed['last']:.0f} us, z={server_z:+.2f} (|z| < {SIGN_TEST_Z:g} required)")
    check(abs(server_z) < SIGN_TEST_Z, f"token check time depends on the matched prefix: {what}")
    check(abs(client_z) < SIGN_TEST_Z, f"401 latency depends on the matched prefix: {what}")
    return what, stats


TRUNCATED_HELLO = bytes.fromhex("16030102000100" + "01fc0303") + os.urandom(32)  # says 512 bytes, sends 43
BAD_HELLO = bytes.fromhex("160301002b" + "01000027" + "0303") + os.urandom(32) + bytes.fromhex("00" "ffff" "0100")


def tls_raw(port: int, payload: bytes, shut_wr: bool) -> tuple[bytes, float | None]:
    """Sends raw bytes to the TLS port; returns what came back and how long
    until the server closed (None if it did not within SHORT_TIMEOUT_S + 3 s)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=SHORT_TIMEOUT_S + 3)
    started = time.monotonic()
    got = b""
    try:
        s.sendall(payload)
        if shut_wr:
            s.shutdown(socket.SHUT_WR)
        while True:
            chunk = s.recv(4096)
            if not chunk:
                return got, time.monotonic() - started
            got += chunk
    except TimeoutError:
        return got, None
    except OSError:
        return got, time.monotonic() - started
    finally:
        s.close()


def case_tls_bad_client_hello(tls: Exporter) -> tuple[str, dict]:
    results = []

    def refused(label: str, payload: bytes, shut_wr: bool, limit: float) -> None:
        got, closed_after = tls_raw(tls.port, payload, shut_wr)
        check(closed_after is not None and closed_after <= limit, f"{label}: not closed within {limit:g} s")
        check(b"HTTP/" not in got and b"loki_" not in got, f"{label}: got HTTP back: {got[:60]!r}")
        check(got == b"" or got[:1] == b"\x15", f"{label}: answered {got[:20]!r}, not a TLS alert")
        results.append((label, closed_after, got[:1] == b"\x15"))

    def attack():
        quick = 1.0
        refused("garbage", os.urandom(200), False, quick)
        refused("plain HTTP", req("GET", "/metrics"), False, quick)
        refused("bad ClientHello", BAD_HELLO, False, quick)
        refused("truncated ClientHello, then EOF", TRUNCATED_HELLO, True, quick)
        # Truncated and left hanging: only the handshake timeout ends it. 50 at once.
        with_threads = []
        for i in range(50):
            t = threading.Thread(target=refused, args=("truncated ClientHello, held", TRUNCATED_HELLO, False,
                                                       SHORT_TIMEOUT_S + 1.5))
            t.start()
            with_threads.append(t)
        for t in with_threads:
            t.join()
        return ""

    _, stats = during(Scraper(tls.port, cafile=tls.cafile), attack, min_seconds=0)
    # What about an ordinary handshake with an untrusting client? Refused too.
    try:
        ctx = ssl.create_default_context()
        with socket.create_connection(("127.0.0.1", tls.port), timeout=5) as s:
            ctx.wrap_socket(s, server_hostname="localhost")
        raise CaseFailure("a client without the test CA completed the handshake")
    except ssl.SSLCertVerificationError:
        pass
    held = [c for label, c, _ in results if label.endswith("held")]
    alerts = sum(a for _, _, a in results)
    return (f"{len(results)} bad handshakes (garbage, plain HTTP, bad/truncated hello): none got HTTP, "
            f"{alerts} got a TLS alert; held truncated hellos closed after {min(held):.2f}-{max(held):.2f} s"), stats


# -------------------------------------------------------------------- main

def fixture(root: Path) -> None:
    root.mkdir(parents=True)
    (root / "dashboard-state.json").write_text(STATE)
    (root / "metrics/efficiency").mkdir(parents=True)
    (root / "metrics/efficiency/iteration-1.json").write_text('{"cost_usd":1.25}')
    (root / "events.jsonl").write_text("{}\n{}\n{}\n")


def main() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = CONNECTIONS + 2048
    if soft < want:
        if hard != resource.RLIM_INFINITY and hard < want:
            sys.exit(f"FAIL: RLIMIT_NOFILE hard limit {hard} < {want}: raise it (ulimit -Hn) to run this test")
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    if not shutil.which("openssl"):
        sys.exit("FAIL: the openssl CLI is needed to make a test certificate (apt-get install -y openssl)")
    work = Path(tempfile.mkdtemp(prefix="loki-hostile-"))
    fixture(work / ".loki")
    cert, key = work / "cert.pem", work / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"], check=True, capture_output=True)
    token = "".join(random.SystemRandom().choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(40))
    (work / "token").write_text(token + "\n")
    rng = random.Random(3)
    timing_token = bytes(rng.choice(b"abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(TIMING_TOKEN_BYTES))
    (work / "timing-token").write_bytes(timing_token + b"\n")

    main_exp = Exporter(work, "main")
    loris = Exporter(work, "loris", "--header-read-timeout", str(SHORT_TIMEOUT_S))
    tok = Exporter(work, "token", token_file=work / "token", token=token)
    timing = Exporter(work, "timing", "--max-header-bytes", str(2 * TIMING_TOKEN_BYTES),
                      "--log-level", "warn,loki_metrics::access=debug",
                      token_file=work / "timing-token", token=timing_token.decode())
    tls = Exporter(work, "tls", "--tls-cert", str(cert), "--tls-key", str(key),
                   "--header-read-timeout", str(SHORT_TIMEOUT_S), cafile=str(cert))
    for exp in (main_exp, loris, tok, timing, tls):
        exp.wait_ready()

    cases = [
        ("baseline", lambda: case_baseline(main_exp)),
        ("ten_thousand_connections", lambda: case_ten_thousand_connections(main_exp)),
        ("slow_loris", lambda: case_slow_loris(loris)),
        ("one_mb_accept_header", lambda: case_one_mb_accept_header(main_exp)),
        ("pipelined_and_http10", lambda: case_pipelined_and_http10(main_exp)),
        ("malformed_requests", lambda: case_malformed_requests(main_exp)),
        ("bad_methods_and_traversal_paths", lambda: case_bad_methods_and_traversal_paths(main_exp)),
        ("wrong_or_missing_token", lambda: case_wrong_or_missing_token(tok)),
        ("token_timing", lambda: case_token_timing(timing, timing_token)),
        ("tls_bad_client_hello", lambda: case_tls_bad_client_hello(tls)),
    ]
    only = set(sys.argv[1:])
    rows, failed = [], 0
    started = time.monotonic()
    for name, run in cases:
        if only and name not in only:
            continue
        t = time.monotonic()
        try:
            what, stats = run()
            verdict = "PASS"
        except CaseFailure as e:
            what, stats, verdict = str(e), None, "FAIL"
            failed += 1
        for exp in (main_exp, loris, tok, timing, tls):
            if exp.proc.poll() is not None:
                what += f" [exporter {exp.log.name} exited {exp.proc.returncode}]"
                verdict, failed = "FAIL", failed + (verdict != "FAIL")
        scr = (f"{stats['n']:>4} {stats['p50'] * 1000:7.1f} {stats['max'] * 1000:8.1f} {stats['exchange_max'] * 1000:8.1f} "
               f"{stats['syn_resent']:>4}") if stats else f"{'-':>4} {'-':>7} {'-':>8} {'-':>8} {'-':>4}"
        rows.append((name, verdict, scr, time.monotonic() - t, what))
        print(f"{verdict} {name} ({time.monotonic() - t:.1f} s)", flush=True)

    print(f"\nnormal scrapes: new connection each, every {SCRAPE_INTERVAL_S * 1000:.0f} ms from a separate process, "
          f"each must be 200 + parse + right values within {SCRAPE_BOUND_S} s of connecting (xchg: the slowest);\n"
          f"syn+: connects that waited for a resent SYN (the kernel's listen queue overflowed), allowed up to {CONNECT_BOUND_S} s")
    print(f"{'case':<32} {'':4} {'n':>4} {'p50 ms':>7} {'max ms':>8} {'xchg ms':>8} {'syn+':>4} {'secs':>5}  what happened")
    for name, verdict, scr, secs, what in rows:
        print(f"{name:<32} {verdict:4} {scr} {secs:5.1f}  {what}")
    print(f"\n{len(rows) - failed}/{len(rows)} cases passed in {time.monotonic() - started:.0f} s")
    if failed:
        print(f"logs kept in {work}")
        return 1
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
