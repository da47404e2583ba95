// The browser console end to end: the real fleetdeckd (--demo, 200 robots) serves the built console
// (packaging/wasm/build-console.sh) and its WebSocket on one port; real headless Chromium opens
// http://127.0.0.1:PORT/ and the test waits for the console's own line saying robots were drawn
// (app/fleetdeck/webmain.cpp prints it after the first frame with robots reached the screen), takes a
// screenshot, then takes control of a robot, holds W and checks the backend's audit of that lease.
//   node --experimental-websocket tests/browser/browser_console.js --fleetdeckd BIN --source DIR --out DIR
//        [--runs N]   (the benchmark: N cold page loads, BENCH lines, no driving)
// Exits 77 (CTest's skip) with a SKIPPED line when there is no console build or no chromium.
const { spawn, spawnSync } = require('child_process');
const fs = require('fs');
const http = require('http');
const os = require('os');
const path = require('path');

const kSkip = 77;
const kFirstRobots = /first robots drawn: (\d+) robots, (\d+) ms after navigation/;
const kRobot = 'nb-0042';
const kOperator = 'browser-test';

const args = {};
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
const source = args.source || path.resolve(__dirname, '../..');
const out = args.out || process.cwd();
const runs = Number(args.runs || 0);

const { openChromium } = require(path.join(source, 'packaging/wasm/chromium-check.js'));

function skip(why) {
  console.log(`SKIPPED: ${why}`);
  process.exit(kSkip);
}

// Decided when the test runs, not when it was configured: the console may be built later.
const webRoot = process.env.FLEETDECK_WASM_DIR || path.join(source, 'build/wasm/web');
if (!fs.existsSync(path.join(webRoot, 'fleetdeck.wasm')) || !fs.existsSync(path.join(webRoot, 'fleetdeck.html')))
  skip('no browser console build (run packaging/wasm/build-toolchain.sh and build-console.sh)');
if (spawnSync('sh', ['-c', 'command -v chromium'], { stdio: 'ignore' }).status !== 0)
  skip('no chromium (Debian package chromium)');

// fleetdeckd on a free port, its stderr kept for the audit lines and for the failure report.
function startBackend() {
  return new Promise((resolve, reject) => {
    // The audit lines are read as text, whatever the caller's environment says about logging.
    const rules = [process.env.QT_LOGGING_RULES, 'fleetdeck.teleop.info=true;fleetdeck.ws.info=true'].filter(Boolean).join(';');
    const daemon = spawn(args.fleetdeckd, ['--demo', '--robots', '200', '--port', '0', '--web-root', webRoot,
      '--log-format', 'text', '--exit-on-stdin-eof'],
    { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, QT_LOGGING_RULES: rules } });
    const backend = { daemon, stderr: '', auditWaiters: [] };
    daemon.stderr.on('data', d => {
      backend.stderr += d;
      backend.auditWaiters = backend.auditWaiters.filter(w => !w.check());
    });
    let stdout = '';
    daemon.stdout.on('data', d => {
      stdout += d;
      const m = /LISTENING ws:\/\/[^:]+:(\d+)/.exec(stdout);
      if (m && !backend.port) { backend.port = Number(m[1]); resolve(backend); }
    });
    daemon.on('exit', code => { if (!backend.port) reject(new Error(`fleetdeckd exited (${code}):\n${backend.stderr}`)); });
    setTimeout(() => reject(new Error(`fleetdeckd did not listen in 60 s:\n${backend.stderr}`)), 60000).unref();
  });
}

// The first audit record on fleetdeckd's stderr that `match` accepts, or null after `ms`.
function waitForAudit(backend, match, ms) {
  const find = () => backend.stderr.split('\n').filter(l => l.includes(' audit {'))
    .map(l => JSON.parse(l.slice(l.indexOf(' audit {') + 7))).find(match) || null;
  return new Promise(resolve => {
    const waiter = { check: () => { const a = find(); if (a) resolve(a); return a !== null; } };
    if (waiter.check()) return;
    backend.auditWaiters.push(waiter);
    setTimeout(() => resolve(null), ms).unref();
  });
}

async function stopBackend(backend) {
  backend.daemon.stdin.end();
  await new Promise(r => { if (backend.daemon.exitCode !== null) r(); else backend.daemon.on('exit', r); setTimeout(r, 15000).unref(); });
  if (backend.daemon.exitCode === null) backend.daemon.kill('SIGKILL');
}

// One page load in a fresh profile (nothing cached): ms from navigation to the console's line, as
// the test saw it and as the page measured it.
async function firstRobots(port, query, onPage) {
  const page = await openChromium();
  try {
    await page.navigate(`http://127.0.0.1:${port}/${query}`);
    const line = await page.waitForConsole(kFirstRobots, 120000);
    const seenMs = Date.now() - page.t0;
    if (!line) return { page, lines: page.lines };
    const m = kFirstRobots.exec(line);
    // When the console's main() had the .wasm downloaded, compiled and its QML loaded.
    const started = page.lines.find(l => l.includes('fleetdeck: connecting to'));
    const startedMs = started ? Math.round(Number(/^CONSOLE ([\d.]+)s/.exec(started)[1]) * 1000) : NaN;
    const result = { robots: Number(m[1]), pageMs: Number(m[2]), seenMs, startedMs, lines: page.lines };
    if (onPage) await onPage(page, result);
    return result;
  } finally { await page.close(); }
}

function fail(message, lines, backend) {
  console.log(`FAIL: ${message}`);
  if (lines) console.log(`the page's console:\n  ${lines.join('\n  ')}`);
  if (backend) console.log(`fleetdeckd's last lines:\n${backend.stderr.split('\n').slice(-25).join('\n')}`);
  process.exitCode = 1;
}

// A GET of the .wasm as a browser would send it, counting the bytes on the wire (not decoded).
function fetchWasm(port, gzip) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    let ttfb = 0, bytes = 0;
    const req = http.get({ host: '127.0.0.1', port, path: '/fleetdeck.wasm',
      headers: gzip ? { 'Accept-Encoding': 'gzip, deflate, br' } : {} }, res => {
      ttfb = Number(process.hrtime.bigint() - t0) / 1e6;
      res.on('data', d => { bytes += d.length; });
      res.on('end', () => resolve({ ttfb, total: Number(process.hrtime.bigint() - t0) / 1e6, bytes,
        encoding: res.headers['content-encoding'] || 'identity', type: res.headers['content-type'] }));
    });
    req.on('error', reject);
  });
}

const median = xs => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor((s.length - 1) / 2)]; };

async function test(backend) {
  const shot = path.join(out, 'browser-console.png');
  const load = await firstRobots(backend.port, `?operator=${kOperator}`, async (page) => {
    // Let the glide-in and the side panel settle before the picture.
    await new Promise(r => setTimeout(r, 4000));
    const size = await page.screenshot(shot);
    console.log(`SCREENSHOT ${shot} (${size} bytes)`);
    if (size < 50000) fail(`the screenshot is ${size} bytes: too plain to show a map with robots`, page.lines);
  });
  if (!load.robots) return fail('no robots drawn within 120 s', load.lines, backend);
  console.log(`first robots drawn: ${load.robots} robots, ${load.pageMs} ms after navigation (page), ${load.seenMs} ms (test)`);

  // Driving: the lease from the address (&take-control), the motion from the keyboard.
  const driven = await firstRobots(backend.port, `?operator=${kOperator}&select=${kRobot}&take-control`, async (page, result) => {
    const acquired = await waitForAudit(backend, a => a.event === 'lease_acquired' && a.robot_id === kRobot
      && a.operator === kOperator, 30000);
    if (!acquired) return fail(`no lease on ${kRobot} for ${kOperator}`, page.lines, backend);
    await page.send('Runtime.evaluate', { expression: 'document.querySelector("#qtcanvas").focus()' });
    await page.keyDown('w');
    await new Promise(r => setTimeout(r, 1000));
    const drivingShot = path.join(out, 'browser-console-driving.png');
    console.log(`SCREENSHOT ${drivingShot} (${await page.screenshot(drivingShot)} bytes)`);
    await new Promise(r => setTimeout(r, 1000));
    await page.keyUp('w');
    result.driven = true;
  });
  if (!driven.driven) return driven.robots ? undefined : fail('no robots drawn when opened to drive', driven.lines, backend);
  // Closing the page ends the lease: its audit record counts the drive commands the robot was sent.
  const ended = await waitForAudit(backend, a => a.event === 'lease_ended' && a.robot_id === kRobot, 20000);
  if (!ended) return fail(`the lease on ${kRobot} did not end when the page closed`, null, backend);
  console.log(`DRIVE ${kRobot}: ${ended.commands} commands, max ${ended.max_linear_mps} m/s, ended: ${ended.why}`);
  // Taking control alone sends one (a stop); W held sends more, with forward speed.
  if (!(ended.commands >= 2 && ended.max_linear_mps > 0))
    fail(`holding W for 2 s sent ${ended.commands} commands at up to ${ended.max_linear_mps} m/s`, driven.lines, backend);
}

async function bench(backend) {
  // Every load alike: after fleetdeckd's start-up compression (the first could otherwise get the
  // .wasm uncompressed).
  const deadline = Date.now() + 30000;
  while (!backend.stderr.includes('browser console: compressed') && Date.now() < deadline)
    await new Promise(r => setTimeout(r, 100));
  const seen = [], page = [], started = [];
  for (let i = 0; i < runs; ++i) {
    const load = await firstRobots(backend.port, `?operator=${kOperator}`);
    if (!load.robots) return fail(`run ${i + 1}: no robots drawn within 120 s`, load.lines, backend);
    console.log(`run ${i + 1}: first robots ${load.pageMs} ms (page), ${load.seenMs} ms (test); `
      + `console started ${load.startedMs} ms; load average ${os.loadavg()[0].toFixed(1)}`);
    seen.push(load.seenMs);
    page.push(load.pageMs);
    started.push(load.startedMs);
  }
  console.log(`BENCH browser_console_started_ms_median ${median(started)} ms`);
  console.log(`BENCH browser_first_robots_ms_median ${median(page)} ms`);
  console.log(`BENCH browser_first_robots_ms_max ${Math.max(...page)} ms`);
  console.log(`BENCH browser_first_robots_seen_by_test_ms_median ${median(seen)} ms`);
  // The download on its own, without a browser: the baseline the page load spends the rest beyond.
  for (const gzip of [false, true]) {
    const samples = [];
    for (let i = 0; i < 5; ++i) samples.push(await fetchWasm(backend.port, gzip));
    const name = gzip ? 'gzip' : 'identity';
    console.log(`wasm ${name}: Content-Encoding ${samples[0].encoding}, Content-Type ${samples[0].type}`);
    console.log(`BENCH wasm_ttfb_${name}_ms ${median(samples.map(s => s.ttfb)).toFixed(2)} ms`);
    console.log(`BENCH wasm_download_${name}_ms ${median(samples.map(s => s.total)).toFixed(1)} ms`);
    console.log(`BENCH wasm_bytes_${name} ${samples[0].bytes} bytes`);
  }
}

// Also a module: the same backend, page loads and verdicts for the other browser tests.
module.exports = { startBackend, stopBackend, waitForAudit, firstRobots, fail, webRoot };

if (require.main === module) {
  (async () => {
    const backend = await startBackend();
    console.log(`fleetdeckd on port ${backend.port}, serving ${webRoot}`);
    try {
      await (runs > 0 ? bench(backend) : test(backend));
    } finally { await stopBackend(backend); }
    if (!process.exitCode) console.log('PASS');
    process.exit();
  })().catch(e => { console.log(`FAIL: ${e.stack || e}`); process.exit(1); });
}
