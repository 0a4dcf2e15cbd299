/**
 * Rendering the incident report: every value is attacker-writable, so a script tag, a link, an image, an autolink or
 * a line break in a log message, an annotation-derived entity, a comment or a decision's reason must come out as the
 * characters it is — checked with a real CommonMark renderer (markdown-it, HTML and linkify on) for the Markdown.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import MarkdownIt from 'markdown-it';
import { htmlText, markdownText, renderReportHtml, renderReportMarkdown, REPORT_HTML_CSP, type IncidentReport } from '../src/index.js';

const SCRIPT = '<script>alert(1)</script>';
const HOSTILE = `${SCRIPT} [click](https://evil.example/x) ![i](https://evil.example/i.png) <https://evil.example/a> https://evil.example/b www.evil.example <img src=x onerror=alert(2)> &lt;b&gt; *em* \`code\` | cell\n# heading\r\n- item`;

function report(): IncidentReport {
  const at = '2026-11-20T10:00:00.000Z';
  return {
    generated_at: at,
    incident: {
      id: 'inc-1', title: `breach ${HOSTILE}`, severity: 'critical', status: 'contained', assignee: HOSTILE, tags: [HOSTILE], resolution: HOSTILE,
      entity: { kind: 'user', value: HOSTILE }, alert_count: 1, first_seen: at, last_seen: at, created_at: at, merged_into: null, merged_from: [HOSTILE],
      comments: [{ id: 'c1', author: HOSTILE, text: HOSTILE, at }],
    },
    timeline: {
      incident: { id: 'inc-1', title: HOSTILE, severity: 'critical', status: 'contained', first_seen: at, last_seen: at },
      window: { from: at, to: at },
      entities: [{ kind: 'pod', field: 'kubernetes.pod.name', value: HOSTILE, namespace: HOSTILE }],
      lanes: [
        { id: 'logs', title: 'Container and application logs', truncated: false, items: [{ at, kind: 'event', ref: HOSTILE, event_id: HOSTILE, summary: HOSTILE, source: 'logs' }] },
      ],
    },
    decisions: [{ at, run_id: HOSTILE, playbook: HOSTILE, step_id: HOSTILE, decision: 'approved', by: HOSTILE, requested_by: HOSTILE, reason: HOSTILE, comment: HOSTILE, audit_id: null }],
    actions: [{
      run_id: HOSTILE, playbook: HOSTILE, status: 'succeeded', dry_run: false, requested_by: HOSTILE, started_at: at, finished_at: at, undo_requested_by: HOSTILE,
      steps: [{ id: HOSTILE, action: HOSTILE, status: 'succeeded', summary: HOSTILE, started_at: at, finished_at: at, error: HOSTILE, approved_by: HOSTILE, undoable: true, undo_summary: null }],
    }],
  };
}

const OWN_ELEMENTS = new Set(['html', 'head', 'meta', 'title', 'style', 'body', 'h1', 'h2', 'h3', 'dl', 'dt', 'dd', 'p', 'table', 'tr', 'th', 'td', 'code', 'time', 'span', 'ul', 'li', 'br']);

describe('incident report rendering', () => {
  it('Markdown: hostile values render as their own text — no link, image, autolink, HTML, heading or list of theirs', () => {
    const md = renderReportMarkdown(report());
    const html = new MarkdownIt({ html: true, linkify: true }).render(md);
    assert.doesNotMatch(html, /<a[\s>]/, 'no link');
    assert.doesNotMatch(html, /<img/, 'no image');
    assert.doesNotMatch(html, /<script/, 'no script');
    assert.doesNotMatch(html, /<em>em<\/em>|<code>code<\/code>/, 'no emphasis or code span of theirs');
    assert.equal((html.match(/<h1>/g) ?? []).length, 1, 'one heading 1: the report title');
    assert.equal((html.match(/<h2>/g) ?? []).length, 4, 'the report sections only (timeline, decisions, actions, comments)');
    // The rendered text shows the value itself: the script tag as characters, the entity reference undecoded.
    assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;'), 'the script tag shows as text');
    assert.ok(html.includes('&amp;lt;b&amp;gt;'), 'an entity reference stays literal');
    assert.ok(html.includes('[click](https://evil.example/x)'), 'the link syntax shows as text');
  });

  it('markdownText keeps every value on one line and escapes all ASCII punctuation', () => {
    assert.equal(markdownText('a\nb\r\nc\u2028d'), 'a b c d');
    assert.equal(markdownText('[x](y)'), '\\[x\\]\\(y\\)');
    assert.equal(markdownText(null), '');
  });

  it('HTML: every value escaped, no script, no external resource, the page carries its own CSP', () => {
    const html = renderReportHtml(report());
    // Every tag in the page is the report's own: known elements, and no attribute that runs or loads anything.
    const tags = html.match(/<[A-Za-z][^>]*>/g) ?? [];
    const names = new Set(tags.map((t) => /^<([A-Za-z0-9]+)/.exec(t)![1]!.toLowerCase()));
    assert.deepEqual([...names].filter((n) => !OWN_ELEMENTS.has(n)), [], 'no element of the values');
    for (const tag of tags) assert.doesNotMatch(tag, /\s(on\w+|src|href|action|formaction)\s*=/i, tag);
    assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
    assert.ok(html.includes('&amp;lt;b&amp;gt;'));
    assert.ok(html.includes(`<meta http-equiv="Content-Security-Policy" content="${htmlText(REPORT_HTML_CSP)}">`));
    assert.match(REPORT_HTML_CSP, /^default-src 'none'; style-src 'sha256-[A-Za-z0-9+/=]+'/);
    // The hash in the policy is the hash of the page's one style element: the browser applies it, nothing else.
    const style = /<style>([^<]*)<\/style>/.exec(html)![1]!;
    const hash = /'sha256-([^']+)'/.exec(REPORT_HTML_CSP)![1]!;
    assert.equal(createHashBase64(style), hash);
    assert.equal((html.match(/<style>/g) ?? []).length, 1);
  });

  it('htmlText escapes the five characters that matter in text and attributes', () => {
    assert.equal(htmlText(`<a href="x" title='y'>&</a>`), '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
  });
});

function createHashBase64(text: string): string {
  return createHash('sha256').update(text).digest('base64');
}
