// Test support: an HTTP proxy in front of a registry that records requests and can corrupt or cut blob downloads.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  url: string;
  status: number;
}

export interface ProxyFaults {
  /** Flip one byte of GET responses for this blob digest. */
  corrupt?: string;
  /** Drop the connection after this many body bytes of GET responses for this blob digest. */
  cut?: { digest: string; after: number };
}

export interface TestProxy {
  host: string;
  requests: RecordedRequest[];
  faults: ProxyFaults;
  close(): Promise<void>;
}

function isBlobGet(req: http.IncomingMessage, digest: string | undefined): boolean {
  return digest !== undefined && req.method === 'GET' && (req.url ?? '').includes(`/blobs/${digest}`);
}

export async function startProxy(targetPort: number): Promise<TestProxy> {
  const requests: RecordedRequest[] = [];
  const faults: ProxyFaults = {};
  const server = http.createServer((req, res) => {
    const up = http.request(
      { host: '127.0.0.1', port: targetPort, method: req.method, path: req.url, headers: req.headers },
      (upRes) => {
        requests.push({ method: req.method ?? '', url: req.url ?? '', status: upRes.statusCode ?? 0 });
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        const corrupt = isBlobGet(req, faults.corrupt);
        const cut = faults.cut && isBlobGet(req, faults.cut.digest) ? faults.cut.after : undefined;
        let sent = 0;
        let flipped = false;
        upRes.on('data', (chunk: Buffer) => {
          let out = chunk;
          if (corrupt && !flipped && out.length > 0) {
            out = Buffer.from(out);
            out[0] = (out[0] ?? 0) ^ 0xff;
            flipped = true;
          }
          if (cut !== undefined && sent + out.length >= cut) {
            res.write(out.subarray(0, Math.max(0, cut - sent)));
            upRes.destroy();
            res.socket?.destroy();
            return;
          }
          sent += out.length;
          res.write(out);
        });
        upRes.on('end', () => res.end());
      },
    );
    up.on('error', () => res.socket?.destroy());
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    host: `127.0.0.1:${port}`,
    requests,
    faults,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
