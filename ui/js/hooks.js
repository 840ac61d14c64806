import { useEffect, useState } from 'preact/hooks';
import { isMissing } from './rpc.js';

/** Re-render whenever the live picture changes. */
export function useLive(live) {
  const [, set] = useState(0);
  useEffect(() => live.subscribe(() => set((n) => n + 1)), [live]);
  return live;
}

/**
 * Run `load` now and whenever a dependency changes; keeps the last good data while reloading.
 * `missing` is set when the daemon does not serve a method the load called.
 */
export function useQuery(load, deps) {
  const [state, setState] = useState({ data: undefined, error: undefined, missing: false, loading: true });
  useEffect(() => {
    let live = true;
    Promise.resolve()
      .then(load)
      .then(
        (data) => live && setState({ data, error: undefined, missing: false, loading: false }),
        (error) => live && setState((s) => ({ data: s.data, error, missing: isMissing(error), loading: false })),
      );
    return () => {
      live = false;
    };
  }, deps);
  return state;
}
