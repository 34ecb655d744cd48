#!/usr/bin/env python3
"""Time to first chunk of a streamed chat completion: `ttfc.py URL MODEL RUNS` prints
`first_byte_p50 first_byte_p99 first_token_p50 first_token_p99 total_p50` in milliseconds.

first byte: from sending the request to the first byte of the body (the backend's role chunk, sent at once);
first token: to the first chunk that carries content (after the backend's per-token delay).
One keep-alive connection, requests one after the other, standard library only.
"""

import http.client
import json
import sys
import time
import urllib.parse



def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100.0 * (len(ordered) - 1))))]


def one(conn, path, body):
    start = time.perf_counter()
    conn.request("POST", path, body, {"Content-Type": "application/json"})
    response = conn.getresponse()
    if response.status != 200:
        raise SystemExit(f"HTTP {response.status}: {response.read()[:300]!r}")
    first_byte = first_token = None
    buffered = b""
    while True:
        data = response.read1(65536)
        if not data:
            break
        now = time.perf_counter()
        if first_byte is None:
            first_byte = now
        buffered += data
        if first_token is None and b'"content": "' in buffered.replace(b'"content": ""', b""):
            first_token = now
    end = time.perf_counter()
    if b"[DONE]" not in buffered:
        raise SystemExit("stream ended without [DONE]")
    return (first_byte - start) * 1000, (first_token - start) * 1000, (end - start) * 1000


def main():
    url, model, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
    body = json.dumps({"model": model, "stream": True, "max_tokens": 16,
                       "messages": [{"role": "user", "content": "Say hello"}]})
    parsed = urllib.parse.urlparse(url)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=30)
    for _ in range(5):
        one(conn, parsed.path, body)
    samples = [one(conn, parsed.path, body) for _ in range(runs)]
    first_bytes, first_tokens, totals = zip(*samples)
    print(" ".join(f"{v:.2f}" for v in (percentile(first_bytes, 50), percentile(first_bytes, 99),
                                         percentile(first_tokens, 50), percentile(first_tokens, 99),
                                         percentile(totals, 50))))


if __name__ == "__main__":
    main()
