import { pino, type Logger, type DestinationStream } from 'pino';

/** Paths pino blanks out: tokens never reach a log line, whatever logged them. */
export const REDACT_PATHS = [
  'token',
  '*.token',
  'tokens',
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'joinToken',
  '*.joinToken',
  // A browser's token arrives as a WebSocket subprotocol (coordd.token.<token>).
  'headers["sec-websocket-protocol"]',
  '*.headers["sec-websocket-protocol"]',
];

/** The daemon's JSON logger: one line per event on stdout, level as a label. */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'coordd' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination ?? pino.destination({ dest: 1, sync: true }),
  );
}
