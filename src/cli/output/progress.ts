/**
 * A one-line progress status on a terminal, for waits that take more than a moment: it names
 * what it waits for (a registry host and the service, a deployment repository) and how long.
 * Shown only when stderr is a terminal, the format is text, `--quiet` is off and `CI` is not set:
 * never in CI logs, pipes or JSON. The line is cleared before anything else is printed.
 */
import type { Host } from '../../host/index.js';
import type { CommandContext } from '../types.js';

export interface Progress {
  /** start waiting for `label`; returns the function that ends the wait */
  begin(label: string): () => void;
  /** a counter shown after the label, e.g. `3/40` */
  count(done: number, total: number): void;
  /** clear the line and stop the timer */
  stop(): void;
}

const NONE: Progress = { begin: () => () => {}, count: () => {}, stop: () => {} };

export function progressEnabled(ctx: CommandContext): boolean {
  const ci = ctx.host.env.CI;
  return ctx.host.interactive && ctx.global.format === 'text' && !ctx.global.quiet && !(ci && ci !== 'false' && ci !== '0');
}

export function createProgress(host: Host, enabled: boolean, opts: { delayMs?: number; intervalMs?: number; now?: () => number } = {}): Progress {
  if (!enabled) return NONE;
  const delay = opts.delayMs ?? 800;
  const now = opts.now ?? (() => host.now().getTime());
  const waits = new Map<number, { label: string; since: number }>();
  let next = 0;
  let counter = '';
  let shown = false;
  const tick = () => {
    let oldest: { label: string; since: number } | undefined;
    for (const w of waits.values()) if (!oldest || w.since < oldest.since) oldest = w;
    const t = now();
    if (oldest && t - oldest.since >= delay) {
      const more = waits.size > 1 ? ` (+${waits.size - 1} more)` : '';
      host.status(`waiting for ${oldest.label}${more} ${Math.floor((t - oldest.since) / 1000)}s${counter ? ` [${counter}]` : ''}`);
      shown = true;
    } else if (shown) {
      host.status('');
      shown = false;
    }
  };
  const timer = setInterval(tick, opts.intervalMs ?? 250);
  timer.unref();
  return {
    begin(label) {
      const id = next++;
      waits.set(id, { label, since: now() });
      return () => waits.delete(id);
    },
    count(done, total) {
      counter = `${done}/${total}`;
    },
    stop() {
      clearInterval(timer);
      if (shown) host.status('');
      shown = false;
    },
  };
}

/**
 * A host whose fetches are reported to `progress`, labelled by the registry host and, when the
 * request's path names a known package, the service: `registry.example.com (checkout)`.
 */
export function withFetchProgress(host: Host, progress: Progress, serviceOf: (path: string) => string | undefined): Host {
  return {
    ...host,
    fetch: async (input, init) => {
      const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
      const service = serviceOf(decodeURIComponent(url.pathname));
      const end = progress.begin(`${url.host}${service ? ` (${service})` : ''}`);
      try {
        return await host.fetch(input, init);
      } finally {
        end();
      }
    },
  };
}
