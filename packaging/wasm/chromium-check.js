// Opens a page in headless Chromium (Debian's `chromium`, a fresh profile) and reports what happened:
//   node --experimental-websocket packaging/wasm/chromium-check.js URL SECONDS [SHOT.png]
// prints the page's console messages and uncaught exceptions as they come (CONSOLE/EXCEPTION lines with
// the seconds since navigation), after SECONDS its text (BODY) and, given a file, a screenshot. Node 20's
// fetch and (flagged) WebSocket talk the DevTools protocol; nothing to install.
const { spawn } = require('child_process');
const fs = require('fs');
const [url, seconds, shot] = [process.argv[2], Number(process.argv[3] || 15), process.argv[4]];
const profile = fs.mkdtempSync(require('os').tmpdir() + '/fleetdeck-chromium-');
const chrome = spawn('chromium', ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run', `--user-data-dir=${profile}`,
  '--remote-debugging-port=0', '--window-size=1600,1000', 'about:blank'], { stdio: ['ignore', 'ignore', 'pipe'] });
const done = code => {
  chrome.on('exit', () => { fs.rmSync(profile, { recursive: true, force: true }); process.exit(code); });
  chrome.kill();
};
let err = '';
chrome.stderr.on('data', async d => {
  err += d;
  const m = /DevTools listening on (ws:\S+)/.exec(err);
  if (!m || chrome.started) return;
  chrome.started = true;
  try {
    const port = new URL(m[1]).port;
    const targets = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json();
    const ws = new WebSocket(targets.find(t => t.type === 'page').webSocketDebuggerUrl);
    let id = 0; const pending = new Map();
    const send = (method, params = {}) => new Promise(r => { const i = ++id; pending.set(i, r); ws.send(JSON.stringify({ id: i, method, params })); });
    const t0 = Date.now();
    ws.onmessage = ev => {
      const msg = JSON.parse(ev.data);
      if (msg.id && pending.has(msg.id)) { pending.get(msg.id)(msg.result); pending.delete(msg.id); return; }
      const t = ((Date.now() - t0) / 1000).toFixed(2);
      if (msg.method === 'Runtime.consoleAPICalled') console.log(`CONSOLE ${t}s`, msg.params.args.map(a => a.value ?? a.description).join(' '));
      if (msg.method === 'Runtime.exceptionThrown') console.log(`EXCEPTION ${t}s`, JSON.stringify(msg.params.exceptionDetails).slice(0, 800));
    };
    await new Promise(r => ws.onopen = r);
    await send('Runtime.enable'); await send('Page.enable');
    await send('Page.navigate', { url });
    await new Promise(r => setTimeout(r, seconds * 1000));
    const text = await send('Runtime.evaluate', { expression: 'document.body ? document.body.innerText : ""' });
    console.log('BODY', JSON.stringify(text?.result?.value ?? '').slice(0, 2000));
    if (shot) {
      const s = await send('Page.captureScreenshot', { format: 'png' });
      fs.writeFileSync(shot, Buffer.from(s.data, 'base64'));
      console.log('SCREENSHOT', shot);
    }
    done(0);
  } catch (e) { console.error(e); done(1); }
});
setTimeout(() => { console.error('no answer from chromium:', err.slice(0, 1500)); done(2); }, (seconds + 30) * 1000);
