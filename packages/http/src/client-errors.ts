/**
 * Requests Node's HTTP parser refuses before express sees them. Node answers those itself — a bare `431` for any
 * request head over `maxHeaderSize` (16 KiB by default; the request line counts), `400` for anything unparseable —
 * with no body. Bulwark answers them as catalogue JSON like every other refusal: `414 BWK_URI_TOO_LONG` when the
 * request line alone took more than half of the limit (the URL is what blew it), else `431 BWK_HEADERS_TOO_LARGE`;
 * `400 BWK_BAD_REQUEST` for a malformed request. Timeouts keep Node's `408`; a connection already gone is destroyed.
 */
import http, { type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { BulwarkError } from '@bulwark/schema';

interface ParserError extends Error {
  code?: string;
  /** What the parser had received on this connection when it failed (Node sets it for parse errors). */
  rawPacket?: Buffer;
}

const REQUEST_LINE_START = /^[A-Z]{3,16} /;

/** 414 or 431: how much of the refused head the request line took. */
export function overflowError(rawPacket: Buffer | undefined, maxHeaderSize: number): BulwarkError {
  const limit = { limit_bytes: maxHeaderSize };
  if (rawPacket && REQUEST_LINE_START.test(rawPacket.subarray(0, 17).toString('latin1'))) {
    const end = rawPacket.indexOf('\r\n');
    const requestLine = end < 0 ? rawPacket.length : end;
    if (requestLine > maxHeaderSize / 2) {
      return new BulwarkError('BWK_URI_TOO_LONG', `the request URL is longer than the HTTP limit (${maxHeaderSize} bytes with the headers)`, limit);
    }
  }
  return new BulwarkError('BWK_HEADERS_TOO_LARGE', `the request headers are larger than the HTTP limit of ${maxHeaderSize} bytes`, limit);
}

function reasonPhrase(status: number): string {
  return http.STATUS_CODES[status] ?? 'Error';
}

function answer(socket: Duplex, err: BulwarkError): void {
  const body = JSON.stringify(err.toJSON());
  socket.end(
    `HTTP/1.1 ${err.status} ${reasonPhrase(err.status)}\r\n` +
      'Content-Type: application/json; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
  );
}

/** Installs the `clientError` handler on a server (every Bulwark service's, via `serve`). */
export function answerClientErrors(server: Server): void {
  server.on('clientError', (error: Error, socket: Duplex) => {
    const err = error as ParserError;
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
      socket.end('HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n');
      return;
    }
    const maxHeaderSize = http.maxHeaderSize; // app.listen sets no per-server limit: the process-wide one applies
    if (err.code === 'HPE_HEADER_OVERFLOW') answer(socket, overflowError(err.rawPacket, maxHeaderSize));
    else answer(socket, new BulwarkError('BWK_BAD_REQUEST', `the request could not be parsed as HTTP (${err.code ?? err.message})`));
  });
}
