/** Listening on a configured port. */
import type { Server } from 'node:http';

/**
 * Listens, or rejects with one line naming the setting: a port still bound (the worker being replaced on the same host)
 * was an unhandled 'error' event that ended the process with a stack trace (upgrade drill 84).
 */
export async function listenOrExplain(server: Server, port: number, host: string, setting: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const fail = (e: NodeJS.ErrnoException) => reject(new Error(`${setting}=${port} cannot be served on ${host}: ${e.code ?? e.message}` +
      (e.code === 'EADDRINUSE' ? ' (another process, such as the worker being replaced, still listens there)' : '')));
    server.once('error', fail);
    server.listen(port, host, () => {
      server.off('error', fail);
      resolve();
    });
  });
}
