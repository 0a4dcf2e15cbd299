/**
 * `GET /v1/export`: every event matching a query, newest first, streamed as NDJSON or CSV — no cap. The store is paged
 * with its cursor (stable under concurrent appends, docs/ARCHITECTURE.md, "Ports, adapters and contract suites"), one
 * page at a time, and the next page is read only once the client has taken the previous one (`res.write` returning
 * false means the socket buffer is full: wait for 'drain'), so a slow client costs one page of memory, not the result
 * set. A client that goes away stops the paging at once.
 */
import { Router, type Response } from 'express';
import type { Event } from '@bulwark/schema';
import { parseQuery, type SearchRequest } from '@bulwark/store';
import type { ApiDeps } from '@bulwark/runtime';
import { parseParams } from './params.js';
import { DEFAULT_CSV_FIELDS, ExportParams } from './explorer-params.js';
import { splitName, valuesOf } from './fields.js';

/** Events per store page: big enough that paging costs little, small enough that one page is a few MB at most. */
export const EXPORT_PAGE = 1000;

/**
 * One CSV cell (RFC 4180: quoted when it holds a quote, comma, CR or LF; inner quotes doubled). A text value starting
 * with `=`, `+`, `-`, `@`, tab or CR is prefixed with `'` (OWASP "CSV injection"): spreadsheets run such a cell as a
 * formula, and these values are attacker-written — a log line, a user agent, a pod name chosen by whoever sent them —
 * so an analyst opening the export must not run them. Numbers and booleans are the event's own typed values and
 * are written as they are.
 */
export function csvCell(value: unknown): string {
  let text: string;
  if (value === undefined || value === null) text = '';
  else if (typeof value === 'number' || typeof value === 'boolean') text = String(value);
  else {
    text = typeof value === 'string' ? value : JSON.stringify(value);
    if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  }
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** The value of a column: the scalar, several values as a JSON array, an object as JSON, nothing as empty. */
export function columnValue(event: Event, field: string): unknown {
  const values = valuesOf(event, field);
  if (values.length === 1) return values[0];
  if (values.length > 1) return values;
  let at: unknown = event;
  for (const key of splitName(field)) at = at !== null && typeof at === 'object' && !Array.isArray(at) ? (at as Record<string, unknown>)[key] : undefined;
  return at;
}

export const csvRow = (cells: readonly unknown[]): string => `${cells.map(csvCell).join(',')}\r\n`;

/**
 * The header: field names as given, quoted as needed but never prefixed — they are validated field names (letters,
 * digits, `_ @ / -` and dots: nothing to quote), which cannot spell a formula, and `@timestamp` must stay `@timestamp`.
 */
const csvHeader = (names: readonly string[]): string => `${names.join(',')}\r\n`;

/** Resolves when the socket buffer has drained, or the response closed (then there is nothing more to write). */
function drained(res: Response): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

export function exportRouter(deps: ApiDeps): Router {
  const { store, auth, logger } = deps;
  const router = Router();

  router.get('/v1/export', auth.require('read'), async (req, res) => {
    const p = parseParams(ExportParams, req.query);
    const request: SearchRequest = {
      query: parseQuery(p.q),
      size: EXPORT_PAGE,
      sort: 'desc',
      ...(p.from ? { from: p.from } : {}),
      ...(p.to ? { to: p.to } : {}),
    };
    // The first page is read before the headers, so a bad query or an unavailable store is still a JSON error.
    let page = await store.search(request);
    const columns = p.fields ?? DEFAULT_CSV_FIELDS;
    const stamp = new Date().toISOString().replaceAll(':', '-').replace(/\.\d+Z$/, 'Z');
    res.status(200);
    res.setHeader('Content-Type', p.format === 'csv' ? 'text/csv; charset=utf-8; header=present' : 'application/x-ndjson; charset=utf-8');
    res.setHeader('Content-Disposition', `attachment; filename="bulwark-export-${stamp}.${p.format}"`);
    res.setHeader('Cache-Control', 'no-store');
    let gone = false;
    res.on('close', () => {
      gone = true;
    });
    const line = p.format === 'csv' ? (e: Event) => csvRow(columns.map((c) => columnValue(e, c))) : (e: Event) => `${JSON.stringify(e)}\n`;
    let exported = 0;
    try {
      if (p.format === 'csv') res.write(csvHeader(columns));
      while (!gone) {
        exported += page.hits.length;
        if (!res.write(page.hits.map(line).join('')) && !gone) await drained(res);
        if (gone || !page.cursor) break;
        page = await store.search({ ...request, cursor: page.cursor });
      }
      if (!gone) res.end();
      logger.debug({ exported, format: p.format, complete: !gone }, 'export finished');
    } catch (err) {
      // Headers are sent: the only honest signal left is to break the response, so the client sees it incomplete.
      logger.warn({ err, exported }, 'export failed part-way; the response was aborted');
      res.destroy(err instanceof Error ? err : new Error(String(err)));
    }
  });

  return router;
}
