/**
 * One HTTPS request with full control of the client side of TLS (versions, ciphers, a client certificate), answering
 * the status, the body and what the server's certificate said — what TLS tests assert on. A fresh connection each
 * time (`agent: false`), so a reloaded certificate or a refused handshake is seen, never a pooled connection.
 */
import { request } from 'node:https';
import type { SecureVersion } from 'node:tls';

export interface TlsRequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** The CA the server's certificate must chain to. */
  ca: string;
  /** A client certificate and key to present. */
  cert?: string;
  key?: string;
  minVersion?: SecureVersion;
  maxVersion?: SecureVersion;
  ciphers?: string;
}

export interface TlsResponse {
  status: number;
  body: string;
  headers: import('node:http').IncomingHttpHeaders;
  /** The subject CN of the certificate the server presented. */
  serverCn: string;
  protocol: string | null;
}

export function tlsRequest(port: number, path: string, options: TlsRequestOptions): Promise<TlsResponse> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: options.method ?? 'GET',
        headers: options.headers ?? {},
        agent: false,
        ca: options.ca,
        ...(options.cert ? { cert: options.cert, key: options.key } : {}),
        ...(options.minVersion ? { minVersion: options.minVersion } : {}),
        ...(options.maxVersion ? { maxVersion: options.maxVersion } : {}),
        ...(options.ciphers ? { ciphers: options.ciphers } : {}),
      },
      (res) => {
        const socket = res.socket as import('node:tls').TLSSocket;
        const serverCn = String(socket.getPeerCertificate().subject?.CN ?? '');
        const protocol = socket.getProtocol();
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers, serverCn, protocol }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}
