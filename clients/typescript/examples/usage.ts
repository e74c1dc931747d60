// Type-checked usage example (npx tsc --noEmit checks it together with the generated client).
import { AtlasClient, AtlasApiException, type ProblemDetails } from "../src/atlas-client.js";

export async function classify(baseUrl: string, apiKey: string, image: Blob): Promise<string> {
  // The generated client takes a fetch-like object: add the API key to every request.
  const atlas = new AtlasClient(baseUrl, {
    fetch: (url, init) => fetch(url, { ...init, headers: { ...(init?.headers as Record<string, string>), "X-API-Key": apiKey } }),
  });
  try {
    const result = await atlas.uploadFile({ data: image, fileName: "fox.jpg" }, "USA", "CA", undefined, undefined);
    return `${result.speciesnet.prediction_display_name ?? "no prediction"} (${result.speciesnet.prediction_score ?? 0})`;
  } catch (e) {
    if (e instanceof AtlasApiException) return `HTTP ${e.status}: ${e.response}`;
    const problem = e as ProblemDetails;
    if (problem?.traceId) return `${problem.status} ${problem.title}: ${problem.detail} (trace ${problem.traceId})`;
    throw e;
  }
}
