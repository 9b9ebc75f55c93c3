// Throughput of Viva's Stripe webhook endpoint (POST /webhooks/stripe): signed events posted
// by C concurrent keep-alive connections, each answered only after Viva verified the
// signature, parsed the event (async-stripe, strict), recorded its id and, for invoice.paid,
// the payment.
//
// usage: node bench/webhooks.mjs [URL=...] [N=5000] [C=16] [SECRET=...] [KIND=invoice.paid|unknown] [DUP=0]
//        (each setting as an argument KEY=VALUE or --key=value, else from the environment)
//   URL     endpoint (http://127.0.0.1:3913/webhooks/stripe)
//   N       deliveries in all (5000)
//   C       concurrent connections (16)
//   SECRET  webhook signing secret (whsec_viva_test)
//   KIND    invoice.paid: a full invoice (amount, currency, invoice id) for a customer Viva does
//           not know, the write path; unknown: product.created, which Viva records and ignores
//   DUP     fraction of the N deliveries that redeliver an event already acknowledged (same
//           id and body, fresh signature, as Stripe retries); 0.5 = half of them (0)
//   RUN     tag in the ids, evt_bench_<RUN>_<n> and in_bench_<RUN>_<n>, so runs against one
//           data dir do not collide (default: time and pid, base 36)
//   SELFTEST=1  start a stand-in for Viva's endpoint here (signature, 300 s tolerance, the
//           required fields below, duplicate detection by id) and run the three benchmark
//           runs of bench/webhooks.sh against it, with checks; exits 0 when all pass.
// Prints one JSON line on stdout and a human line on stderr. Exits 1 on any answer other than
// 200, a failed request, or an acknowledgement that disagrees with what was sent (a first
// delivery called a duplicate, or a redelivery not called one).
import http from 'node:http';
import { createHmac, timingSafeEqual } from 'node:crypto';

const API_VERSION = '2026-09-30.endive';

// Fields async-stripe 1.0.0-rc.10 requires (async-stripe-shared/src/*.rs: `None` in the
// builder's deser_default(), so absent or null fails the whole event; a field at Some(None)
// may be left out, but when present it must parse). Enum strings are ones the crate knows.
//   Event (event.rs):                   created, data, id, livemode, pending_webhooks, type
//     [optional, sent: api_version, request{id, idempotency_key}; not sent: account, context]
//   data (notification_event_data.rs):  object   [optional: previous_attributes, not sent]
//   Invoice (invoice.rs):               amount_due, amount_overpaid, amount_paid,
//     amount_remaining, amount_shipping, attempt_count, attempted, automatic_tax,
//     collection_method, created, currency, default_tax_rates, discounts, issuer, lines,
//     livemode, payment_settings, period_end, period_start, post_payment_credit_notes_amount,
//     pre_payment_credit_notes_amount, starting_balance, status_transitions, subtotal, total
//     [optional, sent: id, customer (an id string: Expandable), status "paid", billing_reason
//     "subscription_cycle", number, currency "usd", customer_email, metadata, parent, ...]
//   AutomaticTax (automatic_tax.rs):    enabled   [disabled_reason, liability, provider, status]
//   ConnectAccountReference (issuer):   type ("self")   [account]
//   InvoicesPaymentSettings:            none      [default_mandate, payment_method_options,
//                                                  payment_method_types]
//   InvoicesResourceStatusTransitions:  none      [finalized_at, marked_uncollectible_at,
//                                                  paid_at, voided_at]
//   List<T> (async-stripe-types pagination.rs): data, has_more, url
//   InvoiceLineItem (invoice_line_item.rs): amount, currency, discountable, discounts, id,
//     livemode, metadata, period, subtotal
//     InvoiceLineItemPeriod:            end, start
//     pricing (BillingBillResourceInvoicingPricingPricing): type ("price_details")
//       price_details:                  price, product
//     parent (…LinesParentsInvoiceLineItemParent): type ("subscription_item_details")
//       subscription_item_details:      proration, subscription_item
//   Invoice.parent (…ParentsInvoiceParent): type ("subscription_details")
//     subscription_details:             subscription
//   Product (product.rs, KIND=unknown):  active, created, id, images, livemode,
//     marketing_features, metadata, name, type ("service"), updated
// The self-test checks every built event against REQUIRED.
export const REQUIRED = {
  event: ['created', 'data', 'id', 'livemode', 'pending_webhooks', 'type', 'data.object'],
  'invoice.paid': [
    'amount_due', 'amount_overpaid', 'amount_paid', 'amount_remaining', 'amount_shipping',
    'attempt_count', 'attempted', 'automatic_tax', 'automatic_tax.enabled', 'collection_method',
    'created', 'currency', 'default_tax_rates', 'discounts', 'issuer', 'issuer.type', 'lines',
    'lines.data', 'lines.has_more', 'lines.url', 'livemode', 'payment_settings', 'period_end',
    'period_start', 'post_payment_credit_notes_amount', 'pre_payment_credit_notes_amount',
    'starting_balance', 'status_transitions', 'subtotal', 'total',
    'parent.type', 'parent.subscription_details.subscription',
  ],
  line: [
    'amount', 'currency', 'discountable', 'discounts', 'id', 'livemode', 'metadata', 'period',
    'period.end', 'period.start', 'subtotal', 'pricing.type', 'pricing.price_details.price',
    'pricing.price_details.product', 'parent.type',
    'parent.subscription_item_details.proration', 'parent.subscription_item_details.subscription_item',
  ],
  'product.created': [
    'active', 'created', 'id', 'images', 'livemode', 'marketing_features', 'metadata', 'name',
    'type', 'updated',
  ],
};

const PRICE = 1200, CURRENCY = 'usd'; // the Pro plan of bench/webhooks.sh's plans file

function invoice(run, n, now) {
  const id = `in_bench_${run}_${n}`, sub = `sub_bench_${run}_${n}`;
  return {
    id, object: 'invoice',
    account_country: 'US', account_name: 'Viva bench', account_tax_ids: null,
    amount_due: PRICE, amount_overpaid: 0, amount_paid: PRICE, amount_remaining: 0,
    amount_shipping: 0, application: null, attempt_count: 1, attempted: true, auto_advance: false,
    automatic_tax: { disabled_reason: null, enabled: false, liability: null, provider: null, status: null },
    automatically_finalizes_at: null, billing_reason: 'subscription_cycle',
    collection_method: 'charge_automatically', created: now, currency: CURRENCY,
    custom_fields: null,
    customer: `cus_bench_${run}_${n}`, // unknown to Viva: the payment is recorded all the same
    customer_address: null, customer_email: `bench${n}@example.com`, customer_name: null,
    customer_phone: null, customer_shipping: null, customer_tax_exempt: 'none', customer_tax_ids: [],
    default_payment_method: null, default_source: null, default_tax_rates: [], description: null,
    discounts: [], due_date: null, effective_at: now, ending_balance: 0, footer: null,
    from_invoice: null, hosted_invoice_url: `https://invoice.stripe.com/i/acct_bench/${id}`,
    invoice_pdf: `https://pay.stripe.com/invoice/acct_bench/${id}/pdf`,
    issuer: { type: 'self' }, last_finalization_error: null, latest_revision: null,
    lines: {
      object: 'list',
      data: [{
        id: `il_bench_${run}_${n}`, object: 'line_item', amount: PRICE, currency: CURRENCY,
        description: '1 × Pro (at $12.00 / month)', discount_amounts: [], discountable: true,
        discounts: [], invoice: id, livemode: false, metadata: {},
        parent: {
          type: 'subscription_item_details', invoice_item_details: null,
          subscription_item_details: {
            invoice_item: null, proration: false, proration_details: { credited_items: null },
            subscription: sub, subscription_item: `si_bench_${run}_${n}`,
          },
        },
        period: { end: now + 30 * 86400, start: now },
        pretax_credit_amounts: [],
        pricing: {
          type: 'price_details', price_details: { price: 'price_pro', product: 'prod_pro' },
          unit_amount_decimal: String(PRICE),
        },
        quantity: 1, subtotal: PRICE, taxes: [],
      }],
      has_more: false, total_count: 1, url: `/v1/invoices/${id}/lines`,
    },
    livemode: false, metadata: {}, next_payment_attempt: null, number: `BENCH-${n}`,
    on_behalf_of: null,
    parent: {
      type: 'subscription_details', quote_details: null,
      subscription_details: { metadata: {}, subscription: sub },
    },
    payment_settings: { default_mandate: null, payment_method_options: null, payment_method_types: null },
    period_end: now, period_start: now, post_payment_credit_notes_amount: 0,
    pre_payment_credit_notes_amount: 0, receipt_number: null, rendering: null,
    shipping_cost: null, shipping_details: null, starting_balance: 0, statement_descriptor: null,
    status: 'paid',
    status_transitions: { finalized_at: now, marked_uncollectible_at: null, paid_at: now, voided_at: null },
    subtotal: PRICE, subtotal_excluding_tax: PRICE, test_clock: null, threshold_reason: null,
    total: PRICE, total_discount_amounts: [], total_excluding_tax: PRICE,
    total_pretax_credit_amounts: [], total_taxes: [], webhooks_delivered_at: now,
  };
}

// "A tiny object": a Product with only what the crate requires, so the event parses even if
// Viva ever deserializes data.object of types it does not handle.
function product(run, n, now) {
  return {
    id: `prod_bench_${run}_${n}`, object: 'product', active: true, created: now, images: [],
    livemode: false, marketing_features: [], metadata: {}, name: `Bench ${n}`, type: 'service',
    updated: now,
  };
}

export function buildEvent(kind, run, n, now = Math.floor(Date.now() / 1000)) {
  const type = kind === 'unknown' ? 'product.created' : 'invoice.paid';
  return {
    id: `evt_bench_${run}_${n}`, object: 'event', api_version: API_VERSION, created: now,
    data: { object: type === 'invoice.paid' ? invoice(run, n, now) : product(run, n, now) },
    livemode: false, pending_webhooks: 1,
    request: { id: null, idempotency_key: null }, type,
  };
}

export function sign(secret, body, t = Math.floor(Date.now() / 1000)) {
  return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;
}

function settings() {
  const s = {};
  for (const a of process.argv.slice(2)) {
    const m = /^(?:--)?([A-Za-z_]+)=(.*)$/.exec(a);
    if (!m) throw new Error(`not KEY=VALUE: ${a}`);
    s[m[1].toUpperCase()] = m[2];
  }
  const get = (k, d) => s[k] ?? process.env[k] ?? d;
  const cfg = {
    url: get('URL', 'http://127.0.0.1:3913/webhooks/stripe'),
    n: Number(get('N', 5000)), c: Number(get('C', 16)),
    secret: get('SECRET', 'whsec_viva_test'), kind: get('KIND', 'invoice.paid'),
    dup: Number(get('DUP', 0)),
    run: get('RUN', `${Date.now().toString(36)}${process.pid.toString(36)}`),
  };
  if (!['invoice.paid', 'unknown'].includes(cfg.kind)) throw new Error(`KIND: invoice.paid or unknown, not ${cfg.kind}`);
  if (!(cfg.n >= 1 && cfg.c >= 1 && cfg.dup >= 0 && cfg.dup < 1)) throw new Error('need N >= 1, C >= 1, 0 <= DUP < 1');
  return cfg;
}

function post(agent, url, body, signature) {
  return new Promise((resolve) => {
    const req = http.request(url, {
      method: 'POST', agent, timeout: 30_000,
      headers: {
        'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body),
        'stripe-signature': signature, 'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
      },
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString() }));
      res.on('error', (e) => resolve({ status: 'error', text: String(e) }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => resolve({ status: 'error', text: String(e.code || e.message) }));
    req.end(body);
  });
}

const pct = (sorted, p) => sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : NaN;
const r2 = (x) => Math.round(x * 100) / 100;

export async function bench({ url, n, c, secret, kind, dup, run }) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: c });
  const dups = Math.round(n * dup);
  // Which deliveries redeliver: spread evenly, never the first, so one first delivery is
  // always on its way when a redelivery waits for an acknowledged event to repeat.
  const isDup = new Uint8Array(n);
  for (let k = 0; k < dups; k++) isDup[n - 1 - Math.floor((k * n) / dups)] = 1;
  const acked = []; // bodies of first deliveries Viva acknowledged, by event
  const waiters = [];
  const waitAck = () => new Promise((r) => waiters.push(r));
  const lat = [], statuses = {}, problemCounts = new Map();
  let next = 0, fresh = 0, freshInFlight = 0, skipped = 0, dupsAcked = 0, dupsMissed = 0, falseDups = 0, bytes = 0;
  const note = (m) => problemCounts.set(m, (problemCounts.get(m) || 0) + 1);

  async function worker() {
    while (next < n) {
      const i = next++;
      let body, again = false;
      if (isDup[i]) {
        // Wait for an acknowledged event to repeat; every earlier first delivery is sent by
        // now, so none in flight and none acknowledged means they all failed: skip.
        while (!acked.length && freshInFlight > 0) await waitAck();
        if (!acked.length) { skipped++; note('a redelivery skipped: no event was acknowledged'); continue; }
        body = acked[(i * 7919) % acked.length];
        again = true;
      } else {
        body = JSON.stringify(buildEvent(kind, run, fresh++));
        freshInFlight++;
      }
      bytes += body.length;
      const t0 = process.hrtime.bigint();
      const res = await post(agent, url, body, sign(secret, body));
      lat.push(Number(process.hrtime.bigint() - t0) / 1e6);
      if (!again) { freshInFlight--; queueMicrotask(() => { for (const w of waiters.splice(0)) w(); }); }
      statuses[res.status] = (statuses[res.status] || 0) + 1;
      if (res.status !== 200) { note(`${res.status}: ${res.text.slice(0, 200)}`); continue; }
      let ans;
      try { ans = JSON.parse(res.text); } catch { note(`200 but not JSON: ${res.text.slice(0, 200)}`); continue; }
      if (ans.duplicate === true) { if (again) dupsAcked++; else { falseDups++; note('a first delivery answered duplicate:true'); } }
      else if (again) { dupsMissed++; note('a redelivery answered duplicate:false'); }
      else acked.push(body);
    }
  }

  const t0 = process.hrtime.bigint();
  await Promise.all(Array.from({ length: c }, worker));
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  agent.destroy();
  lat.sort((a, b) => a - b);
  const problems = [...problemCounts].sort((a, b) => b[1] - a[1]).slice(0, 5).map(([m, k]) => `${k}× ${m}`);
  const ok = (statuses[200] || 0) === n && !dupsMissed && !falseDups && !skipped;
  return {
    url, kind, type: kind === 'unknown' ? 'product.created' : 'invoice.paid', n, c, dup, run,
    seconds: r2(secs), events_per_s: r2(n / secs),
    p50_ms: r2(pct(lat, 50)), p90_ms: r2(pct(lat, 90)), p99_ms: r2(pct(lat, 99)), max_ms: r2(lat.at(-1)),
    statuses, redeliveries: dups, duplicates_acknowledged: dupsAcked, redeliveries_not_acknowledged: dupsMissed, redeliveries_skipped: skipped,
    first_deliveries_called_duplicate: falseDups, mean_body_bytes: Math.round(bytes / n), ok, problems,
  };
}

export function human(r) {
  const st = Object.entries(r.statuses).map(([k, v]) => `${k}×${v}`).join(' ');
  return `${r.type}${r.dup ? ` DUP=${r.dup}` : ''} N=${r.n} C=${r.c}: ${r.events_per_s} events/s, ` +
    `p50 ${r.p50_ms} ms, p90 ${r.p90_ms} ms, p99 ${r.p99_ms} ms; statuses ${st}; ` +
    `duplicates acknowledged ${r.duplicates_acknowledged}/${r.redeliveries}${r.ok ? '' : ` — FAILED: ${r.problems.join('; ')}`}`;
}

// --- self-test: a stand-in for Viva's endpoint, checking what Viva checks ---------------------

function has(obj, path) {
  let v = obj;
  for (const k of path.split('.')) { if (v === null || typeof v !== 'object' || !(k in v)) return false; v = v[k]; }
  return v !== null && v !== undefined;
}

export function missingFields(ev) {
  const miss = REQUIRED.event.filter((p) => !has(ev, p));
  const obj = ev?.data?.object;
  if (ev?.type === 'invoice.paid') {
    miss.push(...REQUIRED['invoice.paid'].filter((p) => !has(obj, p)).map((p) => `data.object.${p}`));
    for (const [k, line] of (obj?.lines?.data || []).entries())
      miss.push(...REQUIRED.line.filter((p) => !has(line, p)).map((p) => `data.object.lines.data.${k}.${p}`));
  } else if (ev?.type === 'product.created') {
    miss.push(...REQUIRED['product.created'].filter((p) => !has(obj, p)).map((p) => `data.object.${p}`));
  }
  return miss;
}

function verify(secret, header, body, now = Math.floor(Date.now() / 1000)) {
  let t = null; const v1 = [];
  for (const pair of String(header || '').split(',')) {
    const i = pair.indexOf('=');
    if (i < 0) return 'bad signature header';
    const k = pair.slice(0, i), v = pair.slice(i + 1);
    if (k === 't') { t = Number(v); if (!Number.isInteger(t)) return 'bad timestamp'; }
    if (k === 'v1') v1.push(v);
  }
  if (t === null || !v1.length) return 'no signature';
  const mac = createHmac('sha256', secret).update(`${t}.${body}`).digest();
  const match = v1.some((h) => { const b = Buffer.from(h, 'hex'); return b.length === mac.length && timingSafeEqual(b, mac); });
  if (!match) return 'signature does not match';
  if (Math.abs(now - t) > 300) return 'timestamp outside the tolerance';
  return null;
}

function standIn(secret) {
  const seen = new Set(), payments = new Map();
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const answer = (status, obj) => { const b = JSON.stringify(obj); res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(b) }); res.end(b); };
      if (req.method !== 'POST' || req.url !== '/webhooks/stripe') return answer(404, { error: 'not found' });
      const body = Buffer.concat(chunks).toString();
      const bad = verify(secret, req.headers['stripe-signature'], body);
      if (bad) return answer(400, { error: bad });
      let ev;
      try { ev = JSON.parse(body); } catch { return answer(400, { error: 'not JSON' }); }
      const miss = missingFields(ev);
      if (miss.length) return answer(400, { error: `missing ${miss.join(', ')}` });
      if (seen.has(ev.id)) return answer(200, { received: true, duplicate: true });
      seen.add(ev.id);
      if (ev.type === 'invoice.paid') {
        const inv = ev.data.object;
        payments.set(inv.id, { amount: inv.amount_paid, currency: inv.currency });
      }
      answer(200, { received: true, duplicate: false });
    });
  });
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r({ server, seen, payments })));
}

async function selftest(cfg) {
  const secret = 'whsec_viva_test';
  const { server, seen, payments } = await standIn(secret);
  const url = `http://127.0.0.1:${server.address().port}/webhooks/stripe`;
  const n = Number(process.env.N || 2000), c = Number(process.env.C || 16);
  const fails = [];
  const check = (what, cond) => { if (!cond) fails.push(what); console.error(`${cond ? 'ok  ' : 'FAIL'} ${what}`); };

  // The stand-in refuses what Viva refuses.
  const body = JSON.stringify(buildEvent('invoice.paid', 'neg', 0));
  const agent = new http.Agent({ keepAlive: true });
  check('wrong secret: 400', (await post(agent, url, body, sign('whsec_other', body))).status === 400);
  check('timestamp 301 s old: 400', (await post(agent, url, body, sign(secret, body, Math.floor(Date.now() / 1000) - 301))).status === 400);
  const noTotal = buildEvent('invoice.paid', 'neg', 1); delete noTotal.data.object.total;
  const b2 = JSON.stringify(noTotal);
  check('invoice without total: 400', (await post(agent, url, b2, sign(secret, b2))).status === 400);
  const noPending = buildEvent('unknown', 'neg', 2); delete noPending.pending_webhooks;
  const b3 = JSON.stringify(noPending);
  check('event without pending_webhooks: 400', (await post(agent, url, b3, sign(secret, b3))).status === 400);
  agent.destroy();
  check('nothing recorded from refused events', seen.size === 0);

  const runs = [
    { kind: 'invoice.paid', dup: 0 },
    { kind: 'unknown', dup: 0 },
    { kind: 'invoice.paid', dup: 0.5 },
  ];
  const results = [];
  for (const [k, r] of runs.entries()) {
    const before = seen.size;
    const res = await bench({ ...cfg, url, n, c, secret, kind: r.kind, dup: r.dup, run: `${cfg.run}s${k}` });
    console.error(human(res));
    results.push(res);
    check(`run ${k + 1}: every answer 200, acknowledgements agree`, res.ok);
    check(`run ${k + 1}: ${n - res.redeliveries} events recorded once`, seen.size - before === n - res.redeliveries);
    check(`run ${k + 1}: duplicates acknowledged ${res.duplicates_acknowledged} of ${Math.round(n * r.dup)}`,
      res.duplicates_acknowledged === Math.round(n * r.dup));
  }
  const paid = n + (n - Math.round(n * 0.5));
  check(`${paid} payments recorded, ${PRICE} ${CURRENCY} each`,
    payments.size === paid && [...payments.values()].every((p) => p.amount === PRICE && p.currency === CURRENCY));
  server.close();
  console.log(JSON.stringify({ selftest: fails.length ? 'failed' : 'passed', fails, results }));
  process.exit(fails.length ? 1 : 0);
}

const cfg = settings();
if (process.env.SELFTEST === '1') await selftest(cfg);
else {
  const res = await bench(cfg);
  console.log(JSON.stringify(res));
  console.error(human(res));
  process.exit(res.ok ? 0 : 1);
}
