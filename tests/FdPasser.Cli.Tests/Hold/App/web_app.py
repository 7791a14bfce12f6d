"""The same tiny application for the Debian servers the fdpass hold tests run unchanged: a WSGI callable (`wsgi`,
for gunicorn) and an ASGI one (`asgi`, for uvicorn). Each answers 'gen N pid P': N is FDPASS_GENERATION, the
number fdpass hold gave this start; P is the server's main process (gunicorn's master is the parent of the
worker that answers, uvicorn has one process)."""
import os


def _body(pid):
    return f"gen {os.environ.get('FDPASS_GENERATION', '?')} pid {pid}\n".encode()


def wsgi(environ, start_response):
    body = _body(os.getppid())
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]


async def asgi(scope, receive, send):
    if scope["type"] != "http":
        return
    body = _body(os.getpid())
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/plain"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
