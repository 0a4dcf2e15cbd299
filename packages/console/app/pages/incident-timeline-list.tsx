/**
 * The timeline's items in view as one list in time order across the lanes, for reading what the markers only show on
 * hover: time, lane, kind and summary, each row opening the same raw records as its marker. Rows carry
 * `data-testid="timeline-row"` (not `timeline-item`: the markers are the contract's items).
 */
import type { TimelineItem } from '../types.js';

/** Rows shown at most: a zoomed-out timeline of six full lanes would otherwise be thousands of rows. */
export const MAX_LIST_ROWS = 1000;

export interface ListRow {
  lane: string;
  item: TimelineItem;
}

export function TimelineList({ rows, onOpen }: { rows: readonly ListRow[]; onOpen: (item: TimelineItem) => void }) {
  const sorted = [...rows].sort((a, b) => Date.parse(a.item.at) - Date.parse(b.item.at));
  const shown = sorted.slice(0, MAX_LIST_ROWS);
  return (
    <details class="timeline-list" open>
      <summary>
        Items in view ({rows.length}
        {rows.length > shown.length ? `, the first ${shown.length} listed` : ''})
      </summary>
      <table aria-label="Timeline items in view">
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Lane</th>
            <th scope="col">Kind</th>
            <th scope="col">Summary</th>
            <th scope="col">
              <span class="sr-only">Record</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {shown.map(({ lane, item }, i) => (
            <tr key={`${item.at}-${item.ref}-${i}`} data-testid="timeline-row" data-kind={item.kind} data-at={item.at}>
              <td>
                {/* Milliseconds kept: a run's records fall within one second. */}
                <time dateTime={item.at}>{item.at.replace('T', ' ')}</time>
              </td>
              <td>{lane}</td>
              <td>
                <span class={`tl-kind kind-${item.kind}`}>{item.kind}</span>
              </td>
              <td class="clip" title={item.summary}>
                {item.summary}
              </td>
              <td>
                <button type="button" class="link" aria-label={`Open the record at ${item.at}`} onClick={() => onOpen(item)}>
                  Open
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </details>
  );
}
