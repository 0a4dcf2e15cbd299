/**
 * Waiting for a Bulwark process started with BULWARK_PORT=0: its start-up log line names the port it bound.
 */
import type { ChildProcess } from 'node:child_process';

/** Resolves with the bound port and everything the process printed so far; rejects if it exits first. */
export function listeningPort(child: ChildProcess, timeoutMs = 30_000): Promise<{ port: number; output: string }> {
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listening line within ${timeoutMs} ms; output:\n${output}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      // The start's own message (run.ts), in a JSON line or pino-pretty's: never any `port` field, because the
      // fatal line of a failed bind carries the error's `"port":N` too — taken for a listening process, the
      // caller would not retry a busy port (startBulwark's `retryBusyPortMs`) and talk to a process about to exit.
      const m = /listening on :(\d+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve({ port: Number(m[1]), output });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before listening:\n${output}`));
    });
  });
}
