/**
 * Runs dispatch passes without re-entering itself: a request made while a pass is running (a
 * dispatch that frees or fills capacity) makes the loop go round once more instead of recursing.
 */
export class DispatchLoop {
  private running = false;
  private again = false;

  /** @param placeOne dispatches one queued task; false when nothing more can be placed now. */
  constructor(private readonly placeOne: () => boolean) {}

  /** Place queued tasks until none can be placed (or note that the current pass must go round again). */
  run(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    try {
      do {
        this.again = false;
        while (this.placeOne()) {
          /* keep going while something was placed */
        }
      } while (this.again);
    } finally {
      this.running = false;
    }
  }
}
