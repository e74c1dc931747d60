#!/usr/bin/env bash
# Regenerates the OpenAPI document and both client SDKs from the running code, in one go:
#   1. tools/Atlas.OpenApi hosts Atlas in process (docs on, demo bundle), writes GET /openapi.json to
#      openapi/atlas.json and the C# client generated from it (NSwag.CodeGeneration.CSharp) to
#      src/Atlas.Client/AtlasClient.g.cs;
#   2. NSwag's CLI (local dotnet tool, .config/dotnet-tools.json) writes the TypeScript client from
#      openapi/atlas.json to clients/typescript/src/atlas-client.ts (settings in openapi/nswag.json).
# Nothing in `dotnet build` runs this; tests/Atlas.Client.Tests fails when the checked-in files are stale.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
# The service's own log lines go to the file; shown only when the tool fails.
if ! dotnet run --project tools/Atlas.OpenApi -c Debug -- openapi/atlas.json src/Atlas.Client/AtlasClient.g.cs >"$log" 2>&1; then
  cat "$log" >&2
  echo "regenerate: writing the OpenAPI document or the C# client failed" >&2
  exit 1
fi
grep '^wrote ' "$log" || true
dotnet tool restore >/dev/null
(cd openapi && dotnet nswag run nswag.json)
echo "regenerated: openapi/atlas.json src/Atlas.Client/AtlasClient.g.cs clients/typescript/src/atlas-client.ts"
