// Letting go in the browser console (packaging/wasm/README.md, "What differs"), with the real
// fleetdeckd and real headless Chromium, judged by the backend's audit of each lease (its drive
// command count):
// - Keyboard: W held drives; after the window loses focus (blur) driving stops, and the browser's key
//   repeats of the W still held (which Qt 5.15's wasm plugin would pass on as fresh presses) do not
//   start it again.
// - Gamepad, through a stand-in for navigator.getGamepads() (headless Chromium has no pads): A held
//   with the left stick up drives; the pad vanishing mid-drive stops it.
// A baseline from the same run, W held for the same second and let go, says how many commands that
// second sends on this machine (timers run late under load: 5 to 10 at a load average of 8 on two
// cores, not 20); a phase that must not drive lasts 5 s, long enough to stand well clear of it.
//   node --experimental-websocket tests/browser/browser_teleop_input.js --fleetdeckd BIN --source DIR --out DIR
// Exits 77 (CTest's skip) with a SKIPPED line when there is no console build or no chromium.
const { startBackend, stopBackend, waitForAudit, firstRobots, fail, webRoot } = require('./browser_console.js');

const kOperator = 'browser-input-test';
const kDriveMs = 1000;
const kMustNotDriveMs = 5000;
const sleep = ms => new Promise(r => setTimeout(r, ms));

// Opens the console aimed at `robot` with its lease, runs `act(page)`, closes the page (which ends the
// lease) and returns the lease's audit record, or null after a failure was reported.
async function drive(backend, robot, act) {
  const load = await firstRobots(backend.port, `?operator=${kOperator}&select=${robot}&take-control`, async (page, result) => {
    const acquired = await waitForAudit(backend, a => a.event === 'lease_acquired' && a.robot_id === robot
      && a.operator === kOperator, 30000);
    if (!acquired) return fail(`no lease on ${robot} for ${kOperator}`, page.lines, backend);
    await page.send('Runtime.evaluate', { expression: 'document.querySelector("#qtcanvas").focus()' });
    await act(page);
    result.acted = true;
  });
  if (!load.acted) {
    if (!load.robots) fail(`no robots drawn when opened to drive ${robot}`, load.lines, backend);
    return null;
  }
  const ended = await waitForAudit(backend, a => a.event === 'lease_ended' && a.robot_id === robot, 20000);
  if (!ended) fail(`the lease on ${robot} did not end when the page closed`, null, backend);
  return ended;
}

// Drove (forward, more than the take-control and release stops), and no more than twice the
// baseline's commands: a console that drove on through the 5 s that must not drive sends about
// five times the baseline more.
function judge(what, ended, baseline, lines, backend) {
  const most = 2 * baseline.commands + 3;
  console.log(`${what}: ${ended.commands} commands, max ${ended.max_linear_mps} m/s (baseline ${baseline.commands}; at most ${most})`);
  if (!(ended.max_linear_mps > 0 && ended.commands >= 3))
    fail(`${what}: it never drove (${ended.commands} commands at up to ${ended.max_linear_mps} m/s)`, lines, backend);
  else if (ended.commands > most)
    fail(`${what}: ${ended.commands} commands, baseline ${baseline.commands}: it drove on when it had to stop`, lines, backend);
}

// W held for kDriveMs, then let go.
async function baseline(backend) {
  const ended = await drive(backend, 'nb-0045', async page => {
    await page.keyDown('w');
    await sleep(kDriveMs);
    await page.keyUp('w');
    await sleep(500);
  });
  if (ended) console.log(`baseline, W held for ${kDriveMs} ms: ${ended.commands} commands, max ${ended.max_linear_mps} m/s`);
  if (ended && !(ended.max_linear_mps > 0))
    fail('baseline: W held did not drive', null, backend);
  return ended;
}

async function keyboard(backend, base) {
  let lines = [];
  const ended = await drive(backend, 'nb-0043', async page => {
    await page.keyDown('w');
    await sleep(kDriveMs);
    await page.send('Runtime.evaluate', { expression: 'window.dispatchEvent(new FocusEvent("blur"))' });
    // W still held: the browser repeats it every 50 ms.
    for (let t = 0; t < kMustNotDriveMs; t += 50) {
      await page.send('Input.dispatchKeyEvent', { type: 'keyDown', key: 'w', code: 'KeyW', windowsVirtualKeyCode: 87,
        autoRepeat: true, text: 'w' });
      await sleep(50);
    }
    await page.keyUp('w');
    lines = page.lines;
  });
  if (ended) judge('keyboard, W held through a blur', ended, base, lines, backend);
}

async function gamepad(backend, base) {
  const pad = (connected, a, leftY) => `
    window.fakePads = [${connected ? `{ connected: true, id: "Test pad (STANDARD GAMEPAD)", index: 0, mapping: "standard",
      timestamp: performance.now(), axes: [0, ${leftY}, 0, 0],
      buttons: [{ pressed: ${a}, value: ${a ? 1 : 0} }, { pressed: false, value: 0 }] }` : 'null'}];
    Object.defineProperty(navigator, "getGamepads", { value: () => window.fakePads, configurable: true });`;
  let lines = [];
  const ended = await drive(backend, 'nb-0044', async page => {
    await page.send('Runtime.evaluate', { expression: pad(true, false, 0) });
    await sleep(1000);   // seen at the idle poll rate, then polled at the send rate
    await page.send('Runtime.evaluate', { expression: pad(true, true, -1) });
    await sleep(kDriveMs);
    await page.send('Runtime.evaluate', { expression: pad(false, false, 0) });
    await sleep(kMustNotDriveMs);
    lines = page.lines;
  });
  if (ended) judge('gamepad, A held until the pad vanished', ended, base, lines, backend);
}

(async () => {
  const backend = await startBackend();
  console.log(`fleetdeckd on port ${backend.port}, serving ${webRoot}`);
  try {
    const base = await baseline(backend);
    if (base) {
      await keyboard(backend, base);
      await gamepad(backend, base);
    }
  } finally { await stopBackend(backend); }
  if (!process.exitCode) console.log('PASS');
  process.exit();
})().catch(e => { console.log(`FAIL: ${e.stack || e}`); process.exit(1); });
