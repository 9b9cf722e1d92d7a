"""Real local servers for the add-images-by-URL tests: an HTTP server that serves images, redirects
and drips, a bare TCP listener standing for an FTP or other internal service, and a port that
drops connection attempts like a firewall. The machine has no internet; 127.0.0.2 stands for a
public host through settings.LABELYARD_URL_FETCH_TEST_PUBLIC_ADDRESSES."""

import http.server
import io
import socket
import threading
import time
import urllib.parse

from PIL import Image

PUBLIC_ADDRESS = "127.0.0.2"


def png(size=(40, 30), color=(0, 90, 200)):
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()


class WebServer:
    """An HTTP server on `address` with a few paths:

    * ``/<name>.png``: a PNG (``/missing.png`` is a 404, ``/notes.png`` is text);
    * ``/redirect?to=URL``: a 302 to URL;
    * ``/drip.png?bytes=N&every=S``: headers, then one byte every S seconds.

    Also answers proxy-style requests (``GET http://host/path``), which only a client that uses a
    proxy sends. `hits` lists the paths asked for.
    """

    def __init__(self, address="127.0.0.1"):
        self.hits = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                server.hits.append(self.path)
                url = urllib.parse.urlsplit(self.path)
                query = dict(urllib.parse.parse_qsl(url.query))
                if url.path == "/redirect":
                    self.send_response(302)
                    self.send_header("Location", query["to"])
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                elif url.path == "/drip.png":
                    self.drip(int(query.get("bytes", "100")), float(query.get("every", "0.5")))
                elif url.path == "/missing.png":
                    self.answer(404, b"not here")
                elif url.path == "/notes.png":
                    self.answer(200, b"not an image")
                else:
                    self.answer(200, png())

            def answer(self, status, body):
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def drip(self, count, every):
                self.send_response(200)
                self.send_header("Content-Length", str(count))
                self.end_headers()
                try:
                    for _ in range(count):
                        self.wfile.write(b"x")
                        self.wfile.flush()
                        time.sleep(every)
                except OSError:
                    pass  # the client gave up, as it should

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer((address, 0), Handler)
        self.httpd.daemon_threads = True
        self.address = address
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def url(self, path):
        return f"http://{self.address}:{self.port}{path}"

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class Listener:
    """A TCP port on 127.0.0.1 that greets like an FTP server and counts the connections made to it."""

    def __init__(self):
        self.connections = 0
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            try:
                conn.sendall(b"220 internal service ready\r\n")
            finally:
                conn.close()

    def close(self):
        self.sock.close()


class DroppingPort:
    """A port whose connection attempts hang until the client gives up, like a firewalled one: its
    accept queue (length one) is full and never drained, so the kernel drops further SYNs."""

    def __init__(self, address="127.0.0.1"):
        self.sock = socket.socket()
        self.sock.bind((address, 0))
        self.sock.listen(0)
        self.port = self.sock.getsockname()[1]
        self.filler = socket.create_connection((address, self.port))

    def close(self):
        self.filler.close()
        self.sock.close()


def closed_port(address="127.0.0.1"):
    """A port nothing listens on: connections to it are refused at once."""
    with socket.socket() as sock:
        sock.bind((address, 0))
        return sock.getsockname()[1]
