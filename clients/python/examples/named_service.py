#!/usr/bin/env python3
"""A named service in Python that any Troupe process (Java, Python, ...) can call.

Registers a name (default ``py-upper``) and answers each message on topic ``upper`` with payload
``{"reply_to": <pid>, "text": <s>}`` by sending topic ``upper_reply`` with
``{"text": <S upper-cased>, "by": <own pid>}`` to ``reply_to`` (to the sender when it is missing).
A message on topic ``stop`` ends it normally, as do SIGTERM and Ctrl+C; the name is released when it
ends. Once the name is registered it prints one line, ``registered <name> as <pid>``.

    /usr/bin/python3 clients/python/examples/named_service.py --connect 127.0.0.1:7400
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path
from types import FrameType
from typing import Optional

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # troupe_client, without installing it

from troupe_client import Message, Process, TroupeError  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="A Troupe named service that upper-cases text (Python).")
    parser.add_argument("--connect", default=os.environ.get("TROUPE_CONNECT", "127.0.0.1:7400"),
                        help="the node to attach to, host:port (default: $TROUPE_CONNECT or 127.0.0.1:7400)")
    parser.add_argument("--name", default="py-upper", help="the name to register (default py-upper)")
    return parser.parse_args()


def log(text: str) -> None:
    print(f"named_service: {text}", file=sys.stderr, flush=True)


def answer(process: Process, msg: Message) -> bool:
    """Answers one ``upper`` request. Returns whether a reply was sent."""
    request = msg.payload
    if not isinstance(request, dict) or not isinstance(request.get("text"), str):
        log(f"expected {{reply_to, text}} on 'upper' from {msg.from_}, got {request!r}")
        return False
    reply_to = request.get("reply_to") or msg.from_
    try:
        process.send(reply_to, "upper_reply", {"text": request["text"].upper(), "by": process.pid})
    except TroupeError as e:
        log(f"could not answer {reply_to}: {e}")
        return False
    return True


def serve(process: Process) -> int:
    """Answers requests until ``stop``. Returns how many were answered."""
    served = 0
    for msg in process.messages():
        if msg.topic == "stop":
            break
        if msg.topic == "upper":
            served += answer(process, msg)
        else:
            log(f"ignored topic {msg.topic!r} from {msg.from_}")
    return served


def stop_on_sigterm(signum: int, frame: Optional[FrameType]) -> None:
    """SIGTERM ends the service like Ctrl+C: a normal exit that releases the name."""
    raise KeyboardInterrupt


def main() -> int:
    args = parse_args()
    signal.signal(signal.SIGTERM, stop_on_sigterm)
    try:
        with Process.attach(args.connect, name="python-named-service") as process:
            process.register(args.name)
            print(f"registered {args.name} as {process.pid}", flush=True)
            served = serve(process)
            process.exit({"served": served})
            log(f"stopped after {served} requests")
    except TroupeError as e:
        log(e.message)
        return 1
    except KeyboardInterrupt:
        log("stopped by signal")
    return 0


if __name__ == "__main__":
    sys.exit(main())
