#!/usr/bin/env python3
"""A stand-in for the Central Portal's upload endpoint, for the release dry run (RELEASING.md).

    python3 release/local-portal.py PORT OUTDIR

Accepts the bundle that central-publishing-maven-plugin uploads (POST /api/v1/publisher/upload, multipart),
saves it as OUTDIR/central-bundle.zip and answers with a deployment id, so the release build runs to its
end without keys, credentials or network. Nothing is published. Python 3 standard library only.
"""

import http.server
import os
import sys


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        boundary = self.headers.get("Content-Type", "").split("boundary=")[-1].encode()
        # The multipart body holds one part: the bundle. Keep the bytes between its headers and the boundary.
        part = body.split(b"--" + boundary)[1]
        data = part.split(b"\r\n\r\n", 1)[1].rsplit(b"\r\n", 1)[0]
        with open(os.path.join(self.server.outdir, "central-bundle.zip"), "wb") as f:
            f.write(data)
        answer = b"dry-run-deployment"
        self.send_response(201)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, fmt, *args):
        sys.stderr.write("local-portal: " + (fmt % args) + "\n")


def main():
    port, outdir = int(sys.argv[1]), sys.argv[2]
    os.makedirs(outdir, exist_ok=True)
    server = http.server.HTTPServer(("127.0.0.1", port), Handler)
    server.outdir = outdir
    server.serve_forever()


if __name__ == "__main__":
    main()
