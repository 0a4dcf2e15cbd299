/**
 * Histograms and top values over blocks, from columns: a block the catalog says matches wholly and that lies in one
 * bucket is counted from its row count alone; otherwise only its time column (and the query's columns) are read.
 */
import { floorTo, type HistogramPlan } from '../histogram.js';
import { compareTopValues } from '../explore-request.js';
import type { FieldTopValues, TopValue } from '../port.js';
import type { Scalar } from './columns.js';
import { usesFilter, type Compiled } from './compile.js';
import { verdict } from './evaluate.js';
import { walk } from './match.js';
import type { BlockReader } from './reader.js';
import { matchingRows } from './scan.js';

/** Event counts per bucket start. */
export function histogramCounts(reader: BlockReader, query: Compiled, plan: HistogramPlan): Map<number, number> {
  const counts = new Map<number, number>();
  const add = (bucket: number, n: number) => counts.set(bucket, (counts.get(bucket) ?? 0) + n);
  const filtered = usesFilter(query);
  for (const block of reader.blocks(plan.from, plan.to, 'asc')) {
    const inside = block.min_ts >= plan.from && block.max_ts < plan.to;
    const bucket = floorTo(block.min_ts, plan.interval);
    if (inside && bucket === floorTo(block.max_ts, plan.interval) && verdict(query, block, reader.directory(block)) === 'all') {
      add(bucket, block.rows);
      continue;
    }
    const rows = matchingRows(reader, query, block, filtered);
    if (!rows) continue;
    // Rows of a block are in time order (merged blocks nearly so), so counts gather per run of one bucket: one map
    // update, and one `floorTo` (float remainders), per run rather than per row.
    const ts = reader.timestamps(block);
    let runStart = NaN;
    let runEnd = NaN;
    let runCount = 0;
    for (let r = 0; r < rows.view.rows; r++) {
      if (rows.mask && !rows.mask[r]) continue;
      const t = ts[r]!;
      if (t < plan.from || t >= plan.to) continue;
      if (!(t >= runStart && t < runEnd)) {
        if (runCount > 0) add(runStart, runCount);
        runStart = floorTo(t, plan.interval);
        runEnd = runStart + plan.interval;
        runCount = 0;
      }
      runCount++;
    }
    if (runCount > 0) add(runStart, runCount);
  }
  return counts;
}

/**
 * Distinct values tracked per field. Beyond it, values not yet seen are no longer counted (those seen keep counting),
 * so the top of a field with more distinct values than this is approximate, as the engines' terms aggregation is.
 */
export const MAX_TRACKED_VALUES = 50_000;

type Counter = { value: string | number | boolean; count: number };

export function topValues(
  reader: BlockReader,
  query: Compiled,
  range: { from: number; to: number },
  fields: ReadonlyArray<{ field: string; keys: string[] }>,
  size: number,
): { total: number; fields: FieldTopValues[] } {
  const counters = fields.map(() => new Map<string, Counter>());
  const presentCounts = fields.map(() => 0);
  let total = 0;
  const filtered = usesFilter(query);
  for (const block of reader.blocks(range.from, range.to, 'asc')) {
    const rows = matchingRows(reader, query, block, filtered);
    if (!rows) continue;
    const { view, mask } = rows;
    // Every row counts when the block lies inside the range and the query took all of it: no time column to read.
    let selected: number[] | null = null;
    if (mask || block.min_ts < range.from || block.max_ts >= range.to) {
      const ts = view.ts();
      selected = [];
      for (let r = 0; r < view.rows; r++) {
        if ((mask && !mask[r]) || ts[r]! < range.from || ts[r]! >= range.to) continue;
        selected.push(r);
      }
    }
    const count = selected ? selected.length : view.rows;
    total += count;
    if (count === 0) continue;
    fields.forEach(({ keys }, f) => {
      const indexed = view.indexed(keys);
      if (indexed) {
        presentCounts[f]! += countIndexed(indexed, selected, counters[f]!);
        return;
      }
      const sources = view.sources(keys);
      if (sources.length === 0) return;
      const counter = counters[f]!;
      // The common case, a column of plain strings: count per distinct value in the block, then once into the counter.
      if (sources.length === 1 && sources[0]!.rest.length === 0) {
        const cells = sources[0]!.cells;
        const inBlock = new Map<string, number>();
        let others = false;
        for (const r of selected ?? allRows(view.rows)) {
          const cell = cells[r];
          if (typeof cell === 'string') inBlock.set(cell, (inBlock.get(cell) ?? 0) + 1);
          else if (cell !== undefined && cell !== null) others = true;
        }
        if (!others) {
          for (const [value, n] of inBlock) {
            presentCounts[f]! += n;
            const key = counterKey(value);
            const hit = counter.get(key);
            if (hit) hit.count += n;
            else if (counter.size < MAX_TRACKED_VALUES) counter.set(key, { value, count: n });
          }
          return;
        }
      }
      for (const r of selected ?? allRows(view.rows)) {
        const seen = new Set<string>();
        for (const { cells, rest } of sources) {
          walk(cells[r], rest, 0, (leaf) => {
            for (const value of Array.isArray(leaf) ? leaf : [leaf]) {
              if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') continue;
              const key = counterKey(value);
              if (seen.has(key)) continue;
              seen.add(key);
              const hit = counter.get(key);
              if (hit) hit.count++;
              else if (counter.size < MAX_TRACKED_VALUES) counter.set(key, { value, count: 1 });
            }
            return false;
          });
        }
        if (seen.size > 0) presentCounts[f]!++;
      }
    });
  }
  return {
    total,
    fields: fields.map(({ field }, f) => ({ field, present: presentCounts[f]!, values: ranked(counters[f]!, size) })),
  };
}

/** 0 … rows − 1. */
function allRows(rows: number): number[] {
  const all = new Array<number>(rows);
  for (let r = 0; r < rows; r++) all[r] = r;
  return all;
}

/** The key a value is counted under: its type, then its text (the string "1" and the number 1 are different values). */
const counterKey = (value: string | number | boolean): string =>
  `${typeof value === 'string' ? 's' : typeof value === 'number' ? 'n' : 'b'}${String(value)}`;

/**
 * Counts a dictionary or constant column's values over `selected` rows (all when null) by their numbers, then each
 * distinct value once into `counter`; returns how many of the rows hold a value (null holds none, as elsewhere).
 */
function countIndexed(column: { values: Scalar[]; index: Int32Array }, selected: number[] | null, counter: Map<string, Counter>): number {
  const { values, index } = column;
  const counts = new Int32Array(values.length);
  if (selected) {
    for (const r of selected) {
      const k = index[r]!;
      if (k >= 0) counts[k]!++;
    }
  } else {
    for (let r = 0; r < index.length; r++) {
      const k = index[r]!;
      if (k >= 0) counts[k]!++;
    }
  }
  let present = 0;
  for (let k = 0; k < values.length; k++) {
    const value = values[k];
    const n = counts[k]!;
    if (n === 0 || value === null || value === undefined) continue;
    present += n;
    const key = counterKey(value);
    const hit = counter.get(key);
    if (hit) hit.count += n;
    else if (counter.size < MAX_TRACKED_VALUES) counter.set(key, { value, count: n });
  }
  return present;
}

function ranked(counter: Map<string, Counter>, size: number): TopValue[] {
  const all = [...counter.values()];
  all.sort(compareTopValues);
  return all.slice(0, size).map(({ value, count }) => ({ value, count }));
}
