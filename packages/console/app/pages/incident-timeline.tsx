/**
 * The incident timeline in lanes per source (alerts, Kubernetes audit, Falco, container logs, response actions,
 * changes). The visible time range zooms with the wheel (around the pointer) or the buttons and pans with the
 * buttons or the keyboard (←/→, +/−); each item is a button opening its raw records (the event, the alert, the audit
 * record, the run) in a side panel.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api, enc } from '../api.js';
import { Time } from '../components/badges.js';
import { JsonView, SidePanel } from '../components/side-panel.js';
import { exploreLink } from '../lib/links.js';
import { laneRows } from '../lib/lane-rows.js';
import { fitRange, panRange, positionOf, spanLabel, zoomRange, type TimeRange } from '../lib/time-zoom.js';
import { linkClick } from '../router.js';
import type { Timeline, TimelineItem } from '../types.js';
import { TimelineList } from './incident-timeline-list.js';

/** What an opened item shows: its raw records (read when it is opened) and the console pages about it. */
interface Opened {
  title: string;
  links: { href: string; text: string }[];
  value: unknown;
}

const failed = (e: unknown) => ({ error: e instanceof Error ? e.message : String(e) });

/**
 * The records behind an item, each read from the route its id names: the stored event (`event_id`), the alert
 * (`alert_id`), the audit record (`audit_id`) and the run (`run_id`).
 */
async function rawRecords(item: TimelineItem): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = { item };
  const alertId = item.alert_id ?? (item.kind === 'alert' ? item.ref : undefined);
  const reads: Array<Promise<void>> = [];
  const read = (key: string, path: string) =>
    reads.push(
      api.get(path, { quiet: true }).then(
        (v) => void (out[key] = v),
        (e) => void (out[key] = failed(e)),
      ),
    );
  if (item.event_id) read('event', `/v1/events/${enc(item.event_id)}`);
  if (alertId) read('alert', `/v1/alerts/${enc(alertId)}`);
  if (item.audit_id) read('audit', `/v1/audit/${enc(item.audit_id)}`);
  else if (item.run_id) read('run', `/v1/runs/${enc(item.run_id)}`);
  await Promise.all(reads);
  return out;
}

function linksOf(item: TimelineItem): Opened['links'] {
  const links: Opened['links'] = [];
  const alertId = item.alert_id ?? (item.kind === 'alert' ? item.ref : undefined);
  if (alertId) links.push({ href: `/console/alerts/${enc(alertId)}`, text: 'Open the alert' });
  if (item.run_id) links.push({ href: `/console/runs/${enc(item.run_id)}`, text: 'Open the run' });
  if (item.event_id) {
    // The event's own hour either side: the explorer searches a time range, and the item says when the event was.
    const at = Date.parse(item.at);
    const around = (ms: number) => new Date(at + ms).toISOString();
    const [from, to] = Number.isFinite(at) ? [around(-3_600_000), around(3_600_000)] : ['now-90d', undefined];
    links.push({ href: exploreLink(`event.id:${JSON.stringify(item.event_id)}`, from, to), text: 'Open in the explorer' });
  }
  return links;
}

/**
 * A marker's width with some air, the rows a lane grows to, the height of one row and the first row's top (pixels).
 * A marker is a 24 px target (WCAG 2.5.8), so neighbours are at least that far apart in both directions.
 */
const MARKER_GAP_PX = 26;
const MAX_ROWS = 6;
const ROW_PX = 26;
const TOP_PX = 4;

/** The pixel width and left edge of the lanes' track: the timeline body without the lane titles' column. */
function trackOf(el: HTMLElement): { left: number; width: number } {
  const box = el.getBoundingClientRect();
  const pad = parseFloat(getComputedStyle(el).paddingLeft) || 0;
  return { left: box.left + pad, width: Math.max(1, box.width - pad) };
}

const entityText = (e: Timeline['entities'][number]) => `${e.field}=${e.namespace ? `${e.namespace}/` : ''}${e.value}`;

export function IncidentTimeline({ timeline }: { timeline: Timeline }) {
  const bounds = useMemo<TimeRange>(() => {
    const times = timeline.lanes.flatMap((l) => l.items.map((i) => Date.parse(i.at)));
    const win = { from: Date.parse(timeline.window.from), to: Date.parse(timeline.window.to) };
    const fitted = fitRange([...times, win.from, win.to].filter(Number.isFinite));
    return fitted ?? { from: Date.now() - 3_600_000, to: Date.now() };
  }, [timeline]);
  const [range, setRange] = useState<TimeRange>(bounds);
  // A timeline read again (a change made, an action taken) may reach past the old bounds: a reader who has not
  // zoomed follows the new ones, a zoomed view stays where it is.
  const shownBounds = useRef(bounds);
  useEffect(() => {
    const previous = shownBounds.current;
    shownBounds.current = bounds;
    setRange((r) => (r.from === previous.from && r.to === previous.to ? bounds : r));
  }, [bounds]);
  const [open, setOpen] = useState<Opened | null>(null);
  const trackRef = useRef<HTMLDivElement>(null);
  const [trackWidth, setTrackWidth] = useState(900);
  useEffect(() => {
    const el = trackRef.current;
    if (!el) return;
    const observer = new ResizeObserver(() => setTrackWidth(trackOf(el).width));
    observer.observe(el);
    return () => observer.disconnect();
  }, []);

  const onWheel = (e: WheelEvent) => {
    const el = trackRef.current;
    if (!el || e.deltaY === 0) return;
    e.preventDefault();
    const track = trackOf(el);
    const anchor = range.from + ((e.clientX - track.left) / track.width) * (range.to - range.from);
    setRange(zoomRange(range, e.deltaY < 0 ? 0.8 : 1.25, anchor, bounds));
  };
  // Keyboard on the lanes or a marker: ←/→ pan, +/− zoom (Tab moves between markers, Enter opens one); the lanes
  // themselves take focus so it is not lost when a pan hides the focused marker.
  const onKey = (e: KeyboardEvent) => {
    const step: Record<string, () => TimeRange> = {
      ArrowLeft: () => panRange(range, -0.25, bounds),
      ArrowRight: () => panRange(range, 0.25, bounds),
      '+': () => zoomRange(range, 0.5, undefined, bounds),
      '=': () => zoomRange(range, 0.5, undefined, bounds),
      '-': () => zoomRange(range, 2, undefined, bounds),
    };
    const next = step[e.key];
    if (!next) return;
    e.preventDefault();
    setRange(next());
  };
  const openItem = async (item: TimelineItem) => {
    const title = `${item.kind} · ${item.summary}`;
    const links = linksOf(item);
    setOpen({ title, links, value: { item, loading: true } });
    const value = await rawRecords(item);
    // Another item may have been opened meanwhile: only the latest one's records are shown.
    setOpen((current) => (current?.value && (current.value as { item?: TimelineItem }).item === item ? { title, links, value } : current));
  };
  const views = timeline.lanes.map((lane) => ({
    lane,
    visible: lane.items
      .filter((i) => {
        const t = Date.parse(i.at);
        return t >= range.from && t <= range.to;
      })
      .sort((a, b) => Date.parse(a.at) - Date.parse(b.at)),
  }));
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((p) => new Date(range.from + p * (range.to - range.from)));

  return (
    <div class="timeline" data-testid="timeline" data-from={new Date(range.from).toISOString()} data-to={new Date(range.to).toISOString()}>
      <div class="timeline-tools" role="toolbar" aria-label="Timeline zoom">
        <button type="button" onClick={() => setRange(zoomRange(range, 0.5, undefined, bounds))}>
          Zoom in
        </button>
        <button type="button" onClick={() => setRange(zoomRange(range, 2, undefined, bounds))}>
          Zoom out
        </button>
        <button type="button" onClick={() => setRange(panRange(range, -0.25, bounds))} aria-label="Earlier">
          ←
        </button>
        <button type="button" onClick={() => setRange(panRange(range, 0.25, bounds))} aria-label="Later">
          →
        </button>
        <button type="button" onClick={() => setRange(bounds)}>
          Reset zoom
        </button>
        <span class="muted">
          showing {spanLabel(range.to - range.from)} from <Time iso={new Date(range.from).toISOString()} />
        </span>
        {timeline.entities.length ? (
          <span class="muted">
            · entities: {timeline.entities.map(entityText).join(', ')}
          </span>
        ) : null}
      </div>
      <div
        class="timeline-body"
        ref={trackRef}
        onWheel={onWheel}
        onKeyDown={onKey}
        tabIndex={0}
        role="group"
        aria-label="Timeline lanes: ←/→ pan, + and − zoom"
      >
        <div class="timeline-axis" aria-hidden="true">
          {ticks.map((t, i) => (
            <span key={i} class="tick" style={{ left: `${i * 25}%` }}>
              {t.toISOString().slice(11, 19)}
            </span>
          ))}
        </div>
        {views.map(({ lane, visible }) => {
          const left = visible.map((i) => positionOf(Date.parse(i.at), range));
          const rows = laneRows(
            left.map((p) => p * trackWidth),
            MARKER_GAP_PX,
            MAX_ROWS,
          );
          const height = `${2 * TOP_PX + (Math.max(0, ...rows) + 1) * ROW_PX}px`;
          return (
            <section key={lane.id} class="lane" style={{ height }} data-testid={`lane-${lane.id}`} aria-label={`${lane.title}: ${lane.items.length} items`}>
              <h3 class="lane-title">
                {lane.title} <span class="muted">({visible.length}/{lane.items.length}{lane.truncated ? '+' : ''})</span>
              </h3>
              <ol class="lane-track">
                {visible.map((item, i) => (
                  <li key={`${item.at}-${item.ref}-${i}`} class="lane-slot" style={{ left: `${left[i]! * 100}%`, top: `${TOP_PX + rows[i]! * ROW_PX}px` }}>
                    <button
                      type="button"
                      class={`tl-item kind-${item.kind}${item.severity ? ` sev-${item.severity}` : ''}`}
                      data-testid="timeline-item"
                      data-kind={item.kind}
                      data-at={item.at}
                      title={`${item.at} ${item.summary}`}
                      aria-label={`${item.kind} at ${item.at}: ${item.summary}`}
                      onClick={() => void openItem(item)}
                    />
                  </li>
                ))}
              </ol>
            </section>
          );
        })}
      </div>
      <TimelineList rows={views.flatMap(({ lane, visible }) => visible.map((item) => ({ lane: lane.title, item })))} onOpen={(item) => void openItem(item)} />
      {open ? (
        <SidePanel title={open.title} onClose={() => setOpen(null)}>
          {open.links.length ? (
            <p class="panel-links">
              {open.links.map((l) => (
                <a key={l.href} href={l.href} onClick={linkClick}>
                  {l.text}
                </a>
              ))}
            </p>
          ) : null}
          <JsonView value={open.value} label="Raw record" />
        </SidePanel>
      ) : null}
    </div>
  );
}
