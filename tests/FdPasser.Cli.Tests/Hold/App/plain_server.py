#!/usr/bin/python3
"""An HTTP server without the notify protocol, as most servers are: it takes its listener from LISTEN_FDS
(descriptor 3) and serves it from an asyncio event loop (epoll), but never says READY=1. Every GET is answered
with 'gen N pid P', N being FDPASS_GENERATION, the number fdpass hold gave this start.

On the stop signal (SIGTERM, or SIGINT/SIGQUIT: whichever comes) it stops accepting, finishes the requests it
has, prints 'plain_server PID: stopping on SIGNAME' on standard error and exits 0.

    plain_server.py [--close-listener]

--close-listener: closes descriptor 3 at start and serves nothing (a server that binds its own port instead).
"""
import asyncio
import os
import signal
import socket
import sys


async def main():
    if os.environ.get("LISTEN_PID") != str(os.getpid()) or int(os.environ.get("LISTEN_FDS", "0")) < 1:
        print("plain_server: no LISTEN_FDS for this process", file=sys.stderr, flush=True)
        sys.exit(2)
    if "--close-listener" in sys.argv:
        os.close(3)
        await asyncio.sleep(3600)
        return
    listener = socket.socket(fileno=3)
    listener.setblocking(False)
    body = f"gen {os.environ.get('FDPASS_GENERATION', '?')} pid {os.getpid()}\n".encode()

    async def serve(reader, writer):
        try:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: "
                         + str(len(body)).encode() + b"\r\n\r\n" + body)
            await writer.drain()
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT):
        loop.add_signal_handler(sig, lambda s=sig: stop.done() or stop.set_result(s))
    server = await asyncio.start_server(serve, sock=listener)
    which = await stop
    # Closing this process's descriptor of the listener stops its accepting; fdpass hold and the next generation
    # keep theirs, so the listener stays open and no connection is refused.
    server.close()
    # Finish every connection it accepted, those whose handler a finishing task starts too: until no task is left
    # for two turns in a row (at most 10 s). Exiting earlier would reset a connection it accepted but had not read.
    deadline = loop.time() + 10
    idle = 0
    while idle < 2 and loop.time() < deadline:
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        idle = 0 if tasks else idle + 1
        if tasks:
            await asyncio.wait(tasks, timeout=1)
        else:
            await asyncio.sleep(0.05)
    print(f"plain_server {os.getpid()}: stopping on {signal.Signals(which).name}", file=sys.stderr, flush=True)
    os._exit(0)


asyncio.run(main())
