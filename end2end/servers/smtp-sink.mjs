// A real SMTP server for the browser tests: it accepts every message the app sends, parses it,
// keeps it in memory and shows it over a small HTTP API, so a test reads its one-time code
// the way a person reads their inbox.
//
//   SMTP_PORT (3925)  SMTP, no TLS, AUTH optional (any credentials)
//   HTTP_PORT (3926)  GET  /messages[?to=ADDR]           JSON list, oldest first
//                     GET  /otp?to=ADDR[&after=ID][&wait=MS]  {code, id} of the newest code after ID
//                     DELETE /messages                   forget everything
//                     POST /fail?to=ADDR[&count=N][&code=451]  refuse the next N messages to ADDR
//                                                        (retry tests; other tests' mail still goes through)
//                     GET  /healthz
import { createServer } from 'node:http';
import { SMTPServer } from 'smtp-server';
import { simpleParser } from 'mailparser';

const smtpPort = Number(process.env.SMTP_PORT ?? 3925);
const httpPort = Number(process.env.HTTP_PORT ?? 3926);

/** @type {{id:number, from:string, to:string[], subject:string, text:string, html:string, receivedAt:string}[]} */
let messages = [];
let nextId = 1;
/** Refusals still to come, by recipient address. */
const failures = new Map();
const waiters = new Set();

const smtp = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS'],
  allowInsecureAuth: true,
  logger: false,
  onAuth(auth, _session, cb) {
    cb(null, { user: auth.username });
  },
  onData(stream, session, cb) {
    simpleParser(stream)
      .then((mail) => {
        const to = session.envelope.rcptTo.map((r) => r.address.toLowerCase());
        const refusal = to.map((a) => failures.get(a)).find((f) => f && f.count > 0);
        if (refusal) {
          refusal.count -= 1;
          const err = new Error('Temporary failure (test)');
          err.responseCode = refusal.code;
          return cb(err);
        }
        const msg = {
          id: nextId++,
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to,
          subject: mail.subject ?? '',
          text: mail.text ?? '',
          html: typeof mail.html === 'string' ? mail.html : '',
          receivedAt: new Date().toISOString(),
        };
        messages.push(msg);
        console.log(`smtp-sink: #${msg.id} to ${to.join(', ')}: ${msg.subject}`);
        for (const w of waiters) w();
        cb();
      })
      .catch((e) => cb(e));
  },
});

function findCode(to, after) {
  const list = messages.filter((m) => m.id > after && m.to.includes(to));
  for (let i = list.length - 1; i >= 0; i--) {
    const codes = list[i].text.match(/\b\d{6}\b/g);
    if (codes) return { code: codes[codes.length - 1], id: list[i].id };
  }
  return null;
}

function send(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

const http = createServer(async (req, res) => {
  const url = new URL(req.url ?? '/', `http://127.0.0.1:${httpPort}`);
  const to = (url.searchParams.get('to') ?? '').toLowerCase();
  if (req.method === 'GET' && url.pathname === '/healthz') {
    res.writeHead(200, { 'content-type': 'text/plain' });
    return res.end('ok');
  }
  if (req.method === 'GET' && url.pathname === '/messages') {
    return send(res, 200, to ? messages.filter((m) => m.to.includes(to)) : messages);
  }
  if (req.method === 'DELETE' && url.pathname === '/messages') {
    messages = [];
    return send(res, 200, { cleared: true });
  }
  if (req.method === 'POST' && url.pathname === '/fail') {
    if (!to) return send(res, 400, { error: 'give ?to=ADDRESS: only mail to it is refused' });
    const refusal = { count: Number(url.searchParams.get('count') ?? 1), code: Number(url.searchParams.get('code') ?? 451) };
    failures.set(to, refusal);
    return send(res, 200, { to, ...refusal });
  }
  if (req.method === 'GET' && url.pathname === '/otp') {
    if (!to) return send(res, 400, { error: 'give ?to=ADDRESS' });
    const after = Number(url.searchParams.get('after') ?? 0);
    const wait = Math.min(Number(url.searchParams.get('wait') ?? 0), 10_000);
    let found = findCode(to, after);
    if (!found && wait > 0) {
      found = await new Promise((resolve) => {
        const check = () => {
          const f = findCode(to, after);
          if (f) done(f);
        };
        const done = (f) => {
          clearTimeout(timer);
          waiters.delete(check);
          resolve(f);
        };
        const timer = setTimeout(() => done(null), wait);
        waiters.add(check);
      });
    }
    return found ? send(res, 200, found) : send(res, 404, { error: `no code to ${to} after #${after}` });
  }
  send(res, 404, { error: 'unknown endpoint' });
});

smtp.listen(smtpPort, '127.0.0.1', () => console.log(`smtp-sink: SMTP on 127.0.0.1:${smtpPort}`));
http.listen(httpPort, '127.0.0.1', () => console.log(`smtp-sink: HTTP API on 127.0.0.1:${httpPort}`));

function stop() {
  smtp.close(() => {});
  http.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 1000).unref();
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
