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
    loop = asyncio.get_running_loop()
    serving = set()

    async def serve(conn):
        try:
            request = b""
            while b"\r\n\r\n" not in request:
                chunk = await loop.sock_recv(conn, 4096)
                if not chunk:
                    return
                request += chunk
            await loop.sock_sendall(conn, b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n"
                                    + b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
            # Half-close, then read what the client may still send until it closes: a close with unread bytes
            # would reset the connection before the client has read the answer.
            conn.shutdown(socket.SHUT_WR)
            while await asyncio.wait_for(loop.sock_recv(conn, 4096), 5):
                pass
        except (OSError, asyncio.TimeoutError):
            pass
        finally:
            conn.close()

    # Accepting in the readiness callback itself, never in a task: each connection it takes gets its serving task
    # at once, and once the reader is removed nothing more is taken. (asyncio.start_server accepts in a batch and
    # makes the transports in tasks that run later; closing the server between the two closed connections it had
    # accepted, unread, which their clients saw as resets.)
    def accept():
        while True:
            try:
                conn, _ = listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            conn.setblocking(False)
            task = loop.create_task(serve(conn))
            serving.add(task)
            task.add_done_callback(serving.discard)

    stop = loop.create_future()
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT):
        loop.add_signal_handler(sig, lambda s=sig: stop.done() or stop.set_result(s))
    loop.add_reader(listener.fileno(), accept)
    which = await stop
    # Closing this process's descriptor of the listener stops its accepting; fdpass hold and the next generation
    # keep theirs, so the listener stays open and no connection is refused.
    loop.remove_reader(listener.fileno())
    listener.close()
    if serving:
        await asyncio.wait(set(serving), timeout=10)
    print(f"plain_server {os.getpid()}: stopping on {signal.Signals(which).name}", file=sys.stderr, flush=True)
    os._exit(0)


asyncio.run(main())
