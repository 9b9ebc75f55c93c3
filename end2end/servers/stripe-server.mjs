// A local stand-in for Stripe for the browser tests. It answers the `/v1` endpoints Viva calls
// with the JSON shapes of API version 2026-09-30.endive (what async-stripe 1.0.0-rc.10 parses,
// strictly), serves a hosted checkout page, a customer portal and invoice pages, and delivers
// signed webhook events to the app. Everything lives in memory; only `node:` built-ins are used.
//
//   STRIPE_PORT (3928)             http://127.0.0.1:PORT; the app's Stripe base URL is http://127.0.0.1:PORT/
//   STRIPE_API_KEY (sk_test_viva)  the only secret key accepted (Authorization: Bearer KEY)
//   STRIPE_WEBHOOK_URL             where events are POSTed (http://127.0.0.1:3917/webhooks/stripe)
//   STRIPE_WEBHOOK_SECRET          signing secret for Stripe-Signature (whsec_viva_test)
//   STRIPE_PRICES                  id=amount:currency:interval,… (price_pro=1200:usd:month,price_team=4900:usd:month)
//
//   API:      POST /v1/checkout/sessions, GET /v1/checkout/sessions/:id[/line_items],
//             POST /v1/billing_portal/sessions, GET|POST|DELETE /v1/subscriptions/:id, GET /v1/subscriptions,
//             GET /v1/invoices[/:id], GET|DELETE /v1/customers/:id, GET /v1/charges/:id, GET /v1/prices/:id,
//             GET /v1/events/:id
//   Browser:  GET|POST /pay/:cs (test checkout), GET|POST /portal/:bps (test customer portal),
//             GET /invoice/:in (hosted invoice), GET /invoice/:in/pdf
//   Controls: /__control/{requests,deliveries,events,subscriptions,hold,flush,down,advance,fail,
//             refund,send,replay,reset} (JSON), GET /healthz. See README.md.
import { createServer } from 'node:http';
import { createHmac, randomBytes } from 'node:crypto';

const port = Number(process.env.STRIPE_PORT ?? 3928);
const apiKey = process.env.STRIPE_API_KEY ?? 'sk_test_viva';
const webhookUrl = process.env.STRIPE_WEBHOOK_URL ?? 'http://127.0.0.1:3917/webhooks/stripe';
const webhookSecret = process.env.STRIPE_WEBHOOK_SECRET ?? 'whsec_viva_test';
const priceSpec = process.env.STRIPE_PRICES ?? 'price_pro=1200:usd:month,price_team=4900:usd:month';
const origin = `http://127.0.0.1:${port}`;
const API_VERSION = '2026-09-30.endive';
const DAY = 24 * 3600;
const PERIOD = 30 * DAY; // every billing period is 30 days, whatever the price's interval says
const startedAt = Math.floor(Date.now() / 1000);

const now = () => Math.floor(Date.now() / 1000);
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
function newId(prefix, length = 24) {
  const bytes = randomBytes(length);
  let s = '';
  for (const b of bytes) s += ALPHABET[b % ALPHABET.length];
  return `${prefix}${s}`;
}

// Prices come from STRIPE_PRICES; each has its own product `prod_<name>` called "Viva <Name>".
const prices = new Map();
for (const entry of priceSpec.split(',').map((s) => s.trim()).filter(Boolean)) {
  const [id, rest = ''] = entry.split('=');
  const [amount, currency = 'usd', interval = 'month'] = rest.split(':');
  const short = id.replace(/^price_/, '');
  prices.set(id, {
    id,
    amount: Number(amount),
    currency: currency.toLowerCase(),
    interval,
    product: `prod_${short}`,
    productName: `Viva ${short.charAt(0).toUpperCase()}${short.slice(1)}`,
  });
}

const fresh = () => ({
  customers: new Map(),
  sessions: new Map(),
  portals: new Map(),
  subscriptions: new Map(),
  invoices: new Map(),
  charges: new Map(),
  events: new Map(), // id -> {id, type, body}; body is the exact JSON text that was signed
  requests: [],
  deliveries: [],
  held: [],
  hold: false,
  down: false,
  idempotency: new Map(),
  seq: 0,
});
let state = fresh();

// ---------------------------------------------------------------------------------------------
// JSON builders, one per Stripe object. Each lists the fields async-stripe-shared 1.0.0-rc.10
// requires (initialised `None` in the struct's deser_default); every other field is an Option
// and is either given a realistic value or left out. Values of enums are ones the crate knows.

const ZERO_DECIMAL = new Set(['bif', 'clp', 'djf', 'gnf', 'jpy', 'kmf', 'krw', 'mga', 'pyg', 'rwf', 'ugx', 'vnd', 'vuv', 'xaf', 'xof', 'xpf']);
function money(amount, currency) {
  const value = ZERO_DECIMAL.has(currency) ? amount : amount / 100;
  return new Intl.NumberFormat('en-US', { style: 'currency', currency: currency.toUpperCase() }).format(value);
}

// List wrapper, stripe_types::List<T>. Required: data, has_more, url (plus object "list").
function listJson(data, url, hasMore = false) {
  return { object: 'list', data, has_more: hasMore, url };
}

// Product, stripe_shared::Product (product.rs).
// Required: active, created, id, images, livemode, marketing_features, metadata, name, type, updated.
function productJson(price) {
  return {
    id: price.product,
    object: 'product',
    active: true,
    created: startedAt,
    default_price: price.id,
    description: null,
    images: [],
    livemode: false,
    marketing_features: [],
    metadata: {},
    name: price.productName,
    package_dimensions: null,
    shippable: null,
    statement_descriptor: null,
    tax_code: null,
    type: 'service',
    unit_label: null,
    updated: startedAt,
    url: null,
  };
}

// Price, stripe_shared::Price (price.rs).
// Required: active, billing_scheme, created, currency, id, livemode, metadata, product, type.
function priceJson(price) {
  return {
    id: price.id,
    object: 'price',
    active: true,
    billing_scheme: 'per_unit',
    created: startedAt,
    currency: price.currency,
    custom_unit_amount: null,
    livemode: false,
    lookup_key: null,
    metadata: {},
    nickname: null,
    product: price.product,
    recurring: { interval: price.interval, interval_count: 1, meter: null, trial_period_days: null, usage_type: 'licensed' },
    tax_behavior: 'unspecified',
    tiers_mode: null,
    transform_quantity: null,
    type: 'recurring',
    unit_amount: price.amount,
    unit_amount_decimal: String(price.amount),
  };
}

// Plan, stripe_shared::Plan (plan.rs); Stripe still nests the legacy plan in subscription items.
// Required: active, billing_scheme, created, currency, id, interval, interval_count, livemode, usage_type.
function planJson(price) {
  return {
    id: price.id,
    object: 'plan',
    active: true,
    amount: price.amount,
    amount_decimal: String(price.amount),
    billing_scheme: 'per_unit',
    created: startedAt,
    currency: price.currency,
    interval: price.interval,
    interval_count: 1,
    livemode: false,
    metadata: {},
    meter: null,
    nickname: null,
    product: price.product,
    tiers_mode: null,
    transform_usage: null,
    trial_period_days: null,
    usage_type: 'licensed',
  };
}

// SubscriptionItem, stripe_shared::SubscriptionItem (subscription_item.rs). In this API version the
// billing period lives here, not on the subscription.
// Required: created, current_period_end, current_period_start, discounts, id, metadata, plan, price, subscription.
function subscriptionItemJson(sub) {
  const price = prices.get(sub.price);
  return {
    id: sub.itemId,
    object: 'subscription_item',
    billing_thresholds: null,
    created: sub.created,
    current_period_end: sub.periodEnd,
    current_period_start: sub.periodStart,
    discounts: [],
    metadata: {},
    plan: planJson(price),
    price: priceJson(price),
    quantity: sub.quantity,
    subscription: sub.id,
    tax_rates: [],
  };
}

// Subscription, stripe_shared::Subscription (subscription.rs).
// Required: automatic_tax{enabled}, billing_cycle_anchor, billing_mode{type}, billing_schedules,
// cancel_at_period_end, collection_method, created, currency, customer, discounts, id,
// invoice_settings{issuer{type}}, items (List<SubscriptionItem>), livemode, metadata, start_date, status.
function subscriptionJson(sub) {
  const price = prices.get(sub.price);
  return {
    id: sub.id,
    object: 'subscription',
    application: null,
    application_fee_percent: null,
    automatic_tax: { disabled_reason: null, enabled: false, liability: null },
    billing_cycle_anchor: sub.billingCycleAnchor,
    billing_cycle_anchor_config: null,
    billing_mode: { flexible: { proration_discounts: 'included' }, type: 'flexible', updated_at: sub.created },
    billing_schedules: [],
    billing_thresholds: null,
    cancel_at: sub.cancelAt,
    cancel_at_period_end: sub.cancelAtPeriodEnd,
    canceled_at: sub.canceledAt,
    cancellation_details: { comment: null, feedback: null, reason: sub.cancellationReason },
    collection_method: 'charge_automatically',
    created: sub.created,
    currency: price.currency,
    customer: sub.customer,
    days_until_due: null,
    default_payment_method: sub.paymentMethod,
    default_source: null,
    default_tax_rates: [],
    description: null,
    discounts: [],
    ended_at: sub.endedAt,
    invoice_settings: { account_tax_ids: null, issuer: { type: 'self' } },
    items: listJson([subscriptionItemJson(sub)], `/v1/subscription_items?subscription=${sub.id}`),
    latest_invoice: sub.latestInvoice,
    livemode: false,
    metadata: { ...sub.metadata },
    next_pending_invoice_item_invoice: null,
    on_behalf_of: null,
    pause_collection: null,
    payment_settings: { payment_method_options: null, payment_method_types: null, save_default_payment_method: 'off' },
    pending_invoice_item_interval: null,
    pending_setup_intent: null,
    pending_update: null,
    schedule: null,
    start_date: sub.startDate,
    status: sub.status,
    test_clock: null,
    transfer_data: null,
    trial_end: null,
    trial_settings: { end_behavior: { missing_payment_method: 'create_invoice' } },
    trial_start: null,
  };
}

// InvoiceLineItem, stripe_shared::InvoiceLineItem (invoice_line_item.rs).
// Required: amount, currency, discountable, discounts, id, livemode, metadata, period{end,start}, subtotal.
// parent (optional) requires type, and subscription_item_details requires proration + subscription_item;
// pricing (optional) requires type, and price_details requires price + product.
function invoiceLineJson(inv) {
  const price = prices.get(inv.price);
  return {
    id: inv.lineId,
    object: 'line_item',
    amount: inv.amount,
    currency: price.currency,
    description: `${inv.quantity} × ${price.productName} (at ${money(price.amount, price.currency)} / ${price.interval})`,
    discount_amounts: [],
    discountable: true,
    discounts: [],
    invoice: inv.id,
    livemode: false,
    metadata: {},
    parent: {
      subscription_item_details: {
        invoice_item: null,
        proration: false,
        proration_details: { credited_items: null },
        subscription: inv.subscription,
        subscription_item: inv.itemId,
      },
      type: 'subscription_item_details',
    },
    period: { end: inv.periodEnd, start: inv.periodStart },
    pretax_credit_amounts: [],
    pricing: {
      price_details: { price: price.id, product: price.product },
      type: 'price_details',
      unit_amount_decimal: String(price.amount),
    },
    quantity: inv.quantity,
    subtotal: inv.amount,
    taxes: [],
  };
}

// Invoice, stripe_shared::Invoice (invoice.rs). In this API version the subscription is named under
// parent.subscription_details.subscription (the top-level `subscription` is left out, as Stripe does).
// Required: amount_due, amount_overpaid, amount_paid, amount_remaining, amount_shipping, attempt_count,
// attempted, automatic_tax{enabled}, collection_method, created, currency, default_tax_rates, discounts,
// issuer{type}, lines (List<InvoiceLineItem>), livemode, payment_settings, period_end, period_start,
// post_payment_credit_notes_amount, pre_payment_credit_notes_amount, starting_balance,
// status_transitions, subtotal, total.
function invoiceJson(inv) {
  const price = prices.get(inv.price);
  const customer = state.customers.get(inv.customer);
  const sub = state.subscriptions.get(inv.subscription);
  const paid = inv.status === 'paid' ? inv.amount : 0;
  return {
    id: inv.id,
    object: 'invoice',
    account_country: 'US',
    account_name: 'Viva (test)',
    account_tax_ids: null,
    amount_due: inv.amount,
    amount_overpaid: 0,
    amount_paid: paid,
    amount_remaining: inv.amount - paid,
    amount_shipping: 0,
    application: null,
    attempt_count: inv.attemptCount,
    attempted: inv.attemptCount > 0,
    auto_advance: inv.status !== 'paid',
    automatic_tax: { disabled_reason: null, enabled: false, liability: null, provider: null, status: null },
    automatically_finalizes_at: null,
    billing_reason: inv.billingReason,
    collection_method: 'charge_automatically',
    created: inv.created,
    currency: price.currency,
    custom_fields: null,
    customer: inv.customer,
    customer_address: null,
    customer_email: inv.customerEmail,
    customer_name: customer?.name ?? null,
    customer_phone: null,
    customer_shipping: null,
    customer_tax_exempt: 'none',
    customer_tax_ids: [],
    default_payment_method: null,
    default_source: null,
    default_tax_rates: [],
    description: null,
    discounts: [],
    due_date: null,
    effective_at: inv.created,
    ending_balance: 0,
    footer: null,
    from_invoice: null,
    hosted_invoice_url: `${origin}/invoice/${inv.id}`,
    invoice_pdf: `${origin}/invoice/${inv.id}/pdf`,
    issuer: { type: 'self' },
    last_finalization_error: null,
    latest_revision: null,
    lines: listJson([invoiceLineJson(inv)], `/v1/invoices/${inv.id}/lines`),
    livemode: false,
    metadata: {},
    next_payment_attempt: inv.nextPaymentAttempt,
    number: inv.number,
    on_behalf_of: null,
    parent: {
      quote_details: null,
      subscription_details: { metadata: { ...(sub?.metadata ?? {}) }, subscription: inv.subscription },
      type: 'subscription_details',
    },
    payment_settings: { default_mandate: null, payment_method_options: null, payment_method_types: null },
    period_end: inv.invoicePeriodEnd,
    period_start: inv.invoicePeriodStart,
    post_payment_credit_notes_amount: 0,
    pre_payment_credit_notes_amount: 0,
    receipt_number: null,
    rendering: null,
    shipping_cost: null,
    shipping_details: null,
    starting_balance: 0,
    statement_descriptor: null,
    status: inv.status,
    status_transitions: { finalized_at: inv.created, marked_uncollectible_at: null, paid_at: inv.paidAt, voided_at: null },
    subtotal: inv.amount,
    subtotal_excluding_tax: inv.amount,
    test_clock: null,
    total: inv.amount,
    total_discount_amounts: [],
    total_excluding_tax: inv.amount,
    total_pretax_credit_amounts: [],
    total_taxes: [],
    webhooks_delivered_at: inv.created,
  };
}

// Customer, stripe_shared::Customer (customer.rs). Required: created, id, livemode.
function customerJson(c) {
  return {
    id: c.id,
    object: 'customer',
    address: null,
    balance: 0,
    created: c.created,
    currency: c.currency,
    default_source: null,
    delinquent: false,
    description: null,
    discount: null,
    email: c.email,
    invoice_prefix: c.invoicePrefix,
    invoice_settings: { custom_fields: null, default_payment_method: c.paymentMethod, footer: null, rendering_options: null },
    livemode: false,
    metadata: { ...c.metadata },
    name: c.name,
    next_invoice_sequence: c.nextInvoiceSequence,
    phone: null,
    preferred_locales: [],
    shipping: null,
    tax_exempt: 'none',
    test_clock: null,
  };
}

// DeletedCustomer, stripe_shared::DeletedCustomer (deleted_customer.rs). Required: deleted (always true), id.
function deletedCustomerJson(c) {
  return { id: c.id, object: 'customer', deleted: true };
}

// Charge, stripe_shared::Charge (charge.rs). This version has no `invoice` on a charge: it names the
// customer and the payment intent (the invoice's payment), and Viva finds the rest from there.
// Required: amount, amount_captured, amount_refunded, billing_details, captured, created, currency,
// disputed, id, livemode, metadata, paid, refunded, status.
function chargeJson(ch) {
  return {
    id: ch.id,
    object: 'charge',
    amount: ch.amount,
    amount_captured: ch.amount,
    amount_refunded: ch.amountRefunded,
    application: null,
    application_fee: null,
    application_fee_amount: null,
    balance_transaction: ch.balanceTransaction,
    billing_details: { address: null, email: ch.email, name: null, phone: null, tax_id: null },
    calculated_statement_descriptor: 'VIVA',
    captured: true,
    created: ch.created,
    currency: ch.currency,
    customer: ch.customer,
    description: ch.description,
    disputed: false,
    failure_balance_transaction: null,
    failure_code: null,
    failure_message: null,
    fraud_details: {},
    livemode: false,
    metadata: {},
    on_behalf_of: null,
    paid: true,
    payment_intent: ch.paymentIntent,
    payment_method: ch.paymentMethod,
    receipt_email: ch.email,
    receipt_number: null,
    receipt_url: `${origin}/invoice/${ch.invoice}`,
    refunded: ch.refunded,
    review: null,
    shipping: null,
    source: null,
    source_transfer: null,
    statement_descriptor: null,
    statement_descriptor_suffix: null,
    status: 'succeeded',
    transfer_data: null,
    transfer_group: null,
  };
}

// CheckoutSessionItem, stripe_shared::CheckoutSessionItem (checkout_session_item.rs), for line_items.
// Required: amount_discount, amount_subtotal, amount_tax, amount_total, currency, id.
function checkoutItemJson(s) {
  const price = prices.get(s.price);
  const total = price.amount * s.quantity;
  return {
    id: s.lineItemId,
    object: 'item',
    amount_discount: 0,
    amount_subtotal: total,
    amount_tax: 0,
    amount_total: total,
    currency: price.currency,
    description: price.productName,
    price: priceJson(price),
    quantity: s.quantity,
  };
}

// CheckoutSession, stripe_shared::CheckoutSession (checkout_session.rs).
// Required: automatic_tax{enabled}, created, custom_fields, custom_text, expires_at, id, livemode, mode,
// payment_method_types, payment_status, shipping_options.
function checkoutSessionJson(s) {
  const price = prices.get(s.price);
  const total = price.amount * s.quantity;
  return {
    id: s.id,
    object: 'checkout.session',
    after_expiration: null,
    allow_promotion_codes: s.allowPromotionCodes,
    amount_subtotal: total,
    amount_total: total,
    automatic_tax: { enabled: false, liability: null, provider: null, status: null },
    billing_address_collection: null,
    cancel_url: s.cancelUrl,
    client_reference_id: s.clientReferenceId,
    client_secret: null,
    consent: null,
    consent_collection: null,
    created: s.created,
    currency: price.currency,
    custom_fields: [],
    custom_text: { after_submit: null, shipping_address: null, submit: null, terms_of_service_acceptance: null },
    customer: s.customer,
    customer_creation: s.customerGiven ? null : 'always',
    customer_details: s.status === 'complete'
      ? { address: null, email: s.paidEmail, name: null, phone: null, tax_exempt: 'none', tax_ids: [] }
      : null,
    customer_email: s.customerEmail,
    discounts: [],
    expires_at: s.expiresAt,
    invoice: null,
    invoice_creation: null,
    livemode: false,
    locale: null,
    metadata: { ...s.metadata },
    mode: 'subscription',
    payment_intent: null,
    payment_link: null,
    payment_method_collection: 'always',
    payment_method_types: ['card'],
    payment_status: s.status === 'complete' ? 'paid' : 'unpaid',
    shipping_address_collection: null,
    shipping_cost: null,
    shipping_options: [],
    status: s.status,
    submit_type: null,
    subscription: s.subscription,
    success_url: s.successUrl,
    total_details: { amount_discount: 0, amount_shipping: 0, amount_tax: 0 },
    ui_mode: 'hosted_page',
    url: s.status === 'open' ? `${origin}/pay/${s.id}` : null,
  };
}

// BillingPortalSession, stripe_billing::BillingPortalSession (billing_portal_session/types.rs).
// Required: configuration (an id is enough), created, customer, id, livemode, url.
function portalSessionJson(p) {
  return {
    id: p.id,
    object: 'billing_portal.session',
    configuration: p.configuration,
    created: p.created,
    customer: p.customer,
    flow: null,
    livemode: false,
    locale: null,
    on_behalf_of: null,
    return_url: p.returnUrl,
    url: `${origin}/portal/${p.id}`,
  };
}

// Event, stripe_shared::Event (event.rs). Required: created, data{object}, id, livemode,
// pending_webhooks, type. api_version and request are optional but always sent, as Stripe does.
function eventJson({ id, type, object, previous, created, requestId }) {
  const data = { object };
  if (previous) data.previous_attributes = previous;
  return {
    id,
    object: 'event',
    api_version: API_VERSION,
    created,
    data,
    livemode: false,
    pending_webhooks: 1,
    request: { id: requestId ?? null, idempotency_key: null },
    type,
  };
}

// Error, stripe_shared::Error (error.rs): {error: ApiErrors}; ApiErrors requires only `type`.
function errorJson(type, message, code, param) {
  const error = { type, message };
  if (code) {
    error.code = code;
    error.doc_url = `https://stripe.com/docs/error-codes/${code.replace(/_/g, '-')}`;
  }
  if (param) error.param = param;
  return { error };
}

// ---------------------------------------------------------------------------------------------
// Webhooks. Deliveries go one at a time, in the order the events were made.

const hmac = (secret, text) => createHmac('sha256', secret).update(text).digest('hex');
let chain = Promise.resolve();
function serial(task) {
  const p = chain.then(task);
  chain = p.catch(() => {});
  return p;
}

async function post(event, { sign = 'good', tOffset = 0 } = {}) {
  const t = now() + Number(tOffset || 0);
  const headers = {
    'content-type': 'application/json; charset=utf-8',
    'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
  };
  if (sign !== 'none') {
    const secret = sign === 'bad' ? `${webhookSecret}_not` : webhookSecret;
    headers['stripe-signature'] = `t=${t},v1=${hmac(secret, `${t}.${event.body}`)}`;
  }
  let status = 0;
  let body = '';
  try {
    const res = await fetch(webhookUrl, { method: 'POST', headers, body: event.body, signal: AbortSignal.timeout(15000) });
    status = res.status;
    body = await res.text();
  } catch (e) {
    body = `delivery failed: ${e.cause?.code ?? e.message}`;
  }
  const delivery = { event: event.id, type: event.type, status, body, signature: sign, t, at: new Date().toISOString() };
  state.deliveries.push(delivery);
  return delivery;
}

const deliver = (event, options) => serial(() => post(event, options));

// Makes an event from a snapshot of `object`, keeps it for replay, and delivers it (or queues it
// while held). Returns a promise of the delivery record.
function emit(type, object, { previous, requestId, id } = {}) {
  const event = { id: id ?? newId('evt_'), type };
  event.body = JSON.stringify(eventJson({ id: event.id, type, object, previous, created: now(), requestId }), null, 2);
  state.events.set(event.id, event);
  if (state.hold) {
    state.held.push(event);
    return Promise.resolve({ event: event.id, type, held: true });
  }
  return deliver(event);
}

// ---------------------------------------------------------------------------------------------
// Billing logic shared by the API, the pages and the controls.

function createCustomer(email) {
  const c = {
    id: newId('cus_', 14),
    email: email || null,
    name: null,
    created: now(),
    currency: null,
    metadata: {},
    deleted: false,
    invoicePrefix: randomBytes(4).toString('hex').toUpperCase(),
    nextInvoiceSequence: 1,
    paymentMethod: null,
  };
  state.customers.set(c.id, c);
  return c;
}

// A paid (or, with `failed`, an open) invoice for the subscription's current period, and its charge.
function bill(sub, { reason, failed = false, invoicePeriod }) {
  const price = prices.get(sub.price);
  const customer = state.customers.get(sub.customer);
  const t = now();
  const inv = {
    id: newId('in_'),
    seq: ++state.seq,
    number: `${customer.invoicePrefix}-${String(customer.nextInvoiceSequence++).padStart(4, '0')}`,
    customer: sub.customer,
    customerEmail: customer.email,
    subscription: sub.id,
    itemId: sub.itemId,
    lineId: newId('il_'),
    price: sub.price,
    quantity: sub.quantity,
    amount: price.amount * sub.quantity,
    status: failed ? 'open' : 'paid',
    attemptCount: 1,
    created: t,
    paidAt: failed ? null : t,
    nextPaymentAttempt: failed ? t + 3 * DAY : null,
    periodStart: sub.periodStart,
    periodEnd: sub.periodEnd,
    // Stripe's invoice-level period is the one before the invoice (creation: just the moment).
    invoicePeriodStart: invoicePeriod?.[0] ?? t,
    invoicePeriodEnd: invoicePeriod?.[1] ?? t,
    billingReason: reason,
    charge: null,
    paymentIntent: newId('pi_'),
  };
  if (!failed) inv.charge = makeCharge(inv, reason === 'subscription_create' ? 'Subscription creation' : 'Subscription update');
  state.invoices.set(inv.id, inv);
  customer.currency = price.currency;
  sub.latestInvoice = inv.id;
  return inv;
}

function makeCharge(inv, description) {
  const customer = state.customers.get(inv.customer);
  const ch = {
    id: newId('ch_'),
    amount: inv.amount,
    amountRefunded: 0,
    refunded: false,
    currency: prices.get(inv.price).currency,
    customer: inv.customer,
    invoice: inv.id,
    paymentIntent: inv.paymentIntent,
    paymentMethod: customer.paymentMethod,
    balanceTransaction: newId('txn_'),
    email: customer.email,
    description,
    created: now(),
  };
  state.charges.set(ch.id, ch);
  return ch.id;
}

function startPeriod(sub, at = now()) {
  sub.periodStart = at;
  sub.periodEnd = at + PERIOD;
}

// Sets or clears cancel_at_period_end; returns the previous attributes, or null when nothing changed.
function setCancelAtPeriodEnd(sub, on) {
  if (sub.cancelAtPeriodEnd === on) return null;
  const previous = {
    cancel_at: sub.cancelAt,
    cancel_at_period_end: sub.cancelAtPeriodEnd,
    canceled_at: sub.canceledAt,
    cancellation_details: { reason: sub.cancellationReason },
  };
  sub.cancelAtPeriodEnd = on;
  sub.cancelAt = on ? sub.periodEnd : null;
  sub.canceledAt = on ? now() : null;
  sub.cancellationReason = on ? 'cancellation_requested' : null;
  return previous;
}

function cancelNow(sub, reason = 'cancellation_requested') {
  const t = now();
  sub.status = 'canceled';
  sub.canceledAt = sub.canceledAt ?? t;
  sub.endedAt = t;
  sub.cancelAt = sub.cancelAt ?? t;
  sub.cancellationReason = sub.cancellationReason ?? reason;
}

// The customer pays a checkout session: customer, subscription, paid invoice, charge; then events.
async function completeCheckout(s, email) {
  let customer = s.customer ? state.customers.get(s.customer) : null;
  if (!customer) customer = createCustomer(email || s.customerEmail);
  else if (!customer.email && email) customer.email = email;
  customer.paymentMethod = customer.paymentMethod ?? newId('pm_');
  const t = now();
  const sub = {
    id: newId('sub_'),
    customer: customer.id,
    price: s.price,
    quantity: s.quantity,
    status: 'active',
    cancelAtPeriodEnd: false,
    cancelAt: null,
    canceledAt: null,
    endedAt: null,
    cancellationReason: null,
    created: t,
    startDate: t,
    billingCycleAnchor: t,
    itemId: newId('si_', 14),
    metadata: { ...s.subscriptionMetadata },
    latestInvoice: null,
    paymentMethod: customer.paymentMethod,
    seq: ++state.seq,
  };
  startPeriod(sub, t);
  state.subscriptions.set(sub.id, sub);
  const inv = bill(sub, { reason: 'subscription_create' });
  s.status = 'complete';
  s.customer = customer.id;
  s.subscription = sub.id;
  s.paidEmail = customer.email;
  emit('checkout.session.completed', checkoutSessionJson(s));
  emit('customer.subscription.created', subscriptionJson(sub));
  return emit('invoice.paid', invoiceJson(inv));
}

// ---------------------------------------------------------------------------------------------
// HTTP plumbing.

async function readBody(req) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  return Buffer.concat(chunks).toString('utf8');
}

// Stripe's bracket notation (`a[b][0][c]=x`, `expand[]=y`) into nested objects and arrays.
function parseForm(text) {
  const root = {};
  for (const [key, value] of new URLSearchParams(text)) {
    const m = key.match(/^([^[\]]+)((?:\[[^[\]]*\])*)$/);
    const path = m ? [m[1], ...[...m[2].matchAll(/\[([^[\]]*)\]/g)].map((x) => x[1])] : [key];
    let node = root;
    path.forEach((segment, i) => {
      const seg = segment === '' ? String(Object.keys(node).length) : segment;
      if (seg === '__proto__' || seg === 'constructor' || seg === 'prototype') return;
      if (i === path.length - 1) node[seg] = value;
      else {
        if (typeof node[seg] !== 'object' || node[seg] === null) node[seg] = {};
        node = node[seg];
      }
    });
  }
  const arrays = (v) => {
    if (!v || typeof v !== 'object') return v;
    for (const k of Object.keys(v)) v[k] = arrays(v[k]);
    const keys = Object.keys(v);
    return keys.length && keys.every((k) => /^\d+$/.test(k)) ? keys.sort((a, b) => a - b).map((k) => v[k]) : v;
  };
  for (const k of Object.keys(root)) root[k] = arrays(root[k]);
  return root;
}

function send(res, status, body, headers = {}) {
  const text = typeof body === 'string' ? body : JSON.stringify(body, null, 2);
  res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json', ...headers });
  res.end(text);
}

const escapeHtml = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
function page(res, status, title, body) {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' });
  res.end(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)}</title></head>
<body><main>
${body}
</main></body></html>`);
}

const asBool = (v) => v === true || v === 'true' || v === '1';
const expandList = (form) => (Array.isArray(form.expand) ? form.expand : form.expand ? [form.expand] : []).map(String);

function lookup(id) {
  if (typeof id !== 'string') return null;
  if (id.startsWith('cus_')) {
    const c = state.customers.get(id);
    return c && (c.deleted ? deletedCustomerJson(c) : customerJson(c));
  }
  if (id.startsWith('sub_')) return state.subscriptions.has(id) ? subscriptionJson(state.subscriptions.get(id)) : null;
  if (id.startsWith('in_')) return state.invoices.has(id) ? invoiceJson(state.invoices.get(id)) : null;
  if (id.startsWith('ch_')) return state.charges.has(id) ? chargeJson(state.charges.get(id)) : null;
  if (prices.has(id)) return priceJson(prices.get(id));
  const product = [...prices.values()].find((p) => p.product === id);
  return product ? productJson(product) : null;
}

// `expand[]=subscription`, `expand[]=data.customer`, `expand[]=items.data.price.product`, …
function expand(obj, paths) {
  const walk = (node, parts) => {
    if (!node || typeof node !== 'object' || !parts.length) return;
    const [head, ...rest] = parts;
    if (node.object === 'list' && head === 'data') {
      for (const x of node.data) walk(x, rest);
      return;
    }
    if (typeof node[head] === 'string') node[head] = lookup(node[head]) ?? node[head];
    walk(node[head], rest);
  };
  for (const p of paths) walk(obj, p.split('.'));
  return obj;
}

// ---------------------------------------------------------------------------------------------
// The API.

class ApiError extends Error {
  constructor(status, message, { type = 'invalid_request_error', code, param } = {}) {
    super(message);
    Object.assign(this, { status, type, code, param });
  }
}
const missing = (param) => new ApiError(400, `Missing required param: ${param}.`, { code: 'parameter_missing', param });
const noSuch = (kind, id, param = 'id', status = 404) => new ApiError(status, `No such ${kind}: '${id}'`, { code: 'resource_missing', param });

function getSubscription(id) {
  const sub = state.subscriptions.get(id);
  if (!sub) throw noSuch('subscription', id);
  return sub;
}

function liveCustomer(id, param) {
  const c = state.customers.get(id);
  if (!c || c.deleted) throw noSuch('customer', id, param, 400);
  return c;
}

// Returns [status, json, afterResponse?]. Events caused by an API call are delivered after the
// response is sent, as Stripe sends them asynchronously.
function api(method, path, form, requestId) {
  let m;
  if (method === 'POST' && path === '/v1/checkout/sessions') {
    if (!form.mode) throw missing('mode');
    if (form.mode !== 'subscription') throw new ApiError(400, `This test server only supports mode=subscription, not '${form.mode}'.`, { code: 'parameter_invalid_string', param: 'mode' });
    const items = Array.isArray(form.line_items) ? form.line_items : [];
    if (!items.length) throw missing('line_items');
    const item = items[0] ?? {};
    if (!item.price) throw missing('line_items[0][price]');
    if (!prices.has(item.price)) throw noSuch('price', item.price, 'line_items[0][price]', 400);
    const quantity = item.quantity === undefined ? 1 : Number(item.quantity);
    if (!Number.isInteger(quantity) || quantity < 1) throw new ApiError(400, 'Invalid integer: quantity must be a positive integer.', { code: 'parameter_invalid_integer', param: 'line_items[0][quantity]' });
    if (form.customer && form.customer_email) throw new ApiError(400, 'You may only specify one of these parameters: customer, customer_email.', { param: 'customer_email' });
    if (form.customer) liveCustomer(form.customer, 'customer');
    const t = now();
    const s = {
      id: newId('cs_test_', 58),
      created: t,
      expiresAt: t + DAY,
      price: item.price,
      quantity,
      lineItemId: newId('li_'),
      clientReferenceId: form.client_reference_id ?? null,
      customer: form.customer ?? null,
      customerGiven: Boolean(form.customer),
      customerEmail: form.customer_email ?? null,
      successUrl: form.success_url ?? null,
      cancelUrl: form.cancel_url ?? null,
      metadata: typeof form.metadata === 'object' ? { ...form.metadata } : {},
      subscriptionMetadata: typeof form.subscription_data?.metadata === 'object' ? { ...form.subscription_data.metadata } : {},
      allowPromotionCodes: form.allow_promotion_codes === undefined ? null : asBool(form.allow_promotion_codes),
      status: 'open',
      subscription: null,
      paidEmail: null,
    };
    state.sessions.set(s.id, s);
    return [200, expand(checkoutSessionJson(s), expandList(form))];
  }
  if ((m = path.match(/^\/v1\/checkout\/sessions\/([^/]+)(\/line_items)?$/)) && method === 'GET') {
    const s = state.sessions.get(m[1]);
    if (!s) throw noSuch('checkout.session', m[1]);
    if (m[2]) return [200, listJson([checkoutItemJson(s)], `/v1/checkout/sessions/${s.id}/line_items`)];
    const json = checkoutSessionJson(s);
    const paths = expandList(form);
    if (paths.includes('line_items')) json.line_items = listJson([checkoutItemJson(s)], `/v1/checkout/sessions/${s.id}/line_items`);
    return [200, expand(json, paths.filter((p) => p !== 'line_items'))];
  }
  if (method === 'POST' && path === '/v1/billing_portal/sessions') {
    if (!form.customer) throw missing('customer');
    liveCustomer(form.customer, 'customer');
    const p = { id: newId('bps_'), created: now(), customer: form.customer, returnUrl: form.return_url ?? null, configuration: 'bpc_viva_test_default' };
    state.portals.set(p.id, p);
    return [200, portalSessionJson(p)];
  }
  if (method === 'GET' && path === '/v1/subscriptions') {
    let subs = [...state.subscriptions.values()].sort((a, b) => b.seq - a.seq);
    if (form.customer) subs = subs.filter((s) => s.customer === form.customer);
    if (form.price) subs = subs.filter((s) => s.price === form.price);
    const status = form.status ?? 'all-but-canceled';
    if (status === 'all-but-canceled') subs = subs.filter((s) => s.status !== 'canceled');
    else if (status !== 'all') subs = subs.filter((s) => s.status === status);
    return [200, expand(paginate(subs.map(subscriptionJson), form, '/v1/subscriptions'), expandList(form))];
  }
  if ((m = path.match(/^\/v1\/subscriptions\/([^/]+)$/))) {
    const sub = getSubscription(m[1]);
    if (method === 'GET') return [200, expand(subscriptionJson(sub), expandList(form))];
    if (method === 'POST') {
      if (sub.status === 'canceled') throw new ApiError(400, 'A canceled subscription can only update its cancellation_details and metadata.');
      let previous = null;
      if (form.cancel_at_period_end !== undefined) previous = setCancelAtPeriodEnd(sub, asBool(form.cancel_at_period_end));
      if (form.metadata && typeof form.metadata === 'object') {
        previous = { ...(previous ?? {}), metadata: { ...sub.metadata } };
        for (const [k, v] of Object.entries(form.metadata)) {
          if (v === '') delete sub.metadata[k];
          else sub.metadata[k] = v;
        }
      }
      const json = subscriptionJson(sub);
      return [200, expand(json, expandList(form)), previous && (() => emit('customer.subscription.updated', json, { previous, requestId }))];
    }
    if (method === 'DELETE') {
      if (sub.status === 'canceled') throw new ApiError(400, `The subscription ${sub.id} has already been canceled.`, { param: 'id' });
      cancelNow(sub);
      const json = subscriptionJson(sub);
      return [200, json, () => emit('customer.subscription.deleted', json, { requestId })];
    }
  }
  if (method === 'GET' && path === '/v1/invoices') {
    let invs = [...state.invoices.values()].sort((a, b) => b.seq - a.seq);
    if (form.customer) invs = invs.filter((i) => i.customer === form.customer);
    if (form.subscription) invs = invs.filter((i) => i.subscription === form.subscription);
    if (form.status) invs = invs.filter((i) => i.status === form.status);
    return [200, expand(paginate(invs.map(invoiceJson), form, '/v1/invoices'), expandList(form))];
  }
  if ((m = path.match(/^\/v1\/invoices\/([^/]+)$/)) && method === 'GET') {
    const inv = state.invoices.get(m[1]);
    if (!inv) throw noSuch('invoice', m[1]);
    return [200, expand(invoiceJson(inv), expandList(form))];
  }
  if ((m = path.match(/^\/v1\/customers\/([^/]+)$/))) {
    const c = state.customers.get(m[1]);
    if (!c) throw noSuch('customer', m[1]);
    if (method === 'GET') return [200, c.deleted ? deletedCustomerJson(c) : expand(customerJson(c), expandList(form))];
    if (method === 'DELETE') {
      if (c.deleted) throw noSuch('customer', m[1]);
      c.deleted = true;
      // Deleting a customer cancels their subscriptions at once, as Stripe does.
      const ended = [...state.subscriptions.values()].filter((s) => s.customer === c.id && s.status !== 'canceled');
      for (const sub of ended) cancelNow(sub);
      const snapshots = ended.map(subscriptionJson);
      return [200, deletedCustomerJson(c), snapshots.length && (() => Promise.all(snapshots.map((json) => emit('customer.subscription.deleted', json, { requestId }))))];
    }
  }
  if ((m = path.match(/^\/v1\/charges\/([^/]+)$/)) && method === 'GET') {
    const ch = state.charges.get(m[1]);
    if (!ch) throw noSuch('charge', m[1]);
    return [200, expand(chargeJson(ch), expandList(form))];
  }
  if ((m = path.match(/^\/v1\/prices\/([^/]+)$/)) && method === 'GET') {
    if (!prices.has(m[1])) throw noSuch('price', m[1]);
    return [200, expand(priceJson(prices.get(m[1])), expandList(form))];
  }
  if ((m = path.match(/^\/v1\/events\/([^/]+)$/)) && method === 'GET') {
    const ev = state.events.get(m[1]);
    if (!ev) throw noSuch('event', m[1]);
    return [200, JSON.parse(ev.body)];
  }
  throw new ApiError(404, `Unrecognized request URL (${method}: ${path}). This test server only knows the endpoints Viva calls.`);
}

// limit (default 10, at most 100) and starting_after over a newest-first array.
function paginate(all, form, url) {
  const limit = Math.min(100, Math.max(1, Number(form.limit ?? 10) || 10));
  let start = 0;
  if (form.starting_after) {
    const i = all.findIndex((x) => x.id === form.starting_after);
    if (i < 0) throw noSuch('object', form.starting_after, 'starting_after', 400);
    start = i + 1;
  }
  const data = all.slice(start, start + limit);
  return listJson(data, url, start + limit < all.length);
}

async function handleApi(req, res, url) {
  const raw = await readBody(req);
  const form = parseForm(req.method === 'GET' ? url.search.slice(1) : raw || url.search.slice(1));
  const requestId = newId('req_', 14);
  state.requests.push({ method: req.method, path: url.pathname, form, at: new Date().toISOString() });
  const headers = { 'request-id': requestId, 'stripe-version': API_VERSION };
  if (state.down) {
    return send(res, 500, errorJson('api_error', 'Something went wrong on Stripe\'s end (test outage).'), headers);
  }
  const auth = req.headers.authorization ?? '';
  const key = auth.startsWith('Bearer ') ? auth.slice(7).trim()
    : auth.startsWith('Basic ') ? Buffer.from(auth.slice(6), 'base64').toString().split(':')[0]
      : '';
  if (!key) {
    return send(res, 401, errorJson('invalid_request_error', 'You did not provide an API key. Send it as a Bearer token in the Authorization header.'), headers);
  }
  if (key !== apiKey) {
    return send(res, 401, errorJson('invalid_request_error', `Invalid API Key provided: ${key.slice(0, 8)}${'*'.repeat(Math.max(0, key.length - 12))}${key.slice(-4)}`, 'api_key_invalid'), headers);
  }
  const idem = req.method === 'POST' ? req.headers['idempotency-key'] : undefined;
  if (idem && state.idempotency.has(idem)) {
    const cached = state.idempotency.get(idem);
    return send(res, cached.status, cached.json, { ...headers, 'idempotent-replayed': 'true', 'idempotency-key': idem });
  }
  let status;
  let json;
  let after;
  try {
    [status, json, after] = api(req.method, url.pathname, form, requestId);
  } catch (e) {
    if (!(e instanceof ApiError)) throw e;
    status = e.status;
    json = errorJson(e.type, e.message, e.code, e.param);
  }
  if (idem) state.idempotency.set(idem, { status, json });
  send(res, status, json, idem ? { ...headers, 'idempotency-key': idem } : headers);
  if (after) setImmediate(after);
}

// ---------------------------------------------------------------------------------------------
// Browser pages.

function checkoutPage(res, s, error = '') {
  const price = prices.get(s.price);
  if (s.status !== 'open') {
    return page(res, 409, 'Test checkout', `<h1>Test checkout</h1>\n<p role="alert">This checkout session is ${escapeHtml(s.status)}; it cannot be paid again.</p>`);
  }
  const customer = s.customer ? state.customers.get(s.customer) : null;
  const email = customer?.email ?? s.customerEmail ?? '';
  const each = money(price.amount, price.currency);
  const total = money(price.amount * s.quantity, price.currency);
  return page(res, error ? 400 : 200, 'Test checkout', `<h1>Test checkout</h1>
${error ? `<p role="alert">${escapeHtml(error)}</p>` : ''}
<p>${escapeHtml(price.productName)} (<code>${escapeHtml(price.id)}</code>): ${s.quantity > 1 ? `${s.quantity} × ${escapeHtml(each)} = ` : ''}<strong>${escapeHtml(total)}</strong> per ${escapeHtml(price.interval)}.</p>
<form method="post" action="/pay/${escapeHtml(s.id)}">
  <label for="email">E-mail</label>
  <input id="email" name="email" type="email" autocomplete="email" value="${escapeHtml(email)}"${customer ? '' : ' required'}>
  <p>Card: test card, always accepted.</p>
  <button type="submit">Pay</button>
</form>
${s.cancelUrl ? `<p><a href="${escapeHtml(s.cancelUrl)}">Cancel</a></p>` : ''}`);
}

function portalPage(res, p) {
  const customer = state.customers.get(p.customer);
  const subs = [...state.subscriptions.values()].filter((s) => s.customer === p.customer).sort((a, b) => b.seq - a.seq);
  const date = (t) => new Date(t * 1000).toISOString().slice(0, 10);
  const sections = subs.map((sub, i) => {
    const price = prices.get(sub.price);
    const line = sub.status === 'canceled'
      ? `Canceled; ended ${date(sub.endedAt)}.`
      : sub.cancelAtPeriodEnd
        ? `${escapeHtml(sub.status)}; cancels on ${date(sub.periodEnd)}.`
        : `${escapeHtml(sub.status)}; renews on ${date(sub.periodEnd)}.`;
    const action = sub.status === 'canceled' ? ''
      : `<form method="post" action="/portal/${escapeHtml(p.id)}">
  <input type="hidden" name="subscription" value="${escapeHtml(sub.id)}">
  ${sub.cancelAtPeriodEnd
    ? '<button type="submit" name="action" value="renew">Renew plan</button>'
    : '<button type="submit" name="action" value="cancel">Cancel plan</button>'}
</form>`;
    return `<section aria-labelledby="plan-${i}">
<h2 id="plan-${i}">${escapeHtml(price.productName)}, ${escapeHtml(money(price.amount * sub.quantity, price.currency))} per ${escapeHtml(price.interval)}</h2>
<p>${line}</p>
${action}
</section>`;
  });
  return page(res, 200, 'Test customer portal', `<h1>Test customer portal</h1>
<p>${escapeHtml(customer?.email ?? p.customer)}</p>
${sections.length ? sections.join('\n') : '<p>No subscriptions.</p>'}
${p.returnUrl ? `<p><a href="${escapeHtml(p.returnUrl)}">Return to Viva</a></p>` : ''}`);
}

function pdf(lines) {
  const text = lines.map((l, i) => `BT /F1 12 Tf 72 ${740 - i * 20} Td (${l.replace(/[^\x20-\x7e]/g, '?').replace(/[()\\]/g, '\\$&')}) Tj ET`).join('\n');
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>',
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
    `<< /Length ${text.length} >>\nstream\n${text}\nendstream`,
  ];
  let out = '%PDF-1.4\n';
  const offsets = objects.map((o, i) => {
    const at = out.length;
    out += `${i + 1} 0 obj\n${o}\nendobj\n`;
    return at;
  });
  const xref = out.length;
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

function invoiceLines(inv) {
  const price = prices.get(inv.price);
  const date = (t) => new Date(t * 1000).toISOString().slice(0, 10);
  return [
    `Invoice ${inv.number}`,
    `${price.productName} x ${inv.quantity}: ${(inv.amount / (ZERO_DECIMAL.has(price.currency) ? 1 : 100)).toFixed(ZERO_DECIMAL.has(price.currency) ? 0 : 2)} ${price.currency.toUpperCase()}`,
    `Period ${date(inv.periodStart)} to ${date(inv.periodEnd)}`,
    `Status: ${inv.status}`,
  ];
}

async function handleBrowser(req, res, url) {
  let m;
  if ((m = url.pathname.match(/^\/pay\/([^/]+)$/))) {
    const s = state.sessions.get(m[1]);
    if (!s) return page(res, 404, 'Test checkout', '<h1>Test checkout</h1>\n<p role="alert">No such checkout session.</p>');
    if (req.method === 'GET') return checkoutPage(res, s);
    if (req.method === 'POST') {
      const form = new URLSearchParams(await readBody(req));
      if (s.status !== 'open') return checkoutPage(res, s);
      const email = (form.get('email') ?? '').trim();
      if (!s.customer && !/^[^@\s]+@[^@\s]+$/.test(email)) return checkoutPage(res, s, 'Enter an e-mail address.');
      await completeCheckout(s, email);
      if (!s.successUrl) return page(res, 200, 'Test checkout', '<h1>Test checkout</h1>\n<p role="status">Payment complete.</p>');
      const target = s.successUrl.replaceAll('{CHECKOUT_SESSION_ID}', s.id).replaceAll('%7BCHECKOUT_SESSION_ID%7D', s.id);
      res.writeHead(303, { location: target });
      return res.end();
    }
  }
  if ((m = url.pathname.match(/^\/portal\/([^/]+)$/))) {
    const p = state.portals.get(m[1]);
    if (!p) return page(res, 404, 'Test customer portal', '<h1>Test customer portal</h1>\n<p role="alert">No such portal session.</p>');
    if (req.method === 'GET') return portalPage(res, p);
    if (req.method === 'POST') {
      const form = new URLSearchParams(await readBody(req));
      const sub = state.subscriptions.get(form.get('subscription') ?? '');
      if (sub && sub.customer === p.customer && sub.status !== 'canceled') {
        const previous = setCancelAtPeriodEnd(sub, form.get('action') === 'cancel');
        if (previous) await emit('customer.subscription.updated', subscriptionJson(sub), { previous });
      }
      res.writeHead(303, { location: `/portal/${p.id}` });
      return res.end();
    }
  }
  if ((m = url.pathname.match(/^\/invoice\/([^/]+?)(\/pdf)?$/)) && req.method === 'GET') {
    const inv = state.invoices.get(m[1]);
    if (!inv) return page(res, 404, 'Invoice', '<h1>Invoice</h1>\n<p role="alert">No such invoice.</p>');
    if (m[2]) {
      res.writeHead(200, { 'content-type': 'application/pdf', 'content-disposition': `inline; filename="Invoice-${inv.number}.pdf"` });
      return res.end(pdf(invoiceLines(inv)));
    }
    const [title, ...rest] = invoiceLines(inv);
    return page(res, 200, title, `<h1>${escapeHtml(title)}</h1>
${rest.map((l) => `<p>${escapeHtml(l)}</p>`).join('\n')}
<p><a href="/invoice/${escapeHtml(inv.id)}/pdf">Download PDF</a></p>`);
  }
  return page(res, 404, 'Not found', '<h1>Not found</h1>');
}

// ---------------------------------------------------------------------------------------------
// Test controls.

class ControlError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

function controlSubscription(id) {
  const sub = state.subscriptions.get(id ?? '');
  if (!sub) throw new ControlError(404, `no subscription ${id}`);
  return sub;
}

async function control(method, name, input) {
  const key = `${method} ${name}`;
  switch (key) {
    case 'GET requests': return state.requests;
    case 'DELETE requests': state.requests = []; return { ok: true };
    case 'GET deliveries': return state.deliveries;
    case 'DELETE deliveries': state.deliveries = []; return { ok: true };
    case 'GET events': return [...state.events.values()].map(({ id, type, body }) => ({ id, type, event: JSON.parse(body) }));
    case 'GET subscriptions': return [...state.subscriptions.values()].map(subscriptionJson);
    case 'POST hold': state.hold = Boolean(input.on); return { hold: state.hold, queued: state.held.length };
    case 'POST flush': {
      const queued = state.held;
      state.held = [];
      if (input.order === 'reverse') queued.reverse();
      const deliveries = [];
      for (const event of queued) deliveries.push(await deliver(event));
      return { deliveries };
    }
    case 'POST down': state.down = Boolean(input.on); return { down: state.down };
    case 'POST advance': {
      const sub = controlSubscription(input.subscription);
      if (sub.status === 'canceled') throw new ControlError(400, `${sub.id} is canceled`);
      const t = now();
      if (sub.cancelAtPeriodEnd) {
        sub.periodEnd = t; // the period ends now
        sub.cancelAt = t;
        cancelNow(sub);
        return { subscription: subscriptionJson(sub), deliveries: [await emit('customer.subscription.deleted', subscriptionJson(sub))] };
      }
      const previous = { latest_invoice: sub.latestInvoice, status: sub.status };
      const old = [sub.periodStart, t];
      const open = [...state.invoices.values()].find((i) => i.subscription === sub.id && i.status === 'open');
      let inv;
      if (open) { // a past-due renewal is paid on the retry
        open.status = 'paid';
        open.attemptCount += 1;
        open.paidAt = t;
        open.nextPaymentAttempt = null;
        open.charge = makeCharge(open, 'Subscription update');
        inv = open;
      } else {
        startPeriod(sub, t);
        inv = bill(sub, { reason: 'subscription_cycle', invoicePeriod: old });
      }
      sub.status = 'active';
      if (previous.status === sub.status) delete previous.status;
      const deliveries = [await emit('invoice.paid', invoiceJson(inv))];
      deliveries.push(await emit('customer.subscription.updated', subscriptionJson(sub), { previous }));
      return { subscription: subscriptionJson(sub), invoice: invoiceJson(inv), deliveries };
    }
    case 'POST fail': {
      const sub = controlSubscription(input.subscription);
      if (sub.status === 'canceled') throw new ControlError(400, `${sub.id} is canceled`);
      const previous = { latest_invoice: sub.latestInvoice, status: sub.status };
      const t = now();
      const old = [sub.periodStart, t];
      startPeriod(sub, t);
      const inv = bill(sub, { reason: 'subscription_cycle', failed: true, invoicePeriod: old });
      sub.status = 'past_due';
      const deliveries = [await emit('invoice.payment_failed', invoiceJson(inv))];
      deliveries.push(await emit('customer.subscription.updated', subscriptionJson(sub), { previous }));
      return { subscription: subscriptionJson(sub), invoice: invoiceJson(inv), deliveries };
    }
    case 'POST refund': {
      const sub = controlSubscription(input.subscription);
      const inv = [...state.invoices.values()].filter((i) => i.subscription === sub.id && i.status === 'paid' && i.charge).sort((a, b) => b.seq - a.seq)[0];
      if (!inv) throw new ControlError(400, `${sub.id} has no paid invoice`);
      const ch = state.charges.get(inv.charge);
      if (ch.refunded) throw new ControlError(400, `${ch.id} is already refunded`);
      const previous = { amount_refunded: ch.amountRefunded, refunded: false };
      ch.amountRefunded = ch.amount;
      ch.refunded = true;
      return { charge: chargeJson(ch), invoice: inv.id, deliveries: [await emit('charge.refunded', chargeJson(ch), { previous })] };
    }
    case 'POST send': {
      if (!input.type) throw new ControlError(400, 'type is required');
      let object = input.object;
      if (!object && input.subscription) object = subscriptionJson(controlSubscription(input.subscription));
      if (!object && input.invoice) object = lookup(input.invoice);
      if (!object && input.session && state.sessions.has(input.session)) object = checkoutSessionJson(state.sessions.get(input.session));
      if (!object && input.charge) object = lookup(input.charge);
      if (!object || typeof object !== 'object') throw new ControlError(400, 'object (or subscription, invoice, session, charge) is required');
      const id = input.id ?? newId('evt_');
      const event = { id, type: input.type };
      event.body = JSON.stringify(eventJson({ id, type: input.type, object, previous: input.previous_attributes, created: now() }), null, 2);
      state.events.set(id, event);
      const d = await deliver(event, { sign: input.sign ?? 'good', tOffset: input.t_offset ?? 0 });
      return { status: d.status, body: d.body, event: JSON.parse(event.body) };
    }
    case 'POST replay': {
      const event = state.events.get(input.id ?? '');
      if (!event) throw new ControlError(404, `no event ${input.id}`);
      const d = await deliver(event);
      return { status: d.status, body: d.body };
    }
    case 'POST reset': state = fresh(); return { ok: true };
    default: throw new ControlError(404, `no control ${key}`);
  }
}

// ---------------------------------------------------------------------------------------------

const server = createServer(async (req, res) => {
  try {
    const url = new URL(req.url ?? '/', origin);
    if (url.pathname === '/healthz') return send(res, 200, 'ok');
    if (url.pathname.startsWith('/v1/')) return await handleApi(req, res, url);
    const c = url.pathname.match(/^\/__control\/([a-z]+)$/);
    if (c) {
      const text = await readBody(req);
      let input = {};
      try {
        input = text ? JSON.parse(text) : {};
      } catch {
        return send(res, 400, { error: 'body must be JSON' });
      }
      try {
        return send(res, 200, await control(req.method, c[1], input ?? {}));
      } catch (e) {
        if (e instanceof ControlError) return send(res, e.status, { error: e.message });
        throw e;
      }
    }
    return await handleBrowser(req, res, url);
  } catch (e) {
    console.error('stripe-server:', e);
    if (!res.headersSent) send(res, 500, errorJson('api_error', String(e)));
    else res.end();
  }
});

server.listen(port, '127.0.0.1', () => console.log(`stripe-server listening on ${port}`));
const stop = () => {
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 1000).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
