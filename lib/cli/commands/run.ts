import { flag, flagValues, hasFlag, ParsedArgs, UsageError } from '../args';
import { Command, CommandIo, EXIT_FAIL } from '../command';
import { parseEventSpec } from '../run/events';
import { runSession } from '../run/session';
import { StopRequests } from '../run/stop';
import { JsonView } from '../view/json-view';
import type { LiveView } from '../view/model';
import { perCpuArrays } from '../view/percpu';
import { PlainView } from '../view/plain-view';
import { colourAllowed } from '../view/style';
import { stdoutTerminal, watchResize } from '../view/terminal';
import { TtyView } from '../view/tty-view';

const USAGE = `Usage: struct-ops run FILE.o [--map NAME]... [--set MAP.MEMBER=VALUE]...
                      [--rodata VAR=VALUE]... [--events MAP[:TYPE]]... [--interval SECONDS]
                      [--seconds N] [-j | -p]

Loads FILE.o, registers every struct_ops map in it (or those named with --map) and holds
the registrations while showing what the programs count, until one of:

  Ctrl-C (SIGINT), SIGTERM, SIGHUP  detaches, then ends by that signal
  --seconds N elapsed            detaches, exit status 0
  the registration ended underneath: a link detached by another process
  (bpftool link detach) or by the kernel (a module going away), a legacy map
  unregistered by another process, or a sched_ext scheduler exiting (the
  watchdog ejected it, or it hit an error)                  exit status 3

Link maps (SEC(".struct_ops.link")) are registered through links held by this process, so
they end with it even if it is killed; legacy maps (SEC(".struct_ops")) are registered with
the map and unregistered when the run ends (not after SIGKILL: prefer link maps).
When it ends, it prints why; for a sched_ext scheduler with the user_exit_info record
(UEI_DEFINE), the exit kind, reason and message the scheduler recorded.

  --map NAME              register only this map (repeatable)
  --set MAP.MEMBER=VALUE  set a struct_ops member before load (e.g. s15_run_link.name=cc2;
                          a function-pointer member takes a program name), checked by type
  --rodata VAR=VALUE      set a const volatile tunable before load, checked by type
  --events MAP[:TYPE]     print the records of ring buffer MAP as they arrive, decoded as
                          the object's BTF type TYPE (struct/typedef name; hex without)
  --interval SECONDS      refresh period of the view (default 1)
  --seconds N             end after N seconds
  -j, --json              one JSON object per line: "registered", then "interval" per
                          refresh (values and rates_per_s by section/map), "ended" last,
                          then {"error": ...} when the exit status is not 0 (-p indents)

The view: .bss/.data globals (integers with rates per second; long arrays are skipped),
refreshed in place on a terminal (honours NO_COLOR and the terminal width), plain lines
"<elapsed>s <section> <name> <value> <rate>/s" when stdout is not a terminal.

Exit status: 0 --seconds elapsed; 1 open/load/register failed, or something could not be
detached (the message says what remains); 2 usage error; 3 the registration ended
underneath (reason printed); 130/143/129 ended by SIGINT/SIGTERM/SIGHUP after detaching (the process
re-raises the signal, so systemd and shells see a normal signal exit). Needs root.`;

/** A number of seconds from the command line. @throws {UsageError} outside min..max */
function seconds(args: ParsedArgs, name: string, min: number, max: number): number | undefined {
  const text = flag(args, name);
  if (text === undefined) return undefined;
  const n = /^\d+(\.\d+)?$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isFinite(n) || n < min || n > max) {
    throw new UsageError(`--${name} must be a number of seconds from ${min} to ${max}, got ${JSON.stringify(text)}`);
  }
  return n;
}

function makeView(args: ParsedArgs, io: CommandIo): { view: LiveView; dispose(): void } {
  if (io.json) {
    return { view: new JsonView(io.out, hasFlag(args, 'pretty') ? 2 : 0), dispose: () => undefined };
  }
  if (process.stdout.isTTY !== true) return { view: new PlainView(io.out), dispose: () => undefined };
  const tty = new TtyView(stdoutTerminal(), colourAllowed(true));
  return { view: tty, dispose: watchResize(() => tty.resized()) };
}

async function run(args: ParsedArgs, io: CommandIo): Promise<number> {
  if (args.positionals.length !== 1) throw new UsageError('expected one object file');
  const intervalS = seconds(args, 'interval', 0.05, 3600) ?? 1;
  const limit = seconds(args, 'seconds', 0.001, 31_536_000);
  const { view, dispose } = makeView(args, io);
  // Before anything is registered: from here SIGINT/SIGTERM only ask the run to end.
  const stop = new StopRequests();
  try {
    const report = await runSession({
      file: args.positionals[0], maps: flagValues(args, 'map'), sets: flagValues(args, 'set'),
      rodata: flagValues(args, 'rodata'), events: flagValues(args, 'events').map(parseEventSpec), intervalMs: intervalS * 1000, seconds: limit, view, io, stop, perCpu: perCpuArrays,
    });
    view.close();
    if (stop.signal) return stop.reraise(); // detached: now end the way the signal asked
    if (!report) return EXIT_FAIL;
    // Ended underneath or failed: the one error path says so too ({"error"} under --json).
    if (report.exitStatus !== 0) io.fail(report.message);
    return report.exitStatus;
  } catch (err) {
    view.close();
    throw err; // printed by the CLI's one error path (exit 1, 2 for usage)
  } finally {
    stop.dispose();
    dispose();
  }
}

/** `struct-ops run FILE.o ...`: hold registrations in the foreground with a live view. */
export const runCommand: Command = {
  name: 'run',
  summary: 'register an object\'s struct_ops and hold them in the foreground with a live view (root)',
  usage: USAGE,
  flags: [
    { name: 'map', value: true, multiple: true }, { name: 'set', value: true, multiple: true },
    { name: 'rodata', value: true, multiple: true }, { name: 'events', value: true, multiple: true }, { name: 'interval', value: true }, { name: 'seconds', value: true },
  ],
  run,
};
