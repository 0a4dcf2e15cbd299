/**
 * rsyslog's omelasticsearch (Debian's rsyslog-elasticsearch), bulk mode, Basic auth, on the README's config
 * (test/shippers/configs/rsyslog.conf), tailing a file with imfile, against the real `npm start` process.
 *
 * What rsyslog does is rsyslog's: a refused connection suspends the action and it retries for ever (the queue is
 * saved at shutdown), but any HTTP answer it cannot read as a bulk result — a 401 included, exactly as from
 * Elasticsearch — is a permanent failure of that batch: it goes to `errorfile` and is not sent again. The second test
 * pins that down so the README can say it, and so a change in either program shows.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { assertExactlyOnce, exportEvents, linesThroughRestart, marker, numberedLines } from './target.js';
import { startRsyslog } from './shipper-process.js';
import { shipperSuite } from './suite.js';
import { until } from '../support/until.js';

const suite = shipperSuite();

test('rsyslog: 3000 lines across a Bulwark SIGKILL mid-stream are each stored once, in the container dataset, and reach the container rules', async () => {
  const { target, d } = await suite.setUp('rsyslog');
  suite.track(startRsyslog(d, target, target.token));
  await new Promise((r) => setTimeout(r, 1_000));
  // While Bulwark is down rsyslog meets a refused connection, suspends and queues — more than its default action
  // queue of 1000 holds: hence the config's queue size.
  await linesThroughRestart(target, (lines) => d.write(lines), 'rsys');
});

test('rsyslog: a wrong token is refused (401); rsyslog writes the refused batch to its errorfile, and the fixed config delivers what follows', async () => {
  const { target, d } = await suite.setUp('rsyslog');
  const wrong = suite.track(startRsyslog(d, target, 'bwk_notarealtokenxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'));
  const m = marker('rsyswrong');
  const refused = numberedLines(m, 20);
  d.write(refused);
  const errorFile = join(d.dir, 'errors.json');
  await until('the refused batch in the errorfile', async () => existsSync(errorFile) && refused.every((l) => readFileSync(errorFile, 'utf8').includes(l.split(' ')[1]!)), 30_000, 300);
  assert.match(readFileSync(errorFile, 'utf8'), /BWK_AUTH_INVALID/, 'the errorfile keeps Bulwark\'s 401 answer');
  assert.match(wrong.output(), /"status":401/, 'rsyslog logs the 401');
  assert.equal((await exportEvents(target, m)).length, 0, 'nothing stored with a wrong token');
  await wrong.stop();

  // The operator fixes the token and restarts rsyslog: imfile goes on from where it was; new lines are delivered.
  suite.track(startRsyslog(d, target, target.token));
  const m2 = marker('rsysfixed');
  d.write(numberedLines(m2, 20));
  await assertExactlyOnce(target, m2, 20);
  assert.equal((await exportEvents(target, m)).length, 0, 'rsyslog does not resend a batch refused with 401');
});
