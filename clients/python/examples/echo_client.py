#!/usr/bin/env python3
"""The Echo client of the tutorial, in Python: the same exchange as scripts/cli-client.

Waits for ``relay`` to be registered, then sends each line read from stdin to it (topic ``echo``,
payload ``{"sender": <own pid>, "data": <line>, "id": <n>}``) and prints the worker's upper-cased
answer and PID; or the relay's ``echo_error`` (``{"id": <n>, "reason": ...}``: it could not start a
worker) at once; or ``timeout``. Replies are matched by id, so a late answer to an earlier line is
never shown as the answer to a later one. An empty line, end of input (Ctrl+D) or Ctrl+C ends the
session; the exit code is 1 when lines were typed and none was answered, as with scripts/cli-client.

    printf 'hello world\\n' | /usr/bin/python3 clients/python/examples/echo_client.py --connect 127.0.0.1:7400
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Iterator, Optional, TextIO, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # troupe_client, without installing it

from troupe_client import Process, TroupeError  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Troupe Echo client (Python).")
    parser.add_argument("--connect", default=os.environ.get("TROUPE_CONNECT", "127.0.0.1:7400"),
                        help="the node to attach to, host:port (default: $TROUPE_CONNECT or 127.0.0.1:7400)")
    parser.add_argument("--relay-wait", type=float, default=5.0, help="seconds to wait for 'relay' (default 5)")
    parser.add_argument("--timeout", type=float, default=2.0, help="seconds to wait for each reply (default 2)")
    return parser.parse_args()


def await_relay(process: Process, wait_s: float, poll_s: float = 0.05) -> bool:
    """Looks ``relay`` up until it is registered or ``wait_s`` seconds have passed."""
    deadline = time.monotonic() + wait_s
    while process.lookup("relay") is None:
        if time.monotonic() > deadline:
            return False
        time.sleep(poll_s)
    return True


def read_lines(source: TextIO) -> Iterator[str]:
    """Lines of input without their line end, until an empty line or end of input."""
    interactive = source.isatty()
    while True:
        if interactive:
            print("> ", end="", flush=True)
        line = source.readline()
        if not line:
            return
        line = line.rstrip("\r\n")
        if not line:
            return
        yield line


def await_reply(process: Process, request_id: int, timeout_s: float) -> Optional[Tuple[str, dict]]:
    """``(topic, payload)`` of the ``echo_response`` or ``echo_error`` with this id, or ``None`` after
    ``timeout_s`` seconds."""
    deadline = time.monotonic() + timeout_s
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        msg = process.receive(timeout=remaining)
        if msg is None:
            return None
        reply = msg.payload
        if (msg.topic in ("echo_response", "echo_error") and isinstance(reply, dict)
                and reply.get("id") == request_id):
            return msg.topic, reply
        # anything else, e.g. a late reply to an earlier line, is dropped


def echo(process: Process, line: str, request_id: int, timeout_s: float) -> bool:
    """Sends one line to the relay and prints what comes back. Returns whether a worker answered."""
    try:
        process.send("relay", "echo", {"sender": process.pid, "data": line, "id": request_id})
    except TroupeError as e:
        print(f"  error: not sent: {e.code.name}: {e.message}", flush=True)
        return False
    answer = await_reply(process, request_id, timeout_s)
    if answer is None:
        print("  timeout", flush=True)
        return False
    topic, reply = answer
    if topic == "echo_error":
        print(f"  error: no worker available: {reply.get('reason')}", flush=True)
        return False
    print(f"  {reply.get('data')}")
    print(f"  from worker: {reply.get('worker')}", flush=True)
    return True


def run(process: Process, args: argparse.Namespace) -> int:
    """The session: wait for the relay, then echo each line. Returns the exit code."""
    if not await_relay(process, args.relay_wait):
        print(f"relay not ready: nothing registered as 'relay' within {args.relay_wait:g} s; "
              "is the topology up (scripts/troupe status)?", flush=True)
        return 1
    print("Echo Client")
    print("Type messages to echo. An empty line, Ctrl+D or Ctrl+C exits.\n", flush=True)
    lines = answered = 0
    for request_id, line in enumerate(read_lines(sys.stdin), start=1):
        lines += 1
        answered += echo(process, line, request_id, args.timeout)
    print("\nGoodbye!", flush=True)
    return 1 if lines and not answered else 0


def main() -> int:
    args = parse_args()
    try:
        with Process.attach(args.connect, name="python-echo") as process:
            return run(process, args)
    except TroupeError as e:
        print(f"echo_client: {e.message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
