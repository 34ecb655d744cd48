#!/usr/bin/env python3
"""A streaming OpenAI-style backend for the time-to-first-chunk benchmark: `sse_backend.py PORT MODEL TOKENS DELAY`.

POST /v1/chat/completions with "stream": true answers like vLLM: a role chunk at once, then TOKENS content chunks
DELAY seconds apart, a finish chunk and `data: [DONE]`, each flushed on its own with TCP_NODELAY (as uvicorn does;
without it Nagle's algorithm and delayed ACKs hold small chunks for ~40 ms and hide what the proxy adds).
"""

import json
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.event({"role": "assistant", "content": ""}, None)
        for i in range(TOKENS):
            time.sleep(DELAY)
            self.event({"content": f"tok{i} "}, None)
        self.event({}, "stop")
        self.chunk(b"data: [DONE]\n\n")
        self.wfile.write(b"0\r\n\r\n")

    def event(self, delta, finish):
        payload = {"id": "chatcmpl-bench", "object": "chat.completion.chunk", "created": 1700000000, "model": MODEL,
                   "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]}
        self.chunk(("data: " + json.dumps(payload) + "\n\n").encode())

    def chunk(self, data):
        self.wfile.write(f"{len(data):X}\r\n".encode() + data + b"\r\n")


if __name__ == "__main__":
    PORT, MODEL, TOKENS, DELAY = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
