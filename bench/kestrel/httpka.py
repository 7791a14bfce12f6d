"""A minimal HTTP/1.1 keep-alive client on a raw socket, for the bench scripts (standard library only)."""
import socket
import time


class Closed(Exception):
    pass


class Conn:
    def __init__(self, port):
        self.port = port
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def _fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise Closed("closed with %d bytes of a response" % len(self.buf))
        self.buf += data

    def _until(self, end):
        while end not in self.buf:
            self._fill()
        head, self.buf = self.buf.split(end, 1)
        return head

    def _exactly(self, n):
        while len(self.buf) < n:
            self._fill()
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def send(self, post_body=None):
        if post_body is None:
            req = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        else:
            req = b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: %d\r\n\r\n%s" % (len(post_body), post_body)
        self.sock.sendall(req)

    def response(self):
        """(status, close, body) of the next response; raises Closed where the server closed before it ended."""
        head = self._until(b"\r\n\r\n").decode("ascii")
        lines = head.split("\r\n")
        status = int(lines[0].split(" ")[1])
        headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
        if "chunked" in headers.get("transfer-encoding", ""):
            body = b""
            while True:
                n = int(self._until(b"\r\n").split(b";")[0], 16)
                if n == 0:
                    self._until(b"\r\n")
                    break
                body += self._exactly(n + 2)[:-2]
        else:
            body = self._exactly(int(headers.get("content-length", "0")))
        return status, "close" in headers.get("connection", "").lower(), body.decode("ascii", "replace")

    def request(self, post_body=None):
        start = time.monotonic()
        self.send(post_body)
        status, close, body = self.response()
        return status, close, body, time.monotonic() - start

    def close(self):
        self.sock.close()
