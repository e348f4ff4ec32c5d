/**
 * Where a governed job's time goes, measured from outside the worker (no patch of src/): every
 * query of every node-postgres Client in this process is timed (Client.prototype.query wrapped
 * while a recorder is active), queries are grouped into transactions per connection (BEGIN ..
 * COMMIT/ROLLBACK, or one statement), and a transaction is labelled by the API function it calls.
 * graphile-worker's job events give the fetch and the task; its batched completion is recognised
 * by its DELETE from _private_jobs. Meant for concurrency 1, where each window belongs to one job.
 */
import { Client } from 'pg';

export type TxLabel = 'reserve' | 'settle' | 'read' | 'other';

export interface Tx {
  label: TxLabel;
  start: number;
  end: number;
}

export interface Completion {
  start: number;
  end: number;
}

interface Open {
  label: TxLabel;
  start: number;
}

function labelOf(text: string): TxLabel | null {
  if (/llm\.reserve_call\b/.test(text)) return 'reserve';
  if (/llm\.(settle_call|release_call|fail_request)\b/.test(text)) return 'settle';
  if (/llm\.request_for_call\b/.test(text)) return 'read';
  return null;
}

const COMPLETION = /delete\s+from\s+\S*_private_jobs/i;

export class QueryRecorder {
  readonly txs: Tx[] = [];
  readonly completions: Completion[] = [];
  private readonly open = new WeakMap<Client, Open>();
  private original: typeof Client.prototype.query | null = null;

  start(): void {
    if (this.original) return;
    const original = Client.prototype.query;
    this.original = original;
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const rec = this;
    (Client.prototype as { query: unknown }).query = function (this: Client, ...args: unknown[]) {
      const first = args[0] as string | { text?: string } | undefined;
      const text = typeof first === 'string' ? first : (first?.text ?? '');
      const t0 = performance.now();
      const ret = (original as (...a: unknown[]) => unknown).apply(this, args);
      if (ret && typeof (ret as Promise<unknown>).then === 'function') {
        (ret as Promise<unknown>).then(() => rec.record(this, text, t0, performance.now()), () => rec.record(this, text, t0, performance.now()));
      }
      return ret;
    };
  }

  stop(): void {
    if (this.original) (Client.prototype as { query: unknown }).query = this.original;
    this.original = null;
  }

  private record(c: Client, text: string, t0: number, t1: number): void {
    if (COMPLETION.test(text)) {
      this.completions.push({ start: t0, end: t1 });
      return;
    }
    const label = labelOf(text);
    const begins = /^\s*(begin|start transaction)\b/i.test(text);
    const ends = /\b(commit|rollback)\s*;?\s*$/i.test(text);
    let o = this.open.get(c);
    if (begins) {
      o = { label: label ?? 'other', start: t0 };
      this.open.set(c, o);
    } else if (o && label && o.label === 'other') {
      o.label = label;
    }
    if (o && ends) {
      this.txs.push({ label: o.label, start: o.start, end: t1 });
      this.open.delete(c);
    } else if (!o && label) {
      this.txs.push({ label, start: t0, end: t1 });            // a statement in its own implicit transaction
    }
  }
}
