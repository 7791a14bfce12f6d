"""The handover protocol of docs/handover.md in plain Python (3.9+, standard library only): a peer in another
language than .NET, used by handover_app.py and shown in the docs. One message is one SOCK_SEQPACKET record:
type (1 byte), three zero bytes, then the body; integers are little-endian."""
import os
import socket
import struct

HELLO, BEGIN, ITEMS, STATE, PREPARED, COMMIT, ABORT, COMMITTED, INTRODUCE = 1, 2, 3, 4, 5, 6, 7, 8, 16
SENDER, RECEIVER = 1, 2
SUCCESSOR, PREDECESSOR = 1, 2
MAX_MESSAGE = 65536
VERSION = 1


class Aborted(Exception):
    pass


def message(kind, body=b""):
    return bytes([kind, 0, 0, 0]) + body


def receive(sock, max_fds=0):
    """One message: (type, body, descriptors). Descriptors of a refused message are closed before raising."""
    data, fds, flags, _ = socket.recv_fds(sock, MAX_MESSAGE + 1, max(max_fds, 1))
    problem = None
    if flags & socket.MSG_CTRUNC:
        problem = "control data truncated"
    elif len(fds) > max_fds:
        problem = f"{len(fds)} descriptors where at most {max_fds} may come"
    elif not data:
        problem = "the peer closed the connection"
    elif len(data) < 4 or len(data) > MAX_MESSAGE or data[1:4] != b"\0\0\0":
        problem = "not a handover message"
    elif data[0] == ABORT:
        reason, length = data[4], struct.unpack_from("<H", data, 6)[0]
        problem = f"the peer aborted ({reason}): {data[8:8 + length].decode(errors='replace')}"
    if problem:
        for fd in fds:
            os.close(fd)
        raise Aborted(problem)
    return data[0], data[4:], fds


def expect(sock, kind):
    got, body, _ = receive(sock)
    if got != kind:
        raise Aborted(f"message type {got} where {kind} was due")
    return body


def hello(sock, role):
    sock.send(message(HELLO, struct.pack("<BBH", role, 1, VERSION)))


def check_hello(body, role):
    if len(body) < 2 or body[0] != role or len(body) != 2 + 2 * body[1]:
        raise Aborted("malformed HELLO")
    if VERSION not in struct.unpack_from(f"<{body[1]}H", body, 2):
        raise Aborted("no common version")


def abort(sock, text, reason=0):
    try:
        raw = text.encode()[:512]
        sock.send(message(ABORT, struct.pack("<BBH", reason, 0, len(raw)) + raw), socket.MSG_DONTWAIT)
    except OSError:
        pass


def offer(sock, items):
    """Sender: items is a list of (name, state bytes, [descriptors]), each small enough for one message.
    Returns the list of accepted flags; the sender still owns everything."""
    hello(sock, SENDER)
    check_hello(expect(sock, HELLO), RECEIVER)
    total_fds = sum(len(fds) for _, _, fds in items)
    total_state = sum(len(state) for _, state, _ in items)
    sock.send(message(BEGIN, struct.pack("<IIQ", len(items), total_fds, total_state)))
    for index, (name, state, fds) in enumerate(items):  # one item per ITEMS message: simple, and valid
        raw = name.encode()
        body = struct.pack("<IHH", index, 1, 0) + struct.pack("<HHII", len(raw), len(fds), len(state), len(state)) + raw + state
        socket.send_fds(sock, [message(ITEMS, body)], fds)
    body = expect(sock, PREPARED)
    (count,) = struct.unpack_from("<I", body)
    if count != len(items) or len(body) != 4 + (count + 7) // 8:
        raise Aborted("malformed PREPARED")
    return [bool(body[4 + i // 8] >> (i % 8) & 1) for i in range(count)]


def commit(sock):
    """Sender: True once the receiver confirmed (close your copies then); False: you still own everything."""
    try:
        sock.send(message(COMMIT))
        return expect(sock, COMMITTED) == b""
    except (Aborted, OSError):
        return False


def receive_offer(sock, max_items=1024, max_fds_per_item=16, max_state=1 << 20):
    """Receiver: the items as (name, state, [descriptors]); every limit is checked before anything is kept.
    Handles whole items only (no STATE continuation), which is all offer() above sends."""
    check_hello(expect(sock, HELLO), SENDER)
    hello(sock, RECEIVER)
    items_count, fds_count, state_bytes = struct.unpack("<IIQ", expect(sock, BEGIN))
    if items_count > max_items or fds_count > max_items * max_fds_per_item or state_bytes > max_state:
        raise Aborted("the offer exceeds this receiver's limits")
    items = []
    try:
        while len(items) < items_count:
            kind, body, fds = receive(sock, min(253, fds_count - sum(len(f) for _, _, f in items)))
            items_before = len(items)
            try:
                if kind != ITEMS:
                    raise Aborted(f"message type {kind} in an offer")
                first, count, _ = struct.unpack_from("<IHH", body)
                if first != len(items) or count == 0 or first + count > items_count:
                    raise Aborted("ITEMS out of order")
                offset, taken = 8, 0
                for _ in range(count):
                    name_len, n_fds, state_len, chunk = struct.unpack_from("<HHII", body, offset)
                    if n_fds > max_fds_per_item or chunk != state_len or offset + 12 + name_len + chunk > len(body):
                        raise Aborted("an item exceeds the limits or is cut off")
                    name = body[offset + 12:offset + 12 + name_len].decode()
                    state = body[offset + 12 + name_len:offset + 12 + name_len + chunk]
                    items.append((name, state, fds[taken:taken + n_fds]))
                    offset, taken = offset + 12 + name_len + chunk, taken + n_fds
                if taken != len(fds) or offset != len(body):
                    raise Aborted("descriptors or bytes do not match the items")
            except Exception:
                del items[items_before:]
                for fd in fds:
                    os.close(fd)
                raise
    except Exception:
        for _, _, fds in items:
            for fd in fds:
                os.close(fd)
        raise
    return items


def prepare(sock, accepted):
    """Receiver: says which items were adopted; True once committed (then COMMITTED is sent), False on abort."""
    bits = bytearray((len(accepted) + 7) // 8)
    for i, ok in enumerate(accepted):
        if ok:
            bits[i // 8] |= 1 << (i % 8)
    try:
        sock.send(message(PREPARED, struct.pack("<I", len(accepted)) + bytes(bits)))
        if expect(sock, COMMIT) != b"":
            return False
        sock.send(message(COMMITTED))
        return True
    except (Aborted, OSError):
        return False


def introductions(link):
    """Yields (role, own generation, peer generation, socket) for each INTRODUCE the broker sends; ends at EOF."""
    while True:
        try:
            data, fds, flags, _ = socket.recv_fds(link, 64, 1)
        except OSError:
            return
        if not data:
            return
        if len(data) == 16 and data[0] == INTRODUCE and len(fds) == 1 and not flags & socket.MSG_CTRUNC:
            role, _, _, _, own, peer = struct.unpack("<BBBBII", data[4:])
            yield role, own, peer, socket.socket(fileno=fds[0])
        else:
            for fd in fds:
                os.close(fd)
