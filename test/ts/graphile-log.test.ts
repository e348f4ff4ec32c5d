/**
 * What graphile-worker's own lines become in the worker's log (src/worker/runtime.ts graphileLogger): a governed call's
 * "Completed task" line is debug, since its settle (or its refusal's reserve) line says it with the facts; it was a third of
 * the worker's log at info (soak review 85: 1.6 kB and 3.2 lines per call, ~2.8 GB a day at 20 calls/s). The maintenance
 * jobs' (llm__*) stay at info, the only place their duration is logged; a failed attempt is a warning.
 */
import { Writable } from 'node:stream';
import { createLogger } from '../../src/logger';
import { graphileLogger } from '../../src/worker/runtime';

function lines(level: 'info' | 'debug', emit: (log: ReturnType<typeof graphileLogger>) => void): Array<{ level: string; msg: string }> {
  const out: string[] = [];
  const sink = new Writable({ write(c, _e, cb) { out.push(String(c)); cb(); } });
  emit(graphileLogger(createLogger({ level, destination: sink })));
  return out.map((l) => JSON.parse(l));
}

const completed = (id: number, task: string) => [`Completed task ${id} (${task}, 3.10ms) with success`,
  { job: { id, task_identifier: task }, duration: 3.1, success: true }] as const;

test('a governed call\'s completion is debug; a maintenance job\'s stays info; a failed attempt is a warning', () => {
  const emit = (log: ReturnType<typeof graphileLogger>) => {
    const w = log.scope({ label: 'worker', workerId: 'w1' });
    w.info(...completed(1, 'explanation'));
    w.info(...completed(2, 'llm__expire_holds'));
    w.error('Failed task 3 (route, 5.00ms) with error boom:\n    at stack');
  };
  expect(lines('info', emit).map((l) => [l.level, l.msg])).toEqual([
    ['info', 'Completed task 2 (llm__expire_holds, 3.10ms) with success'],
    ['warn', 'Failed task 3 (route, 5.00ms) with error boom:'],
  ]);
  expect(lines('debug', emit).map((l) => [l.level, l.msg])).toEqual([
    ['debug', 'Completed task 1 (explanation, 3.10ms) with success'],
    ['info', 'Completed task 2 (llm__expire_holds, 3.10ms) with success'],
    ['warn', 'Failed task 3 (route, 5.00ms) with error boom:'],
  ]);
});
