/**
 * Rows for the items of one timeline lane: items closer on the axis than one marker's width go to the next row, so
 * each stays visible and clickable (a run's audit records land within the same second; two alerts of one event share
 * an instant). Pure, unit-tested in test/lane-rows.test.ts.
 */

/**
 * The row of each position (pixels, sorted ascending): the first row whose last marker is at least `gap` pixels
 * before it; when all `maxRows` are taken, the row whose last marker is furthest left (the least overlap).
 */
export function laneRows(positions: readonly number[], gap: number, maxRows: number): number[] {
  const lastAt: number[] = [];
  return positions.map((x) => {
    let row = lastAt.findIndex((last) => x - last >= gap);
    if (row === -1 && lastAt.length < maxRows) row = lastAt.length;
    if (row === -1) row = lastAt.indexOf(Math.min(...lastAt));
    lastAt[row] = x;
    return row;
  });
}
