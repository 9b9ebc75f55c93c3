#!/usr/bin/env bash
# Video answers, end to end on loopback (bench/video.mjs does the work):
#  1. what a real recording weighs: headless Chromium (Debian's, driven by playwright-core)
#     records 60 s through MediaRecorder with exactly public/video/capture.js's settings
#     (the CAMERA constraints, the first supported type, 600 kbit/s video, 64 kbit/s audio,
#     1-s slices), once from end2end/fixtures/make-camera.sh's 320x240 test card and once from
#     Chromium's own fake camera (640x480): bytes, chunks, bytes per minute;
#  2. upload throughput: a release viva (temporary data dir, files blob store, --print-mail
#     so sign-up codes come from its log, no SMTP) takes the 640x480 recording cut where the
#     recorder cut it, one chunk at a time as the browser sends it (MB/s, chunks/s, p50/p99
#     per chunk), then from 4 people at once, each into their own interview;
#  3. from "stop" to playable: the time of POST /api/video/finish (join the chunks, make the
#     WebM seekable) for the 60-s recording and for a 10-minute one made by ffmpeg (VP8
#     600 kbit/s + Opus 64 kbit/s, live WebM with a cluster a second, sent in 75 KB chunks),
#     then GET /videos/{interview}/0/answer with Range: bytes=0-1023 (206 and the size),
#     ffprobe's duration over HTTP and a frame decoded after seeking near the end.
# A warm-up upload of the 320x240 recording goes first (not reported).
# Needs a release build (bash .ci/build), node, Chromium, ffmpeg and espeak-ng (.ci/tools.sh
# --browser) and end2end's node_modules (npm ci in end2end). Appends the tables to
# bench/out/video.md and prints them. RECORD_SECONDS, LONG_MINUTES, PARALLEL and LONG_CHUNK
# can be set in the environment.
set -euo pipefail
source "$(dirname "$0")/../.ci/env.sh"
cd "$here"
REC_SECS="${RECORD_SECONDS:-60}"; LONG_MIN="${LONG_MINUTES:-10}"
PARALLEL="${PARALLEL:-4}"; LONG_CHUNK="${LONG_CHUNK:-75000}"
ADDR="${ADDR:-127.0.0.1:3914}"; CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
mkdir -p bench/out; out=bench/out/video.md

die() { echo "bench/video.sh: $*" >&2; exit 1; }
[ -x "$VIVA_BIN" ] || die "no release binary at $VIVA_BIN: run bash .ci/build first"
for t in node curl ffmpeg ffprobe espeak-ng; do
  command -v "$t" >/dev/null || die "$t is missing (bash .ci/tools.sh --browser installs the media tools)"
done
[ -x "$CHROMIUM" ] || die "no Chromium at $CHROMIUM (bash .ci/tools.sh --browser; or set CHROMIUM)"
(cd end2end && node -e 'require.resolve("playwright-core")' 2>/dev/null) \
  || die "playwright-core is missing: (cd end2end && npm ci)"
if curl -s -o /dev/null "http://$ADDR/healthz"; then die "something already listens on $ADDR"; fi

tmp=$(mktemp -d); trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

step "1. recording ${REC_SECS} s in Chromium at capture.js's settings"
bash end2end/fixtures/make-camera.sh "$tmp/camera"
rec320=$(node bench/video.mjs record CAMERA="$tmp/camera/camera.y4m" SECONDS="$REC_SECS" OUT="$tmp/rec320.webm") \
  || die "recording from the 320x240 test card failed"
echo "$rec320" >&2
rec640=$(node bench/video.mjs record CAMERA=default SECONDS="$REC_SECS" OUT="$tmp/rec640.webm") \
  || die "recording from Chromium's fake camera failed"
echo "$rec640" >&2

step "making a ${LONG_MIN}-minute WebM with ffmpeg"
t0=$(date +%s)
ffmpeg -hide_banner -loglevel error -y \
  -f lavfi -i "testsrc2=size=640x480:rate=24" -f lavfi -i "sine=frequency=440:sample_rate=48000" \
  -t $((LONG_MIN * 60)) -c:v libvpx -b:v 600k -deadline realtime -cpu-used 8 -threads 2 \
  -c:a libopus -b:a 64k -ac 1 -f webm -live 1 -cluster_time_limit 1000 "$tmp/long.webm" \
  || die "ffmpeg could not make the long recording"
long_dur=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$tmp/long.webm" || true)
# Cluster IDs in the file (a live WebM, as Chromium writes: no Cues, unknown sizes).
clusters=$(node -e 'const b = require("fs").readFileSync(process.argv[1]), id = Buffer.from([0x1f, 0x43, 0xb6, 0x75]);
  let n = 0; for (let i = b.indexOf(id); i >= 0; i = b.indexOf(id, i + 4)) n++; console.log(n)' "$tmp/long.webm")
[ "$clusters" -ge $((LONG_MIN * 30)) ] || die "long.webm has $clusters clusters; ffmpeg should have cut one a second"
echo "long.webm: $(stat -c %s "$tmp/long.webm") bytes, $clusters clusters, duration as written '$long_dur', made in $(( $(date +%s) - t0 )) s" >&2

step "2-3. upload, finish and play back against $VIVA_BIN"
# The files blob store (the default), whatever this shell's environment says; no Whisper model
# (nothing here is transcribed, and loading it would cost a second and 150 MB).
env -u VIVA_BLOB_STORE -u VIVA_SMTP_URL VIVA_WHISPER_MODEL=/nonexistent/viva-bench-no-whisper \
  "$VIVA_BIN" --addr "$ADDR" --data-dir "$tmp/viva" --log warn --log-format json --print-mail \
  >"$tmp/viva.log" 2>&1 & vpid=$!
for _ in $(seq 600); do
  curl -sf -o /dev/null "http://$ADDR/healthz" && break
  kill -0 $vpid 2>/dev/null || { cat "$tmp/viva.log" >&2; die "viva exited before answering /healthz"; }
  sleep 0.05
done
curl -sf -o /dev/null "http://$ADDR/healthz" || die "viva did not answer /healthz within 30 s"

# How much of the time something here waited for a CPU or the disk (pressure stall
# information, "some"): this is a shared machine, and the figures move with it.
psi() { awk -F'total=' '/^some/ {print $2}' "/proc/pressure/$1" 2>/dev/null || echo 0; }
cpu0=$(psi cpu); io0=$(psi io); us0=$(date +%s%6N)
if ! up=$(node bench/video.mjs upload URL="http://$ADDR" LOG="$tmp/viva.log" VIVA_PID=$vpid \
    WARM="$tmp/rec320.webm" REC="$tmp/rec640.webm" LONG="$tmp/long.webm" \
    PARALLEL="$PARALLEL" LONG_CHUNK="$LONG_CHUNK"); then
  echo "--- viva's log (last 40 lines) ---" >&2; tail -n 40 "$tmp/viva.log" >&2
  die "the upload runs failed (above)"
fi
echo "$up" >&2
us=$(( $(date +%s%6N) - us0 ))
stall="CPU stall $(( ($(psi cpu) - cpu0) * 100 / us ))%, I/O stall $(( ($(psi io) - io0) * 100 / us ))% during the upload runs (PSI some)"
# Finished files (video/USER/REC.webm) and chunks not yet deleted (video/USER/REC/chunk-N).
files=$(find "$tmp/viva/blobs" -type f -name '*.webm' -printf '%s\n' | awk '{s+=$1} END {print s+0, NR}')
chunkfiles=$(find "$tmp/viva/blobs" -type f -name 'chunk-*' -printf '%s\n' | awk '{s+=$1} END {print s+0, NR}')
kill $vpid; wait $vpid 2>/dev/null || true
if grep -q '"level":"ERROR"' "$tmp/viva.log"; then
  grep '"level":"ERROR"' "$tmp/viva.log" | tail -n 5 >&2; die "viva logged errors (above)"
fi

tables=$(node -e '
  const [r320, r640, up] = process.argv.slice(1, 4).map((s) => JSON.parse(s));
  const [files, nfiles, chunkBytes, nchunks, longBytes, chunk, secs, mins, clusters] = process.argv.slice(4).join(" ").split(/\s+/).map(Number);
  const f = (x, d = 0) => Number(x).toLocaleString("en-US", { minimumFractionDigits: d, maximumFractionDigits: d });
  const mb = (b) => f(b / 1e6, 2);
  const rec = (r) => `| ${r.camera}, ${r.coded} at ${f(r.fps_in_file, 1)} fps (${r.codecs}) | ${f(r.recorded_s, 1)} s | ${f(r.bytes)} | ${r.chunks} | ${f(r.first_chunk)} / ${f(r.mean_chunk)} / ${f(r.max_chunk)} | **${mb(r.bytes_per_min)} MB** | ${f(r.kbit_per_s)} |`;
  const upl = (what, u) => `| ${what} | ${u.uploads} | ${u.chunks} | ${mb(u.bytes)} MB | ${f(u.seconds, 2)} s | **${f(u.mb_per_s, 1)}** | ${f(u.chunks_per_s, 1)} | ${f(u.p50_ms, 1)} | ${f(u.p99_ms, 1)} | ${u.first_chunk_ms.map((x) => f(x, 1)).join(", ")} |`;
  const fin = (what, d, extra = "") => `| ${what} | **${f(d.finish_ms)} ms**${extra} | ${f(d.duration_s, 2)} s | ${f(d.uploaded_bytes)} → ${f(d.stored_bytes)} | ${d.range_status}, \`${d.content_range}\` | ${f(d.ffprobe_duration_s, 2)} s; frame at ${d.seek_decoded_at_s} s decoded |`;
  console.log(`| recording | length | bytes | chunks | first / mean / largest chunk | per minute | kbit/s |
|---|---|---|---|---|---|---|
${rec(r320)}
${rec(r640)}

| upload (POST /api/video/chunk, one chunk at a time per person) | people | chunks | bytes | time | MB/s | chunks/s | p50 ms | p99 ms | chunk 0 ms |
|---|---|---|---|---|---|---|---|---|---|
${upl(`the ${secs}-s 640x480 recording, cut where the recorder cut it`, up.single)}
${upl(`the same, ${up.parallel} people at once (own account and interview each; aggregate)`, up.many)}
${upl(`the ${f(longBytes / 1e6, 1)}-MB ${mins}-minute recording (ffmpeg, ${f(clusters)} clusters) in ${f(chunk)}-byte chunks`, up.long_upload)}

| stop → playable (POST /api/video/finish: join, make seekable) | finish | duration | bytes uploaded → stored | Range: bytes=0-1023 | over HTTP (ffprobe, ffmpeg -ss) |
|---|---|---|---|---|---|
${fin(`${secs}-s recording (640x480, Chromium)`, up.finish60)}
${fin(`${mins}-minute recording (ffmpeg)`, up.long)}

${up.parallel} finishes at once (the ${secs}-s recording each, after the upload above): ${up.many_finish.each_ms.map((x) => f(x)).join(", ")} ms, all done in ${f(up.many_finish.wall_ms)} ms. Blob store at the end: ${nfiles} finished files, ${mb(files)} MB, and ${f(nchunks)} chunks, ${mb(chunkBytes)} MB, whose rows went at the finish and whose files wait for the retention sweep (every 10 min). viva peak RSS: ${up.viva_peak_rss_bytes ? f(up.viva_peak_rss_bytes / 1048576) + " MiB" : "unknown"}.`);
 ' "$rec320" "$rec640" "$up" "$files" "$chunkfiles" "$(stat -c %s "$tmp/long.webm")" "$LONG_CHUNK" "$REC_SECS" "$LONG_MIN" "$clusters") || die "could not build the tables"

table=$(cat <<MD

## Video answers ($(date -u +%F), $(nproc) cores, loadavg $load_before at the start, loopback, $("$CHROMIUM" --version 2>/dev/null | head -1 | cut -d' ' -f1-2), ffmpeg $(ffmpeg -version | head -1 | cut -d' ' -f3), viva --log warn, files blob store; $stall)

$tables
MD
)
printf '%s\n' "$table" >> "$out"
printf '%s\n' "$table"
