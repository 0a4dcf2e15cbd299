/**
 * syslog-ng's elasticsearch-http() (Debian's syslog-ng-core + syslog-ng-mod-http + syslog-ng-scl, unpacked under
 * test/.cache because the package conflicts with rsyslog), on the README's config (test/shippers/configs/
 * syslog-ng.conf), tailing a file, against the real `npm start` process.
 *
 * syslog-ng treats a refused connection and a 401 alike ("not connected"): it keeps the batch, in its reliable disk
 * buffer, and tries again every time-reopen(); so a wrong token costs nothing once it is fixed.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertExactlyOnce, exportEvents, linesThroughRestart, marker, numberedLines } from './target.js';
import { startSyslogNg } from './shipper-process.js';
import { shipperSuite } from './suite.js';
import { until } from '../support/until.js';

const suite = shipperSuite();

test('syslog-ng: 3000 lines across a Bulwark SIGKILL mid-stream are each stored once, in the container dataset, and reach the container rules', async () => {
  const { target, d } = await suite.setUp('syslog-ng');
  const sng = suite.track(startSyslogNg(d, target, target.token));
  await until('syslog-ng started', async () => /syslog-ng starting up/.test(sng.output()), 20_000);
  await linesThroughRestart(target, (lines) => d.write(lines), 'sng');
});

test('syslog-ng: a wrong token is refused (401) and retried; the fixed config delivers the held lines exactly once', async () => {
  const { target, d } = await suite.setUp('syslog-ng');
  const wrong = suite.track(startSyslogNg(d, target, 'bwk_notarealtokenxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'));
  const m = marker('sngwrong');
  d.write(numberedLines(m, 20));
  await until(
    'syslog-ng refused twice (a retry)',
    async () => (wrong.output().match(/status_code='401'/g) ?? []).length >= 2,
    30_000,
    300,
  );
  assert.equal((await exportEvents(target, m)).length, 0, 'nothing stored with a wrong token');
  await wrong.stop();

  // The operator fixes the token and restarts syslog-ng: the batch held in the disk buffer goes out.
  suite.track(startSyslogNg(d, target, target.token));
  await assertExactlyOnce(target, m, 20);
});
