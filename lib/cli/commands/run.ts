import { BpfError } from '../../index';
import { flag, hasFlag, ParsedArgs } from '../args';
import { CliIo, Command, EXIT_FAIL, EXIT_USAGE } from '../command';
import { reportError } from '../errors';
import { toJson } from '../format/json';
import { runSession } from '../run/session';
import { StopRequests } from '../run/stop';
import { JsonView } from '../view/json-view';
import type { LiveView } from '../view/model';
import { PlainView } from '../view/plain-view';
import { colourAllowed } from '../view/style';
import { TtyView } from '../view/tty-view';

const USAGE = `Usage: struct-ops run FILE.o [--map NAME]... [--set MAP.MEMBER=VALUE]...
                      [--rodata VAR=VALUE]... [--interval SECONDS] [--seconds N] [--json]

Loads FILE.o, registers every struct_ops map in it (or those named with --map) and holds
the registrations while showing what the programs count, until one of:

  Ctrl-C (SIGINT) or SIGTERM     detaches, then ends by that signal
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
  --interval SECONDS      refresh period of the view (default 1)
  --seconds N             end after N seconds
  --json                  one JSON object per line: "registered", then "interval" per
                          refresh (values and rates_per_s by section/map), "ended" last

The view: .bss/.data globals (integers with rates per second; long arrays are skipped),
refreshed in place on a terminal (honours NO_COLOR and the terminal width), plain lines
"<elapsed>s <section> <name> <value> <rate>/s" when stdout is not a terminal.

Exit status: 0 --seconds elapsed; 1 open/load/register failed, or something could not be
detached (the message says what remains); 2 usage error; 3 the registration ended
underneath (reason printed); 130/143 ended by SIGINT/SIGTERM after detaching (the process
re-raises the signal, so systemd and shells see a normal signal exit). Needs root.`;

function number(args: ParsedArgs, name: string, io: CliIo, min: number, max: number): number | undefined | null {
  const text = flag(args, name);
  if (text === undefined) return undefined;
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
    io.err(`struct-ops run: --${name} must be a number of seconds in ${min}..${max}, got ${JSON.stringify(text)}`);
    return null;
  }
  return n;
}

async function run(args: ParsedArgs, io: CliIo): Promise<number> {
  if (args.positionals.length !== 1) {
    io.err(`struct-ops run: expected one object file\n\n${USAGE}`);
    return EXIT_USAGE;
  }
  const interval = number(args, 'interval', io, 0.05, 3600);
  const seconds = number(args, 'seconds', io, 0.001, 31_536_000);
  if (interval === null || seconds === null) return EXIT_USAGE;
  const json = hasFlag(args, 'json');
  const tty = !json && process.stdout.isTTY === true;
  let view: LiveView;
  let onResize: (() => void) | undefined;
  if (json) view = new JsonView(io.out);
  else if (tty) {
    const ttyView = new TtyView({ write: (s) => void process.stdout.write(s), columns: () => process.stdout.columns ?? 80 }, colourAllowed(true));
    onResize = () => ttyView.resized();
    process.stdout.on('resize', onResize);
    view = ttyView;
  } else view = new PlainView(io.out);
  const stop = new StopRequests();
  try {
    const report = await runSession({
      file: args.positionals[0], maps: args.flags.get('map') ?? [], sets: args.flags.get('set') ?? [],
      rodata: args.flags.get('rodata') ?? [], intervalMs: (interval ?? 1) * 1000, seconds, view, io, stop,
    });
    view.close();
    if (stop.signal) return stop.reraise(); // detached: now end the way the signal asked
    return report?.exitStatus ?? EXIT_FAIL;
  } catch (err) {
    view.close();
    if (json && err instanceof BpfError) {
      io.out(toJson({ error: err.message, hint: err.hint }));
      return EXIT_FAIL;
    }
    return reportError(io, 'run', err);
  } finally {
    stop.dispose();
    if (onResize) process.stdout.removeListener('resize', onResize);
  }
}

/** `struct-ops run FILE.o ...`: hold registrations in the foreground with a live view. */
export const runCommand: Command = {
  name: 'run',
  summary: 'register an object\'s struct_ops and hold them in the foreground with a live view (root)',
  usage: USAGE,
  flags: [
    { name: 'map', value: true }, { name: 'set', value: true }, { name: 'rodata', value: true },
    { name: 'interval', value: true }, { name: 'seconds', value: true }, { name: 'json', value: false },
  ],
  run,
};
