/**
 * A TCP port for a server a test starts (the embedded PostgreSQL of npm start / npm run db): below
 * Linux's ephemeral range (32768-60999), where the kernel never hands a port to an outgoing
 * connection, and free on 127.0.0.1 when asked. A fixed port derived from the pid inside the
 * ephemeral range was taken now and then by one of the suite's many client connections, and the
 * server failed to start ("did not start on port 55134").
 */
import { createServer } from 'node:net';

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

export async function freeServerPort(): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (await bindable(port)) return port;
  }
  throw new Error('no free port in 20000-31999');
}
