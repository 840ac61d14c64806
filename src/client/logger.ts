/** The slice of a pino-compatible logger the client uses; pass a pino logger or anything alike. */
export interface ClientLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

const noop = (): void => {};

/** A logger that drops everything (the default: a library stays quiet unless asked). */
export const silentLogger: ClientLogger = { debug: noop, info: noop, warn: noop, error: noop };
