/**
 * The incident timeline in lanes per source (alerts, Kubernetes audit, Falco, container logs, response actions,
 * changes). The visible time range zooms with the wheel (around the pointer) or the buttons and pans with the
 * buttons or ←/→; each item is a button opening its raw record (the event, the run and its audit) in a side panel.
 */
import { useMemo, useRef, useState } from 'preact/hooks';
import { api, enc } from '../api.js';
import { Time } from '../components/badges.js';
import { JsonView, SidePanel } from '../components/side-panel.js';
import { exploreLink } from '../lib/links.js';
import { fitRange, panRange, positionOf, spanLabel, zoomRange, type TimeRange } from '../lib/time-zoom.js';
import { linkClick } from '../router.js';
import type { AuditRecord, Page, Timeline, TimelineItem } from '../types.js';

/** The raw record behind an item, read when it is opened. */
async function rawRecord(item: TimelineItem): Promise<unknown> {
  const out: Record<string, unknown> = { item };
  if (item.event_id) out.event = await api.get(`/v1/events/${enc(item.event_id)}`, { quiet: true }).catch((e) => ({ error: String(e.message) }));
  if (item.kind === 'alert' && item.ref) out.alert = await api.get(`/v1/alerts/${enc(item.ref)}`, { quiet: true }).catch(() => undefined);
  if (item.run_id) {
    out.run = await api.get(`/v1/runs/${enc(item.run_id)}`, { quiet: true }).catch(() => undefined);
    const audit = await api.get<Page<AuditRecord>>('/v1/audit', { query: { run_id: item.run_id, size: 100 }, quiet: true }).catch(() => undefined);
    out.audit = item.audit_id ? (audit?.items.find((a) => a.id === item.audit_id) ?? audit?.items) : audit?.items;
  }
  return out;
}

export function IncidentTimeline({ timeline }: { timeline: Timeline }) {
  const bounds = useMemo<TimeRange>(() => {
    const times = timeline.lanes.flatMap((l) => l.items.map((i) => Date.parse(i.at)));
    const win = { from: Date.parse(timeline.window.from), to: Date.parse(timeline.window.to) };
    const fitted = fitRange([...times, win.from, win.to].filter(Number.isFinite));
    return fitted ?? { from: Date.now() - 3_600_000, to: Date.now() };
  }, [timeline]);
  const [range, setRange] = useState<TimeRange>(bounds);
  const [open, setOpen] = useState<{ title: string; value: unknown } | null>(null);
  const trackRef = useRef<HTMLDivElement>(null);

  const onWheel = (e: WheelEvent) => {
    const el = trackRef.current;
    if (!el || e.deltaY === 0) return;
    e.preventDefault();
    const box = el.getBoundingClientRect();
    const anchor = range.from + ((e.clientX - box.left) / Math.max(1, box.width)) * (range.to - range.from);
    setRange(zoomRange(range, e.deltaY < 0 ? 0.8 : 1.25, anchor, bounds));
  };
  const openItem = async (item: TimelineItem) => {
    setOpen({ title: `${item.kind} · ${item.summary}`, value: { item, loading: true } });
    setOpen({ title: `${item.kind} · ${item.summary}`, value: await rawRecord(item) });
  };
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
            · entities: {timeline.entities.map((e) => `${e.field}=${e.value}`).join(', ')}
          </span>
        ) : null}
      </div>
      <div class="timeline-body" ref={trackRef} onWheel={onWheel}>
        <div class="timeline-axis" aria-hidden="true">
          {ticks.map((t, i) => (
            <span key={i} class="tick" style={{ left: `${i * 25}%` }}>
              {t.toISOString().slice(11, 19)}
            </span>
          ))}
        </div>
        {timeline.lanes.map((lane) => {
          const visible = lane.items
            .filter((i) => {
              const t = Date.parse(i.at);
              return t >= range.from && t <= range.to;
            })
            .sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
          return (
            <section key={lane.id} class="lane" data-testid={`lane-${lane.id}`} aria-label={`${lane.title}: ${lane.items.length} items`}>
              <h3 class="lane-title">
                {lane.title} <span class="muted">({visible.length}/{lane.items.length}{lane.truncated ? '+' : ''})</span>
              </h3>
              <ol class="lane-track">
                {visible.map((item, i) => (
                  <li key={`${item.at}-${item.ref}-${i}`} class="lane-slot" style={{ left: `${positionOf(Date.parse(item.at), range) * 100}%` }}>
                    <button
                      type="button"
                      class={`tl-item kind-${item.kind}`}
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
      {open ? (
        <SidePanel title={open.title} onClose={() => setOpen(null)}>
          {(open.value as { item?: TimelineItem }).item?.event_id ? (
            <p>
              <a href={exploreLink(`event.id:${JSON.stringify((open.value as { item: TimelineItem }).item.event_id)}`, 'now-90d')} onClick={linkClick}>
                Open in the explorer
              </a>
            </p>
          ) : null}
          <JsonView value={open.value} label="Raw record" />
        </SidePanel>
      ) : null}
    </div>
  );
}
