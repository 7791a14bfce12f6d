#!/usr/bin/python3
"""A line service under fdpass hold that hands its live connections to the next generation (docs/handover.md),
speaking the protocol through handover.py, with the standard library only.

Every line a client sends is answered with 'pid P count C', where C counts the lines of that connection over its
whole life, across generations: the count travels as the item's state. On SIGTERM the service stops accepting,
waits (up to 5 s) for the successor hold introduces, offers every connection, and on a commit closes its copies
(never shutdown) and exits; where the handover fails it keeps serving its connections for 10 s, then exits.

    handover_app.py [--release FILE]

FILE, read at start: 'ok' (or no file), or 'die-after-prepared' (takes an offer, sends PREPARED, then exits 3
before the commit).
"""
import os
import queue
import selectors
import signal
import socket
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import handover  # noqa: E402

PID = os.getpid()


def release():
    if "--release" in sys.argv[:-1]:
        path = sys.argv[sys.argv.index("--release") + 1]
        if os.path.exists(path):
            with open(path) as f:
                return f.read().strip() or "ok"
    return "ok"


def listen_fds():
    if os.environ.get("LISTEN_PID") != str(PID):
        return {}
    names = os.environ.get("LISTEN_FDNAMES", "").split(":")
    return {names[i]: 3 + i for i in range(int(os.environ.get("LISTEN_FDS", "0")))}


def notify(text):
    address = os.environ.get("NOTIFY_SOCKET")
    if address:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
            s.sendto(text.encode(), "\0" + address[1:] if address.startswith("@") else address)


def log(text):
    print(f"handover_app {PID}: {text}", file=sys.stderr, flush=True)


class Service:
    def __init__(self, listener, behaviour):
        self.behaviour = behaviour
        self.selector = selectors.DefaultSelector()
        self.listener = listener
        self.listener.setblocking(False)
        self.selector.register(listener, selectors.EVENT_READ, "accept")
        self.wake_reader, self.wake_writer = socket.socketpair()
        self.selector.register(self.wake_reader, selectors.EVENT_READ, "wake")
        self.connections = {}  # socket -> [count, pending bytes]
        self.adopted = queue.Queue()
        self.successors = queue.Queue()
        self.stopping = False

    def add(self, conn, count, pending=b""):
        conn.setblocking(False)
        self.connections[conn] = [count, pending]
        self.selector.register(conn, selectors.EVENT_READ, "conn")

    def drop(self, conn):
        self.selector.unregister(conn)
        del self.connections[conn]
        conn.close()

    def serve(self, conn):
        try:
            data = conn.recv(4096)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:
            self.drop(conn)
            return
        entry = self.connections[conn]
        entry[1] += data
        while b"\n" in entry[1]:
            _, entry[1] = entry[1].split(b"\n", 1)
            entry[0] += 1
            conn.setblocking(True)
            conn.sendall(f"pid {PID} count {entry[0]}\n".encode())
            conn.setblocking(False)

    def wake(self):
        self.wake_writer.send(b"x")

    def run_until_stopped(self):
        while not self.stopping:
            for key, _ in self.selector.select(0.2):
                if key.data == "accept":
                    try:
                        conn, _ = self.listener.accept()
                        self.add(conn, 0)
                    except BlockingIOError:
                        pass
                elif key.data == "wake":
                    self.wake_reader.recv(64)
                else:
                    self.serve(key.fileobj)
            while not self.adopted.empty():
                conn, count, pending = self.adopted.get()
                self.add(conn, count, pending)

    def hand_over(self):
        self.selector.unregister(self.listener)
        self.listener.close()
        try:
            successor = self.successors.get(timeout=5)
        except queue.Empty:
            log("no successor was introduced; draining")
            return False
        conns = list(self.connections)
        items = [("conn", struct.pack("<Q", self.connections[c][0]) + self.connections[c][1], [c.fileno()]) for c in conns]
        try:
            accepted = handover.offer(successor, items)
        except (handover.Aborted, OSError) as e:
            log(f"the successor did not prepare: {e}; draining")
            return False
        if not handover.commit(successor):
            log("the successor did not confirm the commit; this generation keeps its connections and drains")
            return False
        for conn, ok in zip(conns, accepted):
            if ok:
                self.drop(conn)  # close() only: the connection lives on in the successor's copy
        log(f"handed {sum(accepted)} connection(s) over")
        return True

    def drain(self, seconds):
        deadline = time.monotonic() + seconds
        while self.connections and time.monotonic() < deadline:
            for key, _ in self.selector.select(0.2):
                if key.data == "conn":
                    self.serve(key.fileobj)
                elif key.data == "wake":
                    self.wake_reader.recv(64)


def receive_from_predecessor(service, sock):
    try:
        items = handover.receive_offer(sock)
    except (handover.Aborted, OSError) as e:
        log(f"no offer from the predecessor: {e}")
        return
    if service.behaviour == "die-after-prepared":
        bits = bytes([(1 << len(items)) - 1]) if items else b""
        sock.send(handover.message(handover.PREPARED, struct.pack("<I", len(items)) + bits[: (len(items) + 7) // 8]))
        log("this release dies after PREPARED, before the commit")
        os._exit(3)
    adopted = [(socket.socket(fileno=fds[0]), struct.unpack_from("<Q", state)[0], state[8:])
               for name, state, fds in items if name == "conn" and len(fds) == 1 and len(state) >= 8]
    if handover.prepare(sock, [name == "conn" and len(fds) == 1 and len(state) >= 8 for name, state, fds in items]):
        for entry in adopted:
            service.adopted.put(entry)
        service.wake()
        log(f"took over {len(adopted)} connection(s)")
    else:
        for conn, _, _ in adopted:
            conn.close()
        log("the predecessor did not commit; dropped what was prepared")


def read_link(service, link):
    for role, own, peer, sock in handover.introductions(link):
        if role == handover.PREDECESSOR:
            threading.Thread(target=receive_from_predecessor, args=(service, sock), daemon=True).start()
        else:
            service.successors.put(sock)


def main():
    behaviour = release()
    fds = listen_fds()
    if "web" not in fds:
        log("no listener 'web' in LISTEN_FDS (start it under fdpass hold)")
        sys.exit(2)
    service = Service(socket.socket(fileno=fds["web"]), behaviour)
    link_fd = os.environ.get("FDPASS_HANDOVER_FD")
    if link_fd:
        link = socket.socket(fileno=int(link_fd))
        threading.Thread(target=read_link, args=(service, link), daemon=True).start()

    def on_term(*_):
        service.stopping = True

    signal.signal(signal.SIGTERM, on_term)
    notify("READY=1")
    service.run_until_stopped()
    notify("STOPPING=1")
    if not service.hand_over():
        service.drain(10)
    sys.exit(0)


if __name__ == "__main__":
    main()
