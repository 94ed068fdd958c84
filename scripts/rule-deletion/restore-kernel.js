'use strict';
/**
 * Puts the kernel back after a rule-deletion run of kernel tests: a deleted rule can sit on
 * a test's cleanup path, and what that test leaves registered (swap_b held by a link pinned
 * in /sys/fs/bpf/struct-ops-test-<pid>-N, say) would fail every later run that uses the same
 * names, so their verdicts would say nothing.
 *
 *   node scripts/rule-deletion/restore-kernel.js snapshot         prints the struct_ops map ids as JSON
 *   node scripts/rule-deletion/restore-kernel.js restore IDS.json  removes the test pin dirs of
 *        dead processes, unmounts the bpffs mounts of test temp dirs (emptied first),
 *        unregisters every struct_ops map not in IDS.json, prints what it did
 *
 * Run under the kernel lock (rule-deletion.js does), so no live test's state is touched.
 */
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const BPFFS = '/sys/fs/bpf';
const TEST_PIN_DIR = /^struct-ops-test-(\d+)-\d+$/;

function structOpsIds() {
  const out = execFileSync('bpftool', ['-j', 'struct_ops', 'show'], { encoding: 'utf8' }).trim();
  // bpftool prints one JSON value per map on some versions, an array on others.
  const parsed = out === '' ? [] : JSON.parse(out.startsWith('[') ? out : `[${out.replace(/}\s*{/g, '},{')}]`);
  return parsed.map((m) => m.id);
}

/** bpf filesystems mounted inside a test's temp directory (os.tmpdir()/struct-ops-test-*). */
function testBpffsMounts() {
  const tmp = require('node:os').tmpdir();
  return fs.readFileSync('/proc/self/mounts', 'utf8').split('\n').map((l) => l.split(' '))
    .filter((f) => f[2] === 'bpf' && f[1].startsWith(path.join(tmp, 'struct-ops-test-')))
    .map((f) => f[1].replace(/\\040/g, ' '))
    .sort((a, b) => b.length - a.length);
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

function restore(before) {
  const done = [];
  let entries = [];
  try {
    entries = fs.readdirSync(BPFFS);
  } catch { /* no bpffs: nothing pinned */ }
  for (const name of entries) {
    const m = TEST_PIN_DIR.exec(name);
    if (m && !alive(Number(m[1]))) {
      fs.rmSync(path.join(BPFFS, name), { recursive: true, force: true });
      done.push(`removed ${BPFFS}/${name}`);
    }
  }
  // bpffs mounts tests make in temp directories (mkdtemp struct-ops-test-*): under the lock
  // no test runs, so any such mount is a leftover. Unpinning what it holds releases it.
  for (const mountPoint of testBpffsMounts()) {
    for (const name of fs.readdirSync(mountPoint)) {
      if (name !== 'maps.debug' && name !== 'progs.debug') fs.rmSync(path.join(mountPoint, name), { recursive: true, force: true });
    }
    execFileSync('umount', [mountPoint]);
    fs.rmSync(mountPoint, { recursive: true, force: true });
    done.push(`unmounted the bpffs at ${mountPoint}`);
  }
  // A removed pin releases its link and the map with it, a moment later.
  const fresh = () => structOpsIds().filter((id) => !before.includes(id));
  for (let i = 0; i < 50 && fresh().length > 0; i++) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 40);
  for (const id of fresh()) {
    try {
      execFileSync('bpftool', ['struct_ops', 'unregister', 'id', String(id)], { stdio: 'ignore' });
      done.push(`unregistered struct_ops map ${id}`);
    } catch {
      // Held by a link or a pin elsewhere: reported, the next run will show it.
      done.push(`could not unregister struct_ops map ${id}`);
    }
  }
  return done;
}

if (require.main === module) {
  const [cmd, file] = process.argv.slice(2);
  if (cmd === 'snapshot') process.stdout.write(JSON.stringify(structOpsIds()) + '\n');
  else if (cmd === 'restore' && file) process.stdout.write(JSON.stringify(restore(JSON.parse(fs.readFileSync(file, 'utf8')))) + '\n');
  else {
    process.stderr.write('usage: restore-kernel.js snapshot | restore IDS.json\n');
    process.exit(2);
  }
}

module.exports = { restore, structOpsIds };
