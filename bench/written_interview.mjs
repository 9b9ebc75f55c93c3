// For bench/lighthouse.sh: a written interview through Viva's server functions, answered and
// finished, so its report page can be audited. `node written_interview.mjs BASE COOKIE` prints
// the report's path.
const [base, cookie] = process.argv.slice(2);
const call = async (fn, fields) => {
  const res = await fetch(`${base}/api/interview/${fn}`, {
    method: 'POST',
    headers: { origin: base, accept: 'application/json', cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields),
    redirect: 'manual',
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${fn}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
};
const answer = 'In my last role our nightly import took six hours and often failed. I owned the pipeline, so I '
  + 'profiled it, found that most time went on one unindexed lookup, added the index and batched the writes. '
  + 'The import then took forty minutes and has not failed since; I learned to measure before changing anything.';
const id = await call('start', [['setup[role]', 'backend-engineer'], ['setup[difficulty]', '2'], ['setup[count]', '3'], ['setup[kinds][]', 'behavioural']]);
for (let position = 0; position < 3; position++) {
  const r = await call('answer', [['id', id], ['position', String(position)], ['answer', answer]]);
  if (r && r.FollowUp) await call('answer', [['id', id], ['position', String(position)], ['answer', answer]]);
}
await call('finish', [['id', id]]);
console.log(`/interview/${id}/report`);
