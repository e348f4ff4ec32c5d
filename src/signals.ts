/**
 * Ctrl-C and SIGTERM, for the long-running commands. A terminal's Ctrl-C goes to the whole foreground process group, and
 * `npm run` and tsx relay it to their child as well: one keypress can reach our process two or three times. With a
 * one-shot listener, the second signal met no listener and Node's default ended the process in the middle of its clean
 * stop, leaving the embedded server running (seen from `npm run db`). The listeners stay for the life of the process:
 * the first signal asks for the stop, later ones are ignored.
 */
export function stopSignal(): Promise<'SIGINT' | 'SIGTERM'> {
  return new Promise((resolve) => {
    let first: 'SIGINT' | 'SIGTERM' | null = null;
    const on = (s: 'SIGINT' | 'SIGTERM') => () => {
      if (first === null) {
        first = s;
        resolve(s);
      }
    };
    process.on('SIGINT', on('SIGINT'));
    process.on('SIGTERM', on('SIGTERM'));
  });
}
