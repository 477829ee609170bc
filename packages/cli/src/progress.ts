import cliProgress from 'cli-progress';

/** A progress bar on stderr when it is a terminal; silent otherwise (logs carry the summary). */
export interface Progress {
  update(done: number, total: number, detail?: string): void;
  stop(): void;
}

export function createProgress(label: string): Progress {
  if (!process.stderr.isTTY) return { update: () => undefined, stop: () => undefined };
  const bar = new cliProgress.SingleBar(
    {
      format: `${label} [{bar}] {percentage}% | {value}/{total} | eta {eta_formatted} | {detail}`,
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(done, total, detail = '') {
      if (!started) {
        bar.start(total, done, { detail });
        started = true;
      } else bar.update(done, { detail });
    },
    stop: () => {
      if (started) bar.stop();
    },
  };
}
