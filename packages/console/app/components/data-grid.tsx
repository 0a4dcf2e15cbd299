/**
 * A virtualised, keyboard-navigable table (ARIA grid) for lists of any length: only the rows in view (plus overscan)
 * are in the DOM (@tanstack/virtual-core), so 100,000 explorer rows scroll as smoothly as 50 alerts. Rows have one
 * fixed height, which keeps the reader's place when rows arrive above it on a refresh (the scroll offset moves by the
 * rows inserted above the first visible one). Keys: ↑/↓, PageUp/PageDown, Home/End move, Enter opens, Space selects.
 */
import type { ComponentChild } from 'preact';
import { useLayoutEffect, useReducer, useRef, useState } from 'preact/hooks';
import { elementScroll, observeElementOffset, observeElementRect, Virtualizer } from '@tanstack/virtual-core';

export interface GridColumn<T> {
  id: string;
  title: string;
  /** A CSS grid track, e.g. `12rem` or `minmax(10rem, 1fr)`. */
  width?: string;
  render: (row: T) => ComponentChild;
}

export interface GridSelection<T> {
  selected: ReadonlySet<string>;
  toggle: (key: string, row: T) => void;
  toggleAll: (keys: string[]) => void;
  /** The checkbox's accessible name, e.g. `Select alert a-1`. */
  labelOf: (row: T) => string;
}

export interface DataGridProps<T> {
  label: string;
  rows: readonly T[];
  columns: readonly GridColumn<T>[];
  rowKey: (row: T) => string;
  /** Extra attributes of a row (data-testid, data-*-id). */
  rowAttrs?: (row: T) => Record<string, string>;
  onOpen?: (row: T) => void;
  selection?: GridSelection<T>;
  rowHeight?: number;
  /** Called when the last rows come into view (load the next page). */
  onEndReached?: () => void;
  empty?: string;
  class?: string;
  /**
   * A name under which the row last opened is remembered for the tab's session (sessionStorage): coming back to the
   * list, by the browser's Back or a link, puts the reader on that row again instead of the top.
   */
  rememberAs?: string;
}

const REMEMBER_PREFIX = 'bulwark.grid.';
function remembered(name: string | undefined): string | null {
  try {
    return name ? sessionStorage.getItem(REMEMBER_PREFIX + name) : null;
  } catch {
    return null;
  }
}
function remember(name: string | undefined, key: string): void {
  try {
    if (name) sessionStorage.setItem(REMEMBER_PREFIX + name, key);
  } catch {
    // storage refused (private mode): the list starts at the top
  }
}

const SELECT_TRACK = '2.25rem';

export function DataGrid<T>(props: DataGridProps<T>) {
  const { rows, columns, rowKey, rowHeight = 34 } = props;
  const scrollRef = useRef<HTMLDivElement>(null);
  const [active, setActive] = useState(0);
  const [, rerender] = useReducer((n: number) => n + 1, 0);
  /** The row first in view and the active row, by key, as of the last commit: what a refresh must keep in place. */
  const anchorKey = useRef<string | null>(null);
  const activeKey = useRef<string | null>(null);
  const idBase = useRef(`grid-${Math.random().toString(36).slice(2, 8)}`);
  /** Whether the remembered row was looked for in the first rows that arrived (once: later refreshes keep the place). */
  const restored = useRef(!props.rememberAs);
  const open = (row: T) => {
    remember(props.rememberAs, rowKey(row));
    props.onOpen?.(row);
  };

  const options = {
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => rowHeight,
    overscan: 12,
    observeElementRect,
    observeElementOffset,
    scrollToFn: elementScroll,
    onChange: () => rerender(undefined),
  };
  const [virtualizer] = useState(() => new Virtualizer<HTMLDivElement, HTMLDivElement>(options));
  virtualizer.setOptions({ ...virtualizer.options, ...options });
  useLayoutEffect(() => virtualizer._didMount(), []);
  useLayoutEffect(() => virtualizer._willUpdate());

  const rememberPlace = () => {
    const el = scrollRef.current;
    const first = el ? rows[Math.floor(el.scrollTop / rowHeight)] : undefined;
    anchorKey.current = first ? rowKey(first) : null;
  };
  // Keep the reader's place: the row that was first in view stays first in view, and the active row stays active,
  // when a refresh adds rows above them (newest first).
  useLayoutEffect(() => {
    if (!restored.current && rows.length) {
      restored.current = true;
      const index = rows.findIndex((r) => rowKey(r) === remembered(props.rememberAs));
      if (index >= 0) {
        setActive(index);
        virtualizer.scrollToIndex(index, { align: 'auto' });
      }
    }
    const el = scrollRef.current;
    const key = anchorKey.current;
    if (el && key !== null && el.scrollTop > 0) {
      const oldIndex = Math.floor(el.scrollTop / rowHeight);
      const newIndex = rows.findIndex((r) => rowKey(r) === key);
      if (newIndex >= 0 && newIndex !== oldIndex) el.scrollTop += (newIndex - oldIndex) * rowHeight;
    }
    if (activeKey.current !== null) {
      const index = rows.findIndex((r) => rowKey(r) === activeKey.current);
      if (index >= 0 && index !== active) setActive(index);
    }
    if (active >= rows.length && rows.length) setActive(rows.length - 1);
    rememberPlace();
  }, [rows]);
  useLayoutEffect(() => {
    const row = rows[active];
    activeKey.current = row ? rowKey(row) : null;
  }, [active]);

  const items = virtualizer.getVirtualItems();
  const last = items[items.length - 1];
  useLayoutEffect(() => {
    if (props.onEndReached && last && last.index >= rows.length - 5) props.onEndReached();
  }, [last?.index, rows.length]);

  const tracks = [...(props.selection ? [SELECT_TRACK] : []), ...columns.map((c) => c.width ?? 'minmax(8rem, 1fr)')].join(' ');
  const move = (to: number) => {
    const next = Math.max(0, Math.min(rows.length - 1, to));
    setActive(next);
    virtualizer.scrollToIndex(next, { align: 'auto' });
  };
  const onKeyDown = (e: KeyboardEvent) => {
    if ((e.target as HTMLElement).closest('input, button, a, select, textarea') && e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return;
    const page = Math.max(1, Math.floor((scrollRef.current?.clientHeight ?? rowHeight * 10) / rowHeight) - 1);
    const row = rows[active];
    switch (e.key) {
      case 'ArrowDown':
        move(active + 1);
        break;
      case 'ArrowUp':
        move(active - 1);
        break;
      case 'PageDown':
        move(active + page);
        break;
      case 'PageUp':
        move(active - page);
        break;
      case 'Home':
        move(0);
        break;
      case 'End':
        move(rows.length - 1);
        break;
      case 'Enter':
        if (row && props.onOpen) open(row);
        break;
      case ' ':
        if (row && props.selection) props.selection.toggle(rowKey(row), row);
        break;
      default:
        return;
    }
    e.preventDefault();
  };

  const keys = props.selection ? rows.map(rowKey) : [];
  const allSelected = props.selection ? keys.length > 0 && keys.every((k) => props.selection!.selected.has(k)) : false;
  // Only a row in the DOM can be the active descendant: one scrolled out of the window (and out of the overscan) is
  // not rendered, and an id that names nothing is invalid ARIA.
  const activeRow = rows[active];
  return (
    <div
      class={`grid ${props.class ?? ''}`}
      role="grid"
      aria-label={props.label}
      aria-rowcount={rows.length + 1}
      aria-multiselectable={props.selection ? true : undefined}
      tabIndex={0}
      aria-activedescendant={activeRow && items.some((i) => i.index === active) ? `${idBase.current}-${active}` : undefined}
      onKeyDown={onKeyDown}
    >
      <div class="grid-row grid-head" role="row" aria-rowindex={1} style={{ gridTemplateColumns: tracks }}>
        {props.selection ? (
          <span role="columnheader" class="grid-cell">
            <input
              type="checkbox"
              aria-label="Select all"
              checked={allSelected}
              onChange={() => props.selection!.toggleAll(keys)}
            />
          </span>
        ) : null}
        {columns.map((c) => (
          <span key={c.id} role="columnheader" class="grid-cell">
            {c.title}
          </span>
        ))}
      </div>
      <div class="grid-scroll" ref={scrollRef} onScroll={rememberPlace}>
        {rows.length === 0 ? <p class="grid-empty">{props.empty ?? 'Nothing to show.'}</p> : null}
        <div class="grid-canvas" style={{ height: `${virtualizer.getTotalSize()}px` }}>
          {items.map((item) => {
            const row = rows[item.index]!;
            const key = rowKey(row);
            const selected = props.selection?.selected.has(key) ?? false;
            return (
              <div
                key={key}
                id={`${idBase.current}-${item.index}`}
                role="row"
                aria-rowindex={item.index + 2}
                aria-selected={props.selection ? selected : undefined}
                class={`grid-row${item.index === active ? ' active' : ''}${selected ? ' selected' : ''}`}
                style={{ gridTemplateColumns: tracks, transform: `translateY(${item.start}px)`, height: `${rowHeight}px` }}
                onClick={() => setActive(item.index)}
                onDblClick={() => props.onOpen && open(row)}
                {...(props.rowAttrs?.(row) ?? {})}
              >
                {props.selection ? (
                  <span role="gridcell" class="grid-cell">
                    <input
                      type="checkbox"
                      aria-label={props.selection.labelOf(row)}
                      checked={selected}
                      onChange={() => props.selection!.toggle(key, row)}
                    />
                  </span>
                ) : null}
                {columns.map((c) => (
                  <span key={c.id} role="gridcell" class="grid-cell">
                    {c.render(row)}
                  </span>
                ))}
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}
