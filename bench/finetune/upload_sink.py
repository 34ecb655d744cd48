"""The physical reference for an upload when nginx is not installed: a minimal HTTP/1.1 server that reads a POSTed
body (Content-Length or chunked) in 1 MiB pieces, drops it and answers 200 with the byte count. Single-threaded,
no parsing of the content. Usage: python3 upload_sink.py PORT"""

import socketserver
import sys
from http.server import BaseHTTPRequestHandler

PIECE = 1 << 20


class Sink(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):  # noqa: N802 (http.server's naming)
        received = 0
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    self.rfile.readline()
                    break
                while size > 0:
                    piece = self.rfile.read(min(size, PIECE))
                    size -= len(piece)
                    received += len(piece)
                self.rfile.readline()
        else:
            left = int(self.headers.get("Content-Length", "0"))
            while left > 0:
                piece = self.rfile.read(min(left, PIECE))
                if not piece:
                    break
                left -= len(piece)
                received += len(piece)
        body = str(received).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_PUT = do_POST

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    with socketserver.TCPServer(("127.0.0.1", int(sys.argv[1])), Sink) as server:
        server.serve_forever()
