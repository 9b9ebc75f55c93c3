#!/usr/bin/env bash
# An S3-compatible server for the tests: moto's server mode (PyPI `moto[server]`, installed by
# `.ci/tools.sh --browser` into a venv under ~/.cache/viva). Listens on 127.0.0.1:PORT, makes
# the bucket BUCKET once it answers, then prints the one line `S3 ready http://127.0.0.1:PORT`
# on stdout and serves until killed. Everything else (moto's request log) goes to stderr.
# State is in memory: a new start is an empty store.
#
#   end2end/servers/s3-server.sh [PORT]      PORT: the argument, else $PORT, else 3930
#   BUCKET=viva-test                         the bucket made at start-up
#   VIVA_S3_VENV=~/.cache/viva/s3-venv       where moto is installed
set -euo pipefail

port="${1:-${PORT:-3930}}"
bucket="${BUCKET:-viva-test}"
venv="${VIVA_S3_VENV:-$HOME/.cache/viva/s3-venv}"
if [ ! -x "$venv/bin/moto_server" ]; then
  echo "s3-server: no moto in $venv; run .ci/tools.sh --browser" >&2
  exit 1
fi

# (Bound with SO_REUSEADDR, as the server binds: a port left in TIME_WAIT is fine, a listener is not.)
# A port already taken would have the check below find the other server and say ready.
if ! "$venv/bin/python" -c 'import socket, sys; s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", int(sys.argv[1])))' "$port" 2>/dev/null; then
  echo "s3-server: port $port is already in use" >&2
  exit 1
fi

# In the background: wait for the server, make the bucket, say so. If the server never
# answers, stop it (after the exec below, $$ is the server itself).
server=$$
PORT="$port" BUCKET="$bucket" "$venv/bin/python" - "$server" <<'PY' &
import os, sys, time, signal, urllib.request, urllib.error

server = int(sys.argv[1])

def stop_server():
    try:
        os.kill(server, signal.SIGTERM)
    except ProcessLookupError:
        pass  # already gone
base = f"http://127.0.0.1:{os.environ['PORT']}"
bucket = os.environ["BUCKET"]
deadline = time.monotonic() + 30
while True:
    try:
        # moto takes unsigned requests: a path-style PUT makes the bucket (200 if it exists).
        urllib.request.urlopen(urllib.request.Request(f"{base}/{bucket}", method="PUT"), timeout=2)
        break
    except (urllib.error.URLError, ConnectionError, OSError) as e:
        if isinstance(e, urllib.error.HTTPError) and e.code != 409:
            sys.stderr.write(f"s3-server: making bucket {bucket} failed: {e}\n")
            stop_server()
            sys.exit(1)
        if time.monotonic() > deadline:
            sys.stderr.write(f"s3-server: nothing answered on {base} within 30 s\n")
            stop_server()
            sys.exit(1)
        time.sleep(0.1)
print(f"S3 ready {base}", flush=True)
PY

# The server replaces this shell, so killing the script's pid stops it (no orphan).
exec "$venv/bin/moto_server" -H 127.0.0.1 -p "$port" >&2
