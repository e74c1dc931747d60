// End-to-end check of the generated TypeScript client, run by tests/Atlas.Client.Tests (TypeScriptClientTests):
// compiled with the client by tsc, then `node smoke.js <baseUrl> <png as base64>`; prints one JSON line of results.
import { AtlasClient, type ProblemDetails, type ValidationProblemDetails } from "../src/atlas-client.js";

declare const process: { argv: string[]; exitCode?: number };

const [baseUrl, pngBase64] = process.argv.slice(2);
const png = Uint8Array.from(atob(pngBase64), c => c.charCodeAt(0));
const file = (name: string) => ({ data: new Blob([png], { type: "image/png" }), fileName: name });
const atlas = new AtlasClient(baseUrl, { fetch: (url, init) => fetch(url, init) });

const upload = await atlas.uploadFile(file("grey.png"), "usa", "CA", 37.77, -122.42);
let validation: ValidationProblemDetails | undefined;
try {
  await atlas.uploadFile(file("grey.png"), "US", undefined, undefined, undefined);
} catch (e) {
  validation = e as ValidationProblemDetails;
}
let unavailable: ProblemDetails | undefined;
const gemini = await atlas.geminiAnalyze("Which animal?", [file("a.png"), file("b.png")], undefined).catch((e: ProblemDetails) => { unavailable = e; return undefined; });
const live = await atlas.getLiveness();
const info = await atlas.getServiceInfo();

console.log(JSON.stringify({
  filename: upload.filename,
  contentSize: upload.content_size,
  country: upload.speciesnet.country,
  modelVersion: upload.speciesnet.model_version,
  validationStatus: validation?.status,
  validationFields: Object.keys(validation?.errors ?? {}),
  validationTraceId: validation?.traceId,
  geminiGroups: gemini?.groups.map(g => [g.label, g.filenames]),
  geminiProblem: unavailable?.status,
  live: live.status,
  routes: info.routes.length,
}));
