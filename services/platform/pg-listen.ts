import pg from 'pg';
import { InternalError } from '../../contract/internal-error.ts';
import { logger } from './log.ts';

/**
 * One dedicated LISTEN connection on a channel, reconnecting with backoff. `onState(false)` tells the
 * owner that notifications may be missed from now on (connection lost) so it can stop trusting what the
 * notifications were keeping fresh; `onState(true)` follows each (re)connection.
 */
export function listenChannel(opts: {
  url: string;
  channel: string;
  onPayload: (payload: string) => void;
  onState: (listening: boolean) => void;
  log?: (message: string, err: unknown) => void;
}): { ready: Promise<void>; stop(): Promise<void> } {
  if (!/^[a-z_][a-z0-9_]*$/.test(opts.channel)) throw new TypeError(`bad channel name ${opts.channel}`);
  const log =
    opts.log ??
    ((m, err) => logger.warn({ component: 'pg-listen', channel: opts.channel, err: String(err) }, m));
  let client: pg.Client | null = null;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let backoff = 100;
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });

  const lost = (c: pg.Client, err: unknown) => {
    if (client !== c) return;
    client = null;
    opts.onState(false);
    c.end().catch(() => {});
    if (stopped) return;
    log('listen connection lost', err);
    timer = setTimeout(connect, backoff);
    backoff = Math.min(backoff * 2, 5_000);
  };
  async function connect() {
    if (stopped) return;
    const c = new pg.Client({ connectionString: opts.url });
    client = c;
    c.on('notification', (n) => {
      if (n.channel === opts.channel && n.payload) opts.onPayload(n.payload);
    });
    c.on('error', (err) => lost(c, err));
    c.on('end', () => lost(c, new InternalError('UNREACHABLE', 'listen connection ended')));
    try {
      await c.connect();
      await c.query(`LISTEN ${opts.channel}`);
      if (client !== c) return;
      backoff = 100;
      opts.onState(true);
      markReady();
    } catch (err) {
      lost(c, err);
    }
  }
  void connect();
  return {
    ready,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      const c = client;
      client = null;
      opts.onState(false);
      await c?.end().catch(() => {});
    },
  };
}
