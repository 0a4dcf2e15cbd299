#!/usr/bin/env node
// The SMTP listener behind test/services/smtp.sh: a real SMTP server (the `smtp-server` package) on 127.0.0.1 that
// accepts every message, with or without AUTH (PLAIN or LOGIN; the one test user's password is checked), and writes
// each to SMTP_MAILDIR as <time>-<n>.eml (written under a dot name, then renamed, so a reader never sees half a
// message). Plain SMTP, no STARTTLS: the tests run on loopback. Two trace headers are put on top of each message, as a
// relay adds Received: lines — X-Test-Smtp-Auth (the authenticated user, or "none") and X-Test-Smtp-Rcpt (the
// envelope recipients, which include Bcc/Cc).
//
// Environment: SMTP_LISTEN_PORT, SMTP_MAILDIR, SMTP_USER, SMTP_PASSWORD (kept out of the command line).
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';

const port = Number(process.env.SMTP_LISTEN_PORT);
const maildir = process.env.SMTP_MAILDIR;
const user = process.env.SMTP_USER;
const password = process.env.SMTP_PASSWORD;
if (!port || !maildir || !user || !password) {
  console.error('smtp-listener: SMTP_LISTEN_PORT, SMTP_MAILDIR, SMTP_USER and SMTP_PASSWORD are required');
  process.exit(2);
}
mkdirSync(maildir, { recursive: true });

let count = 0;
const server = new SMTPServer({
  name: 'bulwark-test-smtp',
  banner: 'bulwark test listener',
  authMethods: ['PLAIN', 'LOGIN'],
  authOptional: true,
  allowInsecureAuth: true, // AUTH over plain SMTP: loopback only
  disabledCommands: ['STARTTLS'],
  size: 10 * 1024 * 1024,
  logger: false,
  onAuth(auth, _session, callback) {
    if (auth.username === user && auth.password === password) return callback(null, { user: auth.username });
    return callback(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
  },
  onData(stream, session, callback) {
    const chunks = [];
    stream.on('data', (c) => chunks.push(c));
    stream.on('end', () => {
      if (stream.sizeExceeded) {
        return callback(Object.assign(new Error('Message exceeds the size limit'), { responseCode: 552 }));
      }
      const rcpt = session.envelope.rcptTo.map((r) => r.address).join(', ');
      const trace = `X-Test-Smtp-Auth: ${session.user ?? 'none'}\r\nX-Test-Smtp-Rcpt: ${rcpt}\r\n`;
      const name = `${Date.now()}-${process.pid}-${++count}.eml`;
      const tmp = join(maildir, `.${name}`);
      writeFileSync(tmp, Buffer.concat([Buffer.from(trace), ...chunks]));
      renameSync(tmp, join(maildir, name));
      callback(null, `stored as ${name}`);
    });
  },
});

server.on('error', (err) => console.error(`smtp-listener: ${err.message}`));
server.listen(port, '127.0.0.1', () => console.log(`smtp-listener: listening on 127.0.0.1:${port}, mail to ${maildir}`));
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
