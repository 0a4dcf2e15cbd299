/**
 * Text from alerts and incidents is escaped for each chat format (docs/ARCHITECTURE.md, "Outgoing requests"): an
 * incident title, entity, rule
 * name and step text carrying Slack control sequences (`<!channel>`, `<https://evil|click>`) and Markdown links reach
 * a real local HTTP server exactly as asserted — Slack mrkdwn with `&`, `<`, `>` escaped and `verbatim` set, Teams
 * with that text only in TextRuns (never parsed as Markdown).
 */
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { recordingServerPerSuite, type RecordingServer } from '../../../test/support/recording-server.js';
import { notifyWebhook, type ActionContext, type IncidentPort, type IncidentSummary, type KubeClients } from '../src/index.js';

const HOSTILE: IncidentSummary = {
  id: 'inc-1',
  title: 'Pwned <!channel> <https://evil.example/login|Reset your password>',
  severity: 'critical',
  status: 'open',
  entity: 'pod:ns/x [click](https://evil.example) <@U024BE7LH>',
  alert_count: 1,
  first_seen: '2026-11-29T10:00:00.000Z',
  last_seen: '2026-11-29T10:05:00.000Z',
  alerts: [{ rule: 'rule <!here> & **bold**', severity: 'critical', at: '2026-11-29T10:05:00.000Z' }],
};
const TEXT = 'See <https://evil.example|the runbook> & ping <!subteam^S123> [here](https://evil.example) @channel';

const incidents: IncidentPort = {
  summary: async (id) => (id === HOSTILE.id ? HOSTILE : null),
  addEvidence: async () => {
    throw new Error('not used');
  },
  update: async () => {
    throw new Error('not used');
  },
};

function context(): ActionContext {
  return {
    kube: {} as KubeClients,
    http: { allowHosts: ['127.0.0.1'], allowCidrs: ['127.0.0.0/8'] },
    incidents,
    run: { id: 'run-1', step: 'tell', playbook: 'p', incidentId: HOSTILE.id },
  };
}

describe('notify.webhook escapes hostile text per format', () => {
  const recording = recordingServerPerSuite();
  let server: RecordingServer;
  beforeEach(() => (server = recording()));

  it('slack: control characters escaped in every mrkdwn field, verbatim set; the header is plain text', async () => {
    await notifyWebhook.run(context(), { url: `${server.url}/slack`, format: 'slack', text: TEXT });
    const [req] = await server.waitFor(1);
    const title = '[critical] Pwned <!channel> <https://evil.example/login|Reset your password>';
    const t = (text: string) => ({ type: 'mrkdwn', text, verbatim: true });
    assert.deepEqual(req!.body, {
      text: '[critical] Pwned &lt;!channel&gt; &lt;https://evil.example/login|Reset your password&gt; — See &lt;https://evil.example|the runbook&gt; &amp; ping &lt;!subteam^S123&gt; [here](https://evil.example) @channel',
      blocks: [
        { type: 'header', text: { type: 'plain_text', text: title, emoji: false } },
        { type: 'section', text: t('See &lt;https://evil.example|the runbook&gt; &amp; ping &lt;!subteam^S123&gt; [here](https://evil.example) @channel') },
        {
          type: 'section',
          fields: [
            t('*Severity*\ncritical'),
            t('*Status*\nopen'),
            t('*Entity*\npod:ns/x [click](https://evil.example) &lt;@U024BE7LH&gt;'),
            t('*Alerts*\n1'),
            t('*First seen*\n2026-11-29T10:00:00.000Z'),
            t('*Last seen*\n2026-11-29T10:05:00.000Z'),
            t('*Incident*\ninc-1'),
          ],
        },
        { type: 'section', text: t('*Latest alerts*\n• 2026-11-29T10:05:00.000Z [critical] rule &lt;!here&gt; &amp; **bold**') },
        { type: 'context', elements: [t('Bulwark: playbook p, run run-1, step tell')] },
      ],
    });
    // Only the header carries the raw title: plain_text, which Slack never parses for mentions or links.
    const parsed = JSON.stringify({ ...(req!.body as object), blocks: (req!.body as { blocks: unknown[] }).blocks.slice(1) });
    assert.doesNotMatch(parsed, /<!|<@|<https/, 'no Slack control sequence arrives unescaped in mrkdwn');
  });

  it('teams: hostile text only in TextRuns (no Markdown), Bulwark labels in TextBlocks', async () => {
    await notifyWebhook.run(context(), { url: `${server.url}/teams`, format: 'teams', text: TEXT });
    const [req] = await server.waitFor(1);
    const run = (text: string, style: Record<string, unknown> = {}) => ({ type: 'TextRun', text, ...style });
    const fact = (k: string, v: string) => ({ type: 'RichTextBlock', inlines: [run(`${k}: `, { weight: 'Bolder' }), run(v)], spacing: 'None' });
    assert.deepEqual(req!.body, {
      type: 'message',
      attachments: [
        {
          contentType: 'application/vnd.microsoft.card.adaptive',
          contentUrl: null,
          content: {
            $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
            type: 'AdaptiveCard',
            version: '1.4',
            body: [
              { type: 'RichTextBlock', inlines: [run('[critical] Pwned <!channel> <https://evil.example/login|Reset your password>', { size: 'Large', weight: 'Bolder' })] },
              { type: 'RichTextBlock', inlines: [run(TEXT)] },
              fact('Severity', 'critical'),
              fact('Status', 'open'),
              fact('Entity', 'pod:ns/x [click](https://evil.example) <@U024BE7LH>'),
              fact('Alerts', '1'),
              fact('First seen', '2026-11-29T10:00:00.000Z'),
              fact('Last seen', '2026-11-29T10:05:00.000Z'),
              fact('Incident', 'inc-1'),
              { type: 'TextBlock', text: 'Latest alerts', weight: 'Bolder', wrap: true },
              { type: 'RichTextBlock', inlines: [run('• 2026-11-29T10:05:00.000Z [critical] rule <!here> & **bold**')], spacing: 'None' },
              { type: 'RichTextBlock', inlines: [run('Bulwark: playbook p, run run-1, step tell', { isSubtle: true, size: 'Small' })] },
            ],
          },
        },
      ],
    });
  });
});
