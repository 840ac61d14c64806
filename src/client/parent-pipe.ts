import type { Readable } from 'node:stream';

/**
 * Whether this process was spawned by coordd with a parent pipe: stdin is a pipe the daemon never
 * writes to, so its end of file means the daemon is gone (however it died).
 */
export function hasParentPipe(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.COORDD_PARENT_PIPE === 'stdin';
}

/** Call `onGone` once when `stdin` ends or fails; returns a function that stops watching. */
export function watchParentPipe(onGone: () => void, stdin: Readable = process.stdin): () => void {
  let fired = false;
  const gone = (): void => {
    if (fired) return;
    fired = true;
    onGone();
  };
  // Nothing is ever written; reading (and dropping) is what lets the end of file be seen.
  const drop = (): void => {};
  stdin.on('data', drop).once('end', gone).once('error', gone).once('close', gone);
  stdin.resume();
  return () => {
    stdin.off('data', drop).off('end', gone).off('error', gone).off('close', gone);
    stdin.pause();
  };
}
