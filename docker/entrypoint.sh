#!/bin/sh
# Atlas container entry point (both images).
#
# Port: PORT (the usual PaaS variable; set PORT=7860 on Hugging Face Spaces) wins over ASPNETCORE_HTTP_PORTS,
# which the images set to 8000. ASPNETCORE_URLS, when set, overrides both (ASP.NET Core's own rule).
#
# Model bundle, first match wins:
#   1. SPECIESNET_MODEL_DIR, when set;
#   2. a bundle mounted at /models (a folder with info.json, see tools/convert/convert_speciesnet.py);
#   3. a bundle baked into the image at build time (--build-arg ATLAS_BUNDLE=convert) in /opt/atlas/bundle;
#   4. otherwise the service runs on its embedded demo bundle (and says so).
#
# ATLAS_APP_DLL (default /app/Atlas.Api.dll) exists so tools/ci/check-deploy.sh can run this very script
# against a local publish folder.
set -eu

if [ -n "${PORT:-}" ]; then
  case "$PORT" in
    *[!0-9]*) port_ok=no ;;
    *) if [ "$PORT" -ge 1 ] && [ "$PORT" -le 65535 ]; then port_ok=yes; else port_ok=no; fi ;;
  esac
  if [ "$port_ok" != yes ]; then
    echo "Atlas failed to start: PORT is '$PORT', which is not a port number (1-65535)." >&2
    exit 1
  fi
  ASPNETCORE_HTTP_PORTS=$PORT
fi
ASPNETCORE_HTTP_PORTS=${ASPNETCORE_HTTP_PORTS:-8000}
export ASPNETCORE_HTTP_PORTS

if [ -z "${SPECIESNET_MODEL_DIR:-}" ]; then
  for dir in /models /opt/atlas/bundle; do
    if [ -f "$dir/info.json" ]; then
      SPECIESNET_MODEL_DIR=$dir
      export SPECIESNET_MODEL_DIR
      break
    fi
  done
fi

exec dotnet "${ATLAS_APP_DLL:-/app/Atlas.Api.dll}" "$@"
