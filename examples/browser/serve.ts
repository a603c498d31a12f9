/**
 * A static file server for the browser example, on 127.0.0.1 only. It sends the two headers that
 * make a page cross-origin isolated (COOP same-origin, COEP require-corp): only such a page has
 * SharedArrayBuffer, which the second matmul thread (a Web Worker) needs. Without them the page
 * still runs, on one thread.
 *
 *   node --import tsx examples/browser/serve.ts [port]      then open http://127.0.0.1:8080/
 */
import { readFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { extname, join, normalize, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".map": "application/json",
};

const ISOLATION_HEADERS = { "cross-origin-opener-policy": "same-origin", "cross-origin-embedder-policy": "require-corp" };

/** Serves the files under `root` at `url` (ending in "/"); `isolated: false` leaves out the COOP/COEP headers. */
export async function serveStatic(root: string, { port = 0, isolated = true } = {}): Promise<{ url: string; close(): Promise<void> }> {
  const base = resolve(root);
  const server = createServer(async (request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? "/", "http://localhost").pathname);
    const file = normalize(join(base, path.endsWith("/") ? `${path}index.html` : path));
    const type = CONTENT_TYPES[extname(file)];
    if (!file.startsWith(base + sep) || type === undefined) {
      response.writeHead(404).end();
      return;
    }
    try {
      const body = await readFile(file);
      response.writeHead(200, { "content-type": type, ...(isolated ? ISOLATION_HEADERS : {}) }).end(body);
    } catch {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${bound}/`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const port = process.argv[2] === undefined ? 8080 : Number(process.argv[2]);
  const { url } = await serveStatic(fileURLToPath(new URL(".", import.meta.url)), { port });
  console.log(`serving examples/browser at ${url} (cross-origin isolated); Ctrl-C stops`);
}
