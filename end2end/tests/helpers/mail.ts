// Reads what the app e-mailed, from the local SMTP sink (servers/smtp-sink.mjs).
const api = process.env.SMTP_SINK_HTTP ?? 'http://127.0.0.1:3926';

export interface Mail {
  id: number;
  from: string;
  to: string[];
  subject: string;
  text: string;
  html: string;
  receivedAt: string;
}

/** Every message, or those to one address, oldest first. */
export async function messagesFor(email?: string): Promise<Mail[]> {
  const q = email ? `?to=${encodeURIComponent(email)}` : '';
  const res = await fetch(`${api}/messages${q}`);
  if (!res.ok) throw new Error(`smtp sink: ${res.status} ${await res.text()}`);
  return res.json();
}

/** The newest 6-digit code e-mailed to `email` in a message after `after`, waiting up to 10 s. */
export async function otpFor(email: string, after = 0): Promise<{ code: string; id: number }> {
  const res = await fetch(`${api}/otp?to=${encodeURIComponent(email)}&after=${after}&wait=10000`);
  if (!res.ok) throw new Error(`no code e-mailed to ${email}: ${await res.text()}`);
  return res.json();
}

export async function clearMail(): Promise<void> {
  await fetch(`${api}/messages`, { method: 'DELETE' });
}

/** The next `count` messages to `email` are refused with SMTP `code` (the app must retry them). */
export async function failNext(email: string, count: number, code = 451): Promise<void> {
  const res = await fetch(`${api}/fail?to=${encodeURIComponent(email)}&count=${count}&code=${code}`, { method: 'POST' });
  if (!res.ok) throw new Error(`smtp sink: ${res.status} ${await res.text()}`);
}
