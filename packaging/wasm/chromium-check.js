// Opens a page in headless Chromium (Debian's `chromium`, a fresh profile) and reports what happened:
//   node --experimental-websocket packaging/wasm/chromium-check.js URL SECONDS [SHOT.png]
// prints the page's console messages and uncaught exceptions as they come (CONSOLE/EXCEPTION lines with
// the seconds since navigation), after SECONDS its text (BODY) and, given a file, a screenshot. Node 20's
// fetch and (flagged) WebSocket talk the DevTools protocol; nothing to install.
// Also a module: `openChromium()` gives the same browser to scripts that wait for a console line, press
// keys and take screenshots (tests/browser/browser_console.js).
const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');

const kChromiumFlags = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run'];

// Starts chromium on about:blank and attaches to its page. Resolves to a session:
//   send(method, params)            a DevTools command, resolves to its result
//   navigate(url)                   Page.navigate; console times count from here
//   waitForConsole(regex, ms)       the first console line (since navigation) matching, or null on timeout
//   lines                           every console line and exception since navigation, as printed
//   screenshot(file)                a PNG of the viewport; resolves to its size in bytes
//   keyDown(key), keyUp(key)        a key ('w', 'ArrowUp', …) pressed or released on the focused element
//   close()                         ends chromium and removes the profile
// `onLine(text)` is called with each console line as it comes.
function openChromium({ windowSize = '1600,1000', timeoutMs = 30000, onLine = () => {} } = {}) {
  const profile = fs.mkdtempSync(os.tmpdir() + '/fleetdeck-chromium-');
  const chrome = spawn('chromium', [...kChromiumFlags, `--user-data-dir=${profile}`, '--remote-debugging-port=0',
    `--window-size=${windowSize}`, 'about:blank'], { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  const exited = new Promise(resolve => chrome.on('exit', resolve));
  const close = async () => {
    // Its own process group (detached): the helpers (zygote, GPU, network) end with it.
    if (chrome.exitCode === null && chrome.signalCode === null) {
      try { process.kill(-chrome.pid, 'SIGTERM'); } catch (e) { chrome.kill(); }
    }
    await exited;
    // Chromium's helper processes may still be writing to the profile for a moment.
    try { fs.rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 }); } catch (e) {
      console.error(`left ${profile}: ${e.message}`);
    }
  };
  return new Promise((resolve, reject) => {
    let err = '';
    const giveUp = setTimeout(() => { close(); reject(new Error(`no answer from chromium: ${err.slice(0, 1500)}`)); }, timeoutMs);
    chrome.on('error', e => { clearTimeout(giveUp); close(); reject(e); });
    chrome.stderr.on('data', async d => {
      err += d;
      const m = /DevTools listening on (ws:\S+)/.exec(err);
      if (!m || chrome.started) return;
      chrome.started = true;
      clearTimeout(giveUp);
      try {
        const port = new URL(m[1]).port;
        const targets = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json();
        const ws = new WebSocket(targets.find(t => t.type === 'page').webSocketDebuggerUrl);
        let id = 0; const pending = new Map();
        const send = (method, params = {}) => new Promise(r => { const i = ++id; pending.set(i, r); ws.send(JSON.stringify({ id: i, method, params })); });
        const session = { send, close, lines: [], t0: Date.now(), waiters: [] };
        const record = text => {
          session.lines.push(text);
          onLine(text);
          session.waiters = session.waiters.filter(w => !(w.regex.test(text) && (w.resolve(text), true)));
        };
        ws.onmessage = ev => {
          const msg = JSON.parse(ev.data);
          if (msg.id && pending.has(msg.id)) { pending.get(msg.id)(msg.result); pending.delete(msg.id); return; }
          const t = ((Date.now() - session.t0) / 1000).toFixed(2);
          if (msg.method === 'Runtime.consoleAPICalled') record(`CONSOLE ${t}s ${msg.params.args.map(a => a.value ?? a.description).join(' ')}`);
          if (msg.method === 'Runtime.exceptionThrown') record(`EXCEPTION ${t}s ${JSON.stringify(msg.params.exceptionDetails).slice(0, 800)}`);
        };
        await new Promise(r => ws.onopen = r);
        await send('Runtime.enable'); await send('Page.enable');
        session.navigate = async url => { session.lines = []; session.t0 = Date.now(); await send('Page.navigate', { url }); };
        session.waitForConsole = (regex, ms) => {
          const seen = session.lines.find(l => regex.test(l));
          if (seen) return Promise.resolve(seen);
          return new Promise(r => {
            const waiter = { regex, resolve: r };
            session.waiters.push(waiter);
            setTimeout(() => { session.waiters = session.waiters.filter(w => w !== waiter); r(null); }, ms).unref();
          });
        };
        session.screenshot = async file => {
          const s = await send('Page.captureScreenshot', { format: 'png' });
          const bytes = Buffer.from(s.data, 'base64');
          fs.writeFileSync(file, bytes);
          return bytes.length;
        };
        const keys = { w: ['KeyW', 87], a: ['KeyA', 65], s: ['KeyS', 83], d: ['KeyD', 68],
          ArrowUp: ['ArrowUp', 38], ArrowDown: ['ArrowDown', 40], ArrowLeft: ['ArrowLeft', 37], ArrowRight: ['ArrowRight', 39] };
        const keyEvent = (type, key) => {
          const [code, windowsVirtualKeyCode] = keys[key];
          return send('Input.dispatchKeyEvent', { type, key, code, windowsVirtualKeyCode,
            text: type === 'keyDown' && key.length === 1 ? key : undefined });
        };
        session.keyDown = key => keyEvent('keyDown', key);
        session.keyUp = key => keyEvent('keyUp', key);
        resolve(session);
      } catch (e) { close(); reject(e); }
    });
  });
}

module.exports = { openChromium };

if (require.main === module) {
  const [url, seconds, shot] = [process.argv[2], Number(process.argv[3] || 15), process.argv[4]];
  (async () => {
    const page = await openChromium({ onLine: console.log });
    try {
      await page.navigate(url);
      await new Promise(r => setTimeout(r, seconds * 1000));
      const text = await page.send('Runtime.evaluate', { expression: 'document.body ? document.body.innerText : ""' });
      console.log('BODY', JSON.stringify(text?.result?.value ?? '').slice(0, 2000));
      if (shot) {
        await page.screenshot(shot);
        console.log('SCREENSHOT', shot);
      }
    } finally { await page.close(); }
  })().catch(e => { console.error(e.message || e); process.exit(1); });
}
