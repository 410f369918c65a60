#!/usr/bin/env node
'use strict';
/*
 * Checks that the vitest UI shows the zdtm tests in a real browser, and screenshots it.
 *
 *   node scripts/vitest-ui-screenshot.js [options] [-- extra vitest arguments]
 *
 * Starts `vitest --ui --watch --project PROJECT` on 127.0.0.1:PORT (run as root after
 * `npm run build`: the zdtm tests need dist/, the zdtm binaries and root), starts headless
 * Chromium with a new empty profile, opens http://127.0.0.1:PORT/__vitest__/, polls the page
 * until the run has ended (no progress bar, every test counted on the dashboard, twice in a
 * row), and writes into OUT_DIR:
 *   PREFIX-list.png     the dashboard and the test tree with each test's result and time
 *   PREFIX-detail.png   one test's Report tab: its error (if any), annotations, logs
 *   PREFIX-console.png  that test's Console tab, when it printed anything
 * then stops Chromium and vitest (the process groups it started, by PID) and exits 0 when the
 * outcome is the expected one (--expect), 1 when not, 2 on a setup error.
 *
 * Options (defaults in brackets):
 *   --project NAME   vitest project [zdtm-quick]
 *   --port N         UI port, strict: fails if taken [51204]
 *   --out DIR        where the PNGs go [docs/img]
 *   --prefix NAME    file name prefix [PROJECT]
 *   --detail NAME    the test whose detail is shot, as the tree shows it, e.g. "sse_regs (h)"
 *                    [the first failed test, else the first test]
 *   --expect pass|fail  pass: no test failed and some passed; fail: some test failed [pass]
 *   --timeout S      give up waiting for the run after S seconds [1800]
 *   --width N --height N  viewport [1280x800]
 * Environment: CHROMIUM [/usr/bin/chromium], PLAYWRIGHT_CORE (the playwright-core package dir,
 * installed outside the repo, e.g. `npm install --prefix /tmp/pw playwright-core`)
 * [/tmp/pw/node_modules/playwright-core]. Everything else in the environment goes to vitest,
 * so ZDTM_ITERS, ZDTM_AMBER_BIN etc. work as usual.
 *
 * Example, a failure on purpose (the corrupt-amber mutant breaks anon_private_pattern):
 *   ZDTM_ITERS=1 ZDTM_AMBER_BIN=zdtm/mutants/corrupt-amber node scripts/vitest-ui-screenshot.js \
 *     --prefix zdtm-mutant --expect fail -- -t anon_private_pattern
 */
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..');

function usage(msg) {
  if (msg) console.error(`vitest-ui-screenshot: ${msg}`);
  console.error('usage: node scripts/vitest-ui-screenshot.js [--project NAME] [--port N] [--out DIR] [--prefix NAME]\n' +
    '  [--detail TEST] [--expect pass|fail] [--timeout S] [--width N] [--height N] [-- vitest args...]');
  process.exit(msg ? 2 : 0);
}

function parseArgs(argv) {
  const o = { project: 'zdtm-quick', port: 51204, out: path.join(root, 'docs', 'img'), prefix: undefined, detail: undefined,
    expect: 'pass', timeout: 1800, width: 1280, height: 800, extra: [] };
  const ints = new Set(['port', 'timeout', 'width', 'height']);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') { o.extra = argv.slice(i + 1); break; }
    if (a === '-h' || a === '--help') usage();
    const m = /^--(project|port|out|prefix|detail|expect|timeout|width|height)(?:=(.*))?$/.exec(a);
    if (!m) usage(`unknown argument: ${a}`);
    const v = m[2] !== undefined ? m[2] : argv[++i];
    if (v === undefined) usage(`${a} needs a value`);
    if (ints.has(m[1])) {
      if (!/^\d+$/.test(v) || Number(v) < 1) usage(`${a} needs a positive integer, not "${v}"`);
      o[m[1]] = Number(v);
    } else {
      o[m[1]] = v;
    }
  }
  if (o.expect !== 'pass' && o.expect !== 'fail') usage('--expect is pass or fail');
  o.prefix ??= o.project;
  o.out = path.resolve(o.out);
  return o;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (msg) => console.log(`vitest-ui-screenshot: ${msg}`);

function httpStatus(url) {
  return new Promise((resolve) => {
    const req = http.get(url, (res) => { res.resume(); resolve(res.statusCode); });
    req.on('error', () => resolve(0));
    req.setTimeout(2000, () => { req.destroy(); resolve(0); });
  });
}

/** A child in its own process group, so that stopping it takes its children along. */
function startGroup(cmd, args, opts) {
  const child = spawn(cmd, args, { ...opts, detached: true });
  child.exited = new Promise((r) => child.on('exit', (code, sig) => r({ code, sig })));
  child.gone = false;
  child.exited.then(() => { child.gone = true; });
  return child;
}

async function stopGroup(child, name) {
  if (!child || child.pid === undefined) return;
  const signal = (sig) => { try { process.kill(-child.pid, sig); } catch { /* already gone */ } };
  signal('SIGTERM');
  const t = await Promise.race([child.exited.then(() => 'exited'), sleep(10_000).then(() => 'timeout')]);
  if (t === 'timeout') {
    log(`${name} (pid ${child.pid}) ignored SIGTERM: SIGKILL`);
    signal('SIGKILL');
    await child.exited;
  }
  // The group's other members (workers, renderers) get a moment to go too.
  for (let i = 0; i < 20; i++) {
    try { process.kill(-child.pid, 0); } catch { return; }
    await sleep(100);
  }
  signal('SIGKILL');
}

/** pid, pgrp and session of every process, from /proc/PID/stat. */
function processes() {
  const out = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const st = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
      out.push({ pid: Number(d), pgrp: Number(f[2]), sid: Number(f[3]) });
    } catch { /* gone */ }
  }
  return out;
}

/** The pids of vitest's process group (its workers): the zdtm run dirs are named after them. */
const vitestPids = new Set();
function noteVitestPids(vitest) {
  if (vitest && !vitest.gone) for (const p of processes()) if (p.pgrp === vitest.pid) vitestPids.add(p.pid);
}

/**
 * A run stopped in the middle of a case leaves that case's test program running: it daemonized
 * into a session of its own, and the worker that would have killed it is gone. Find the test
 * programs whose --pidfile lies in a run dir of our workers (ROOT/DATE-TIME-WORKERPID/) and
 * SIGKILL their sessions.
 */
function killLeftoverTests() {
  const root = process.env.AMBER_ZDTM_TMP || '/tmp/amber-zdtm';
  const re = new RegExp(`--pidfile=${root.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/\\d{8}-\\d{6}-(\\d+)/`);
  const own = processes().find((p) => p.pid === process.pid)?.sid;
  const sids = new Set();
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    let cmd;
    try { cmd = fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0').join(' '); } catch { continue; }
    const m = re.exec(cmd);
    if (!m || !vitestPids.has(Number(m[1]))) continue;
    const sid = processes().find((p) => p.pid === Number(d))?.sid;
    if (sid && sid > 1 && sid !== own) sids.add(sid);
  }
  for (const sid of sids) {
    const members = processes().filter((p) => p.sid === sid).map((p) => p.pid);
    for (const pid of members) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
    log(`killed a test left running by the stopped run: session ${sid} (pids ${members.join(' ')})`);
  }
}

/** What the dashboard and the tree say, read in the page. */
function readState() {
  const num = (id) => {
    const e = document.querySelector(`[data-testid="${id}"]`);
    return e ? parseInt(e.textContent, 10) || 0 : 0;
  };
  const icon = (row) => {
    const i = row.querySelector('[i-carbon\\:checkmark]') ? 'pass'
      : row.querySelector('[i-carbon\\:close]') ? 'fail'
        : row.querySelector('[i-carbon\\:redo]') ? 'skip' : 'other';
    return i;
  };
  const rows = [...document.querySelectorAll('.item-wrapper[aria-label]')].map((r) => ({ name: r.getAttribute('aria-label'), status: icon(r) }));
  return {
    running: !!document.querySelector('.in-progress'),
    pass: num('pass-entry'), fail: num('fail-entry'), skip: num('skipped-entry'), todo: num('todo-entry'), total: num('total-entry'),
    rows,
  };
}

/** The counts are on the dashboard, which a test's detail replaces. */
async function showDashboard(page) {
  const btn = page.locator('button[aria-label="Show dashboard"]').first();
  if (await btn.isVisible()) {
    await btn.click();
    await page.waitForTimeout(300);
  }
}

const ended = (s) => !s.running && s.total > 0 && s.pass + s.fail + s.skip + s.todo === s.total;

async function waitForEnd(page, timeoutS, vitest) {
  const deadline = Date.now() + timeoutS * 1000;
  let last = '';
  let streak = 0;
  while (Date.now() < deadline) {
    if (vitest.gone) throw new Error('vitest exited during the run');
    noteVitestPids(vitest);
    await showDashboard(page);
    const s = await page.evaluate(readState);
    const line = `pass ${s.pass}, fail ${s.fail}, skip ${s.skip}, total ${s.total}${s.running ? ' (running)' : ''}`;
    if (line !== last) { log(line); last = line; }
    streak = ended(s) ? streak + 1 : 0;
    if (streak >= 2) return s;
    await sleep(1000);
  }
  throw new Error(`the run did not end within ${timeoutS} s`);
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';
  const pwPath = process.env.PLAYWRIGHT_CORE || '/tmp/pw/node_modules/playwright-core';
  if (!fs.existsSync(chromiumPath)) usage(`no Chromium at ${chromiumPath} (apt-get install -y chromium, or set CHROMIUM)`);
  let playwright;
  try { playwright = require(pwPath); } catch (e) {
    usage(`cannot load playwright-core from ${pwPath} (npm install --prefix /tmp/pw playwright-core, or set PLAYWRIGHT_CORE): ${e.message}`);
  }
  const vitestBin = path.join(root, 'node_modules', 'vitest', 'vitest.mjs');
  if (!fs.existsSync(vitestBin)) usage(`no ${vitestBin}: npm install first`);
  fs.mkdirSync(o.out, { recursive: true });

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vitest-ui-shot-'));
  const vitestLog = path.join(tmp, 'vitest.log');
  const url = `http://127.0.0.1:${o.port}/__vitest__/`;
  let vitest;
  let chromium;
  let browser;
  let status = 2;
  let interrupted = 0;
  // Our children have process groups of their own: a ^C on the terminal would miss them.
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.once(sig, () => {
      interrupted = os.constants.signals[sig];
      log(`${sig}: stopping`);
      noteVitestPids(vitest);
      Promise.all([stopGroup(chromium, 'Chromium'), stopGroup(vitest, 'vitest')])
        .then(killLeftoverTests)
        .finally(() => process.exit(128 + os.constants.signals[sig]));
    });
  }
  try {
    // --watch: without a TTY on stdin vitest would end after the run and take the UI with it.
    const vargs = [vitestBin, '--ui', '--watch', '--project', o.project, '--api.host', '127.0.0.1',
      '--api.port', String(o.port), '--api.strictPort', '--open=false', ...o.extra];
    log(`starting vitest ${vargs.slice(1).join(' ')} (output: ${vitestLog})`);
    const out = fs.openSync(vitestLog, 'w');
    vitest = startGroup(process.execPath, vargs, { cwd: root, stdio: ['ignore', out, out], env: process.env });
    fs.closeSync(out);
    for (let i = 0; ; i++) {
      if (vitest.gone) throw new Error(`vitest exited before serving the UI:\n${fs.readFileSync(vitestLog, 'utf8')}`);
      if (await httpStatus(url) === 200) break;
      if (i > 120) throw new Error(`${url} did not answer within 60 s`);
      await sleep(500);
    }
    log(`UI up at ${url} (vitest pid ${vitest.pid})`);

    const profile = path.join(tmp, 'profile');
    fs.mkdirSync(profile);
    chromium = startGroup(chromiumPath, ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`,
      '--remote-debugging-address=127.0.0.1', '--remote-debugging-port=0', 'about:blank'], { stdio: 'ignore' });
    let cdpPort;
    for (let i = 0; !cdpPort; i++) {
      if (chromium.gone) throw new Error('Chromium exited at start');
      if (i > 150) throw new Error('Chromium wrote no DevToolsActivePort within 30 s');
      try { cdpPort = fs.readFileSync(path.join(profile, 'DevToolsActivePort'), 'utf8').split('\n')[0].trim(); } catch { /* not yet */ }
      if (!cdpPort) await sleep(200);
    }
    log(`Chromium pid ${chromium.pid}, DevTools on port ${cdpPort}`);
    browser = await playwright.chromium.connectOverCDP(`http://127.0.0.1:${cdpPort}`);
    const page = await browser.contexts()[0].newPage();
    await page.setViewportSize({ width: o.width, height: o.height });
    await page.goto(url);

    // A file change (another editor of the work tree) makes watch mode run again: retake then.
    let s;
    for (let attempt = 1; ; attempt++) {
      s = await waitForEnd(page, o.timeout, vitest);
      const files = [];
      const shot = async (name) => {
        const f = path.join(o.out, `${o.prefix}-${name}.png`);
        await page.screenshot({ path: f });
        files.push(f);
      };
      s = await page.evaluate(readState);
      if (!ended(s)) continue;
      await shot('list');

      const tests = s.rows.filter((r) => !/\.test\.[cm]?[jt]s$/.test(r.name));
      const pick = o.detail ?? (tests.find((r) => r.status === 'fail') ?? tests[0])?.name;
      if (!pick) throw new Error('the tree shows no test');
      const row = page.locator(`.item-wrapper[aria-label="${pick.replace(/"/g, '\\"')}"]`).first();
      await row.click();
      await page.waitForSelector('[data-testid="btn-report"]');
      await page.waitForTimeout(800);
      await shot('detail');
      const consoleBtn = page.locator('[data-testid="btn-console"]');
      const consoleText = (await consoleBtn.count()) ? await consoleBtn.first().textContent() : '';
      const consoleCount = Number((/\((\d+)\)/.exec(consoleText ?? '') ?? [])[1] ?? 0);
      if (consoleCount > 0) {
        await consoleBtn.first().click();
        await page.waitForTimeout(800);
        await shot('console');
      } else {
        fs.rmSync(path.join(o.out, `${o.prefix}-console.png`), { force: true });
      }
      await showDashboard(page);
      const after = await page.evaluate(readState);
      const same = ['pass', 'fail', 'skip', 'todo', 'total'].every((k) => after[k] === s[k]);
      if (ended(after) && same) {
        for (const f of files) log(`wrote ${f} (${Math.round(fs.statSync(f).size / 1024)} KB)`);
        log(`detail of: ${pick}`);
        break;
      }
      if (attempt >= 3) throw new Error('the tests kept rerunning (files changing under watch mode)');
      log('a new run started while shooting: waiting for it');
    }

    for (const r of s.rows) log(`  ${r.status.padEnd(5)} ${r.name}`);
    const outcome = s.fail > 0 ? 'fail' : s.pass > 0 ? 'pass' : 'none';
    log(`UI dashboard: pass ${s.pass}, fail ${s.fail}, skip ${s.skip}, total ${s.total}`);
    status = outcome === o.expect ? 0 : 1;
    if (status !== 0) log(`expected ${o.expect}, got ${outcome}`);
  } catch (e) {
    if (!interrupted) console.error(`vitest-ui-screenshot: ${e.message}`);
    if (vitest && fs.existsSync(vitestLog)) console.error(`vitest output: ${vitestLog}`);
    status = 2;
  } finally {
    if (browser) await browser.close().catch(() => undefined);
    noteVitestPids(vitest);
    await stopGroup(chromium, 'Chromium');
    await stopGroup(vitest, 'vitest');
    killLeftoverTests();
    // The vitest output stays for a look when something went wrong.
    if (status === 0) fs.rmSync(tmp, { recursive: true, force: true });
    else fs.rmSync(path.join(tmp, 'profile'), { recursive: true, force: true });
  }
  process.exit(interrupted ? 128 + interrupted : status);
}

main();
