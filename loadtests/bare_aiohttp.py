"""The ceiling for loadtests/bench.py: a bare aiohttp server answering every POST with one
fixed body, served as ``lefi-sim serve`` serves (the same event loop, uvloop where it is
installed; the same keep-alive; no access log; N processes sharing the port with
SO_REUSEPORT as ``--workers N`` does). No parsing, journal, metrics or log: aiohttp's own
cost per request, the most the sandbox could reach on the server it is built on.

    .venv/bin/python loadtests/bare_aiohttp.py --port 18090 --body answer.xml [--workers 1]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import signal
import sys
from pathlib import Path

from aiohttp import web

KEEPALIVE_SECONDS = 30.0  # as simulator/server/serving.py
MAX_BODY_BYTES = 1024 * 1024  # as the sandbox's client_max_size


def app_for(body: bytes, content_type: str) -> web.Application:
    headers = {"Content-Type": content_type}

    async def answer(request: web.Request) -> web.Response:
        await request.read()  # the sandbox reads every question's body too
        return web.Response(body=body, headers=headers)

    async def health(_: web.Request) -> web.Response:
        return web.Response(text="ok")

    app = web.Application(client_max_size=MAX_BODY_BYTES)
    app.router.add_get("/health", health)
    app.router.add_post("/{path:.*}", answer)
    return app


def event_loop() -> asyncio.AbstractEventLoop:
    """As ``lefi-sim serve``: uvloop where it is installed, else asyncio's loop."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def serve(port: int, body: bytes, content_type: str, reuse_port: bool) -> None:
    async def main() -> None:
        runner = web.AppRunner(
            app_for(body, content_type),
            handle_signals=True,
            access_log=None,
            keepalive_timeout=KEEPALIVE_SECONDS,
        )
        await runner.setup()
        try:
            await web.TCPSite(runner, "127.0.0.1", port, reuse_port=reuse_port or None).start()
            while True:
                await asyncio.sleep(3600)
        finally:
            await runner.cleanup()

    try:
        with asyncio.Runner(loop_factory=event_loop) as runner:
            runner.run(main())
    except (web.GracefulExit, KeyboardInterrupt):
        pass


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--body", type=Path, required=True, help="the answer's bytes")
    parser.add_argument("--content-type", default="text/xml; charset=utf-8")
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    body = args.body.read_bytes()
    if args.workers == 1:
        serve(args.port, body, args.content_type, reuse_port=False)
        return 0
    # as lefi-sim serve --workers N: spawned processes on one port, stopped together
    context = multiprocessing.get_context("spawn")
    workers = [
        context.Process(target=serve, args=(args.port, body, args.content_type, True))
        for _ in range(args.workers)
    ]
    for w in workers:
        w.start()

    def stop(_signum: int, _frame: object) -> None:
        for w in workers:
            if w.is_alive():
                w.terminate()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while all(w.is_alive() for w in workers):
        workers[0].join(timeout=0.5)
    stop(signal.SIGTERM, None)
    for w in workers:
        w.join(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
