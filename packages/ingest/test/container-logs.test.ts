import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeContainerLogs, parseContainerLogPath } from '../src/index.js';
import { assertThrowsCode, assertValidEvents, CONTAINER_ID, get, NOW } from './helpers.js';

const K8S_PATH = `/var/log/containers/web-1_default_nginx-${CONTAINER_ID}.log`;

/** containerd's CRI log file: a 20 KiB stdout line split by the runtime (P, P, F), with stderr interleaved. */
const criLines = [
  '2024-05-01T10:00:00.100000001Z stdout F 10.0.3.4 - - [01/May/2024:10:00:00 +0000] "GET / HTTP/1.1" 200 615',
  '2024-05-01T10:00:00.200000002Z stdout P {"level":"info","msg":"dumping state","state":"aaaa',
  '2024-05-01T10:00:00.200000003Z stderr F 2024/05/01 10:00:00 [warn] 29#29: upstream response is buffered',
  '2024-05-01T10:00:00.200000004Z stdout P bbbb',
  '2024-05-01T10:00:00.200000005Z stdout F cccc"}',
  '2024-05-01T10:00:01.000000000+02:00 stdout F ',
  '2024-05-01T10:00:02.000000000Z stdout F with  two  spaces ',
];

function dockerLine(log: string, stream: 'stdout' | 'stderr', time: string): string {
  return JSON.stringify({ log, stream, time });
}

describe('decodeContainerLogs', () => {
  it('reassembles CRI partial lines per stream and maps the kubelet path', () => {
    const { events, errors } = decodeContainerLogs(Buffer.from(criLines.join('\n') + '\n'), { path: K8S_PATH, now: NOW });
    assert.deepEqual(errors, []);
    assertValidEvents(events);
    assert.deepEqual(events.map((e) => [e['@timestamp'], get(e, 'stream'), e.message]), [
      ['2024-05-01T10:00:00.100Z', 'stdout', '10.0.3.4 - - [01/May/2024:10:00:00 +0000] "GET / HTTP/1.1" 200 615'],
      ['2024-05-01T10:00:00.200Z', 'stderr', '2024/05/01 10:00:00 [warn] 29#29: upstream response is buffered'],
      ['2024-05-01T10:00:00.200Z', 'stdout', '{"level":"info","msg":"dumping state","state":"aaaabbbbcccc"}'],
      ['2024-05-01T08:00:01.000Z', 'stdout', ''],
      ['2024-05-01T10:00:02.000Z', 'stdout', 'with  two  spaces '],
    ]);
    const e = events[0]!;
    assert.deepEqual(e.kubernetes, { namespace: 'default', pod: { name: 'web-1' }, container: { name: 'nginx' } });
    assert.deepEqual(e.container, { id: CONTAINER_ID });
    assert.deepEqual(e.orchestrator, { type: 'kubernetes', namespace: 'default' });
    assert.equal(get(e, 'log.file.path'), K8S_PATH);
    assert.equal(e.event.dataset, 'kubernetes.container_logs');
    assert.equal(e.log?.level, undefined, 'a JSON app line is not parsed');
    assert.notEqual(events[0]!.kubernetes, events[1]!.kubernetes, 'events do not share objects');
  });

  it('reassembles Docker json-file 16 KiB chunks', () => {
    const long = 'x'.repeat(16384) + 'y'.repeat(16384) + 'z'.repeat(1000);
    const lines = [
      dockerLine(long.slice(0, 16384), 'stdout', '2024-05-01T10:00:00.000000100Z'),
      dockerLine('error: disk full\n', 'stderr', '2024-05-01T10:00:00.000000200Z'),
      dockerLine(long.slice(16384, 32768), 'stdout', '2024-05-01T10:00:00.000000300Z'),
      dockerLine(long.slice(32768) + '\n', 'stdout', '2024-05-01T10:00:00.000000400Z'),
      dockerLine('done\r\n', 'stdout', '2024-05-01T10:00:01.5Z'),
    ];
    const { events, errors } = decodeContainerLogs(Buffer.from(lines.join('\n')), { now: NOW });
    assert.deepEqual(errors, []);
    assertValidEvents(events);
    assert.deepEqual(events.map((e) => [get(e, 'stream'), e.message!.length]), [['stderr', 16], ['stdout', long.length], ['stdout', 5]]);
    assert.equal(events[1]!.message, long);
    assert.equal(events[2]!.message, 'done\r');
    assert.equal(events[0]!.event.dataset, 'container.logs');
    assert.equal(events[0]!.kubernetes, undefined);
  });

  it('emits a partial left open at the end of the body, tagged partial', () => {
    const body = ['2024-05-01T10:00:00.1Z stdout P half a li', '2024-05-01T10:00:00.2Z stderr F other'].join('\n');
    const { events } = decodeContainerLogs(Buffer.from(body), { now: NOW });
    assert.deepEqual(events.map((e) => [e.message, e.tags]), [['other', undefined], ['half a li', ['partial']]]);
  });

  it('mixes formats line by line and keeps Docker attrs as labels', () => {
    const body = [
      JSON.stringify({ log: 'from docker\n', stream: 'stdout', attrs: { tag: 'web', 'com.example.team': 'payments' }, time: '2024-05-01T10:00:00.000000001Z' }),
      '2024-05-01T10:00:00.000000002Z stdout F from cri',
    ].join('\n');
    const { events } = decodeContainerLogs(Buffer.from(body), { now: NOW });
    assert.deepEqual(events.map((e) => e.message), ['from docker', 'from cri']);
    assert.deepEqual(events[0]!.labels, { tag: 'web', 'com.example.team': 'payments' });
  });

  it('is deterministic, and distinguishes the same text at another time or from another pod', () => {
    const body = Buffer.from(criLines.join('\n'));
    const a = decodeContainerLogs(body, { path: K8S_PATH, now: NOW }).events.map((e) => e.event.id);
    const b = decodeContainerLogs(body, { path: K8S_PATH, now: new Date() }).events.map((e) => e.event.id);
    assert.deepEqual(a, b);
    const other = decodeContainerLogs(body, { path: K8S_PATH.replace('web-1', 'web-2'), now: NOW }).events.map((e) => e.event.id);
    assert.equal(a.filter((id) => other.includes(id)).length, 0);
    const same = ['2024-05-01T10:00:00.1Z stdout F tick', '2024-05-01T10:00:00.2Z stdout F tick'].join('\n');
    const ids = decodeContainerLogs(Buffer.from(same), { now: NOW }).events.map((e) => e.event.id);
    assert.notEqual(ids[0], ids[1]);
  });

  it('keeps the raw lines in event.original when asked', () => {
    const body = criLines.slice(1, 5).join('\n');
    const { events } = decodeContainerLogs(Buffer.from(body), { now: NOW, keepOriginal: true });
    assert.equal(events[1]!.event.original, [criLines[1], criLines[3], criLines[4]].join('\n'));
  });

  it('rejects bad lines one by one', () => {
    const body = Buffer.concat([
      Buffer.from(
        [
          '2024-05-01T10:00:00.1Z stdout F good one',
          'just some text',
          '{"log":"x\\n","stream":"stdout"',
          '{"log":42,"stream":"stdout","time":"2024-05-01T10:00:00Z"}',
          '{"log":"x\\n","stream":"stdin","time":"2024-05-01T10:00:00Z"}',
          'yesterday stdout F bad time',
          '2024-05-01T10:00:00.1Z stdout X bad tag',
          '{"log":"x\\n","stream":"stdout","time":"2024-05-01T10:00:00Z","__proto__":{"polluted":1}}',
          '',
        ].join('\n'),
      ),
      Buffer.from('2024-05-01T10:00:00.1Z stdout F caf\xe9\n', 'latin1'),
      Buffer.from('2024-05-01T10:00:00.2Z stdout F good two\n'),
    ]);
    const { events, errors } = decodeContainerLogs(body, { now: NOW });
    assert.deepEqual(events.map((e) => e.message), ['good one', 'good two']);
    assert.deepEqual(
      errors.map((e) => [e.index, e.code, e.field]),
      [
        [1, 'BWK_INGEST_BAD_LINE', undefined],
        [2, 'BWK_INGEST_BAD_JSON', undefined],
        [3, 'BWK_INGEST_BAD_FIELD', 'log'],
        [4, 'BWK_INGEST_BAD_FIELD', 'stream'],
        [5, 'BWK_INGEST_BAD_FIELD', 'time'],
        [6, 'BWK_INGEST_BAD_LINE', undefined],
        [7, 'BWK_INGEST_FORBIDDEN_KEY', '__proto__'],
        [8, 'BWK_INGEST_BAD_ENCODING', undefined],
      ],
    );
    assertThrowsCode(() => decodeContainerLogs(Buffer.from('\n\n')), 'BWK_INGEST_EMPTY');
  });
});

describe('parseContainerLogPath', () => {
  it('reads the kubelet and Docker layouts', () => {
    assert.deepEqual(parseContainerLogPath(K8S_PATH), { pod: 'web-1', namespace: 'default', container: 'nginx', containerId: CONTAINER_ID });
    assert.deepEqual(parseContainerLogPath('/var/log/containers/coredns-5d78c9869d-x7k2p_kube-system_coredns-' + CONTAINER_ID + '.log'), {
      pod: 'coredns-5d78c9869d-x7k2p',
      namespace: 'kube-system',
      container: 'coredns',
      containerId: CONTAINER_ID,
    });
    assert.deepEqual(parseContainerLogPath('/var/log/pods/default_web-1_b1946ac9-2b6a-4c8e-9f1d-5e0c3a7d2f41/nginx/0.log'), {
      namespace: 'default',
      pod: 'web-1',
      podUid: 'b1946ac9-2b6a-4c8e-9f1d-5e0c3a7d2f41',
      container: 'nginx',
    });
    assert.deepEqual(parseContainerLogPath(`/var/lib/docker/containers/${CONTAINER_ID}/${CONTAINER_ID}-json.log`), { containerId: CONTAINER_ID });
    assert.deepEqual(parseContainerLogPath('/var/log/syslog'), {});
  });

  it('maps a /var/log/pods path, with the pod uid', () => {
    const path = '/var/log/pods/default_web-1_b1946ac9-2b6a-4c8e-9f1d-5e0c3a7d2f41/nginx/3.log';
    const { events } = decodeContainerLogs(Buffer.from('2024-05-01T10:00:00Z stdout F hi'), { path, now: NOW });
    assertValidEvents(events);
    assert.deepEqual(events[0]!.kubernetes, {
      namespace: 'default',
      pod: { name: 'web-1', uid: 'b1946ac9-2b6a-4c8e-9f1d-5e0c3a7d2f41' },
      container: { name: 'nginx' },
    });
    assert.equal(events[0]!.container, undefined);
  });
});
