#!/bin/sh
# Atlas container entry point.
# A SpeciesNet ONNX bundle mounted at /models (a folder with info.json, see
# tools/convert/convert_speciesnet.py) is used automatically; without one the service runs on
# its embedded demo bundle. An explicit SPECIESNET_MODEL_DIR always wins.
set -eu
if [ -z "${SPECIESNET_MODEL_DIR:-}" ] && [ -f /models/info.json ]; then
  SPECIESNET_MODEL_DIR=/models
  export SPECIESNET_MODEL_DIR
fi
exec dotnet /app/Atlas.Api.dll "$@"
