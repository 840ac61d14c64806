/**
 * The daemon's own time on one inbound frame: from its arrival (before it is parsed) until its
 * reply has been serialised and handed to the socket, minus the time its handlers spent waiting
 * for agents to answer (measured by RpcPeer from a request handed to the socket to its reply
 * frame's arrival). Handlers that want that number (router.route) ask for it with whenReplied.
 */
export class FrameTiming {
  private waitedMs = 0;
  private reports: ((ownMs: number) => void)[] | undefined;

  constructor(
    private readonly now: () => number,
    /** When the frame arrived, in `now`'s milliseconds. */
    readonly receivedAt: number = now(),
  ) {}

  /** A handler waited `ms` for an agent's answer: not the daemon's time. */
  waited(ms: number): void {
    this.waitedMs += ms;
  }

  /** Call `report` with the daemon's own milliseconds once the frame's reply is out. */
  whenReplied(report: (ownMs: number) => void): void {
    (this.reports ??= []).push(report);
  }

  /** The reply went to the socket (or there was none): settle the reports. */
  replied(): void {
    const reports = this.reports;
    if (reports === undefined) return;
    this.reports = undefined;
    // Concurrent calls in one batch wait at the same time: their waits may add up to more than the wall time.
    const ownMs = Math.max(0, this.now() - this.receivedAt - this.waitedMs);
    for (const report of reports) report(ownMs);
  }
}
