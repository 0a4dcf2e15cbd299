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
      // A JSON line (`"port":8080`) or pino-pretty's (`    port: 8080`) under `log.format: pretty`.
      const m = /"port":(\d+)|^\s+port: (\d+)$/m.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve({ port: Number(m[1] ?? m[2]), output });
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
