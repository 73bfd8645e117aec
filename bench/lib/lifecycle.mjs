// The way out of a bench script (the benchmark and both drills): whatever it started is
// cleaned up on SIGINT / SIGTERM / SIGHUP (exit 130), when the whole run overruns its deadline
// (exit 2), when `main` fails (exit 1) and when `main` itself asks for it.

/**
 * Installs the signal handlers and the deadline (unref'd: it never keeps the process alive)
 * and returns:
 *   - `cleanup()`: runs the given cleanup once; later calls share the first one's promise;
 *   - `run(main, { tail })`: runs `main`, whose result is the exit code; on failure prints
 *     `[label] failed: <stack>`, then `tail()`'s text if it returns any (e.g. the server's
 *     last output), cleans up and exits 1.
 *
 * @param {{ label: string, log: (msg: string) => void, deadlineMs: number, overrun: string,
 *           cleanup: () => Promise<void> }} options
 *   overrun: the log line when the deadline passes (": stopping" is appended).
 */
export function bounded({ label, log, deadlineMs, overrun, cleanup }) {
  let cleaning = null;
  const once = () => (cleaning ??= Promise.resolve().then(cleanup));
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) {
    process.once(sig, async () => {
      log(`${sig}: stopping`);
      await once();
      process.exit(130);
    });
  }
  const deadline = setTimeout(async () => {
    log(`${overrun}: stopping`);
    await once();
    process.exit(2);
  }, deadlineMs);
  deadline.unref();

  const run = (main, { tail } = {}) =>
    main().then(
      (code) => {
        clearTimeout(deadline);
        process.exitCode = code;
      },
      async (err) => {
        console.error(`[${label}] failed: ${err?.stack ?? err}`);
        const text = tail?.();
        if (text) console.error(text);
        await once();
        process.exit(1);
      },
    );
  return { cleanup: once, run };
}
