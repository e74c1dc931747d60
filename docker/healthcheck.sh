#!/bin/sh
# Docker HEALTHCHECK of both images: GET /healthz (200 once the model bundle is loaded and warmed up) on the
# port the entry point chose: PORT, else the first of ASPNETCORE_HTTP_PORTS, else 8000.
port=${PORT:-${ASPNETCORE_HTTP_PORTS:-8000}}
port=${port%%[;,]*}
exec curl -fsS -o /dev/null --max-time 4 "http://127.0.0.1:${port}/healthz"
