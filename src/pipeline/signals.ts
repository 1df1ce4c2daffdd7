// The one SIGINT/SIGTERM rule of every command: the first signal asks the command to stop
// (it drains and exits with its own status); a second one exits at once, 130/143.
import { signalExitStatus } from '../errors.js';

export interface SignalWatch {
  /** The first signal received, if any. */
  received(): NodeJS.Signals | undefined;
  /** Removes the handlers (the command ended). */
  dispose(): void;
}

/** Calls `onStop` on the first SIGINT/SIGTERM; a second one exits now with the table's status. */
export function onStopSignals(onStop: (signal: NodeJS.Signals) => void): SignalWatch {
  let received: NodeJS.Signals | undefined;
  const handler = (signal: NodeJS.Signals): void => {
    if (received) process.exit(signalExitStatus(signal)); // a second signal: stop now
    received = signal;
    onStop(signal);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    received: () => received,
    dispose: () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}
