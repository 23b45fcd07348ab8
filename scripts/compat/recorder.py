#!/usr/bin/env python3
"""Loopback recording proxy: 127.0.0.1:LISTEN -> 127.0.0.1:UPSTREAM.

Logs every request and response (method, path, headers, body, status, headers,
body; bodies cut at 1500 chars) as JSON lines to LOG, so discrepancies can be
quoted exactly. Redirects are passed through, not followed.
usage: recorder.py LISTEN_PORT UPSTREAM_PORT LOGFILE
"""
import http.client, json, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LISTEN, UPSTREAM, LOG = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
lock = threading.Lock()
HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "upgrade", "te", "trailer"}

def cut(b):
    s = b.decode("utf-8", "replace")
    return s if len(s) <= 1500 else s[:1500] + f"...[{len(s)} chars]"

class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a):
        pass
    def handle_one(self):
        n = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(n) if n else b""
        hdrs = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
        conn = http.client.HTTPConnection("127.0.0.1", UPSTREAM, timeout=60)
        try:
            conn.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
            for k, v in hdrs.items():
                conn.putheader(k, v)
            if body or self.command in ("POST", "PUT", "PATCH"):
                if "content-length" not in {k.lower() for k in hdrs}:
                    conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body if body else None)
            r = conn.getresponse()
            data = r.read()
            status, rh = r.status, [(k, v) for k, v in r.getheaders() if k.lower() not in HOP and k.lower() != "content-length"]
        except Exception as e:  # upstream dropped, truncated, ...
            status, rh, data = 502, [("content-type", "text/plain")], f"recorder: upstream error {e!r}".encode()
        finally:
            conn.close()
        self.send_response_only(status)
        for k, v in rh:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        rec = {"t": time.time(), "req": {"method": self.command, "path": self.path, "headers": hdrs, "body": cut(body)},
               "resp": {"status": status, "headers": dict(rh), "body": cut(data)}}
        with lock, open(LOG, "a") as f:
            f.write(json.dumps(rec) + "\n")
    do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = handle_one

ThreadingHTTPServer.daemon_threads = True
ThreadingHTTPServer(("127.0.0.1", LISTEN), H).serve_forever()
