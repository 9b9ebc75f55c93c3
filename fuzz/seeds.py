#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets (fuzz/corpus/<target>/): small real inputs.

    python3 fuzz/seeds.py [AUDIO_DIR]   # AUDIO_DIR: the dev clips (default shared/audio/dev)

The WAV seeds are cut from a dev clip; the PDFs are the test PDF of
app/src/interview/resume/test_pdf.rs (one page, Helvetica, the same lines) written plain,
deflated, in an object stream, through a filter chain, and as a small counted "bomb"; tokens
are signed with the key the tokens target verifies with. Deterministic: same files each run.
"""
import base64, hashlib, hmac, json, os, struct, sys, zlib

here = os.path.dirname(os.path.abspath(__file__))
audio = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, '..', '..', 'shared', 'audio', 'dev')


def put(target, name, data):
    d = os.path.join(here, 'corpus', target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), 'wb') as f:
        f.write(data)


# --- wav ------------------------------------------------------------------------------
def wav(fmt_chunk, data, before=b'', after=b'', data_len=None):
    dl = len(data) if data_len is None else data_len
    body = b'WAVE' + before + b'fmt ' + struct.pack('<I', len(fmt_chunk)) + fmt_chunk
    body += b'data' + struct.pack('<I', dl) + data + (b'\0' if len(data) % 2 else b'') + after
    return b'RIFF' + struct.pack('<I', len(body)) + body

clip = open(os.path.join(audio, 'clip00.wav'), 'rb').read()
speech = clip[44 + 3200:44 + 4800]  # 50 ms of speech, 16 kHz mono 16-bit
pcm = struct.pack('<HHIIHH', 1, 1, 16000, 32000, 2, 16)
put('wav', 'mono16k_pcm16.wav', wav(pcm, speech))  # as the browser uploads it
put('wav', 'cut_dev_clip.wav', clip[:44 + 800])  # the clip's own header, cut short
put('wav', 'streamed_list.wav', wav(pcm, speech[:400], before=b'LIST\x04\x00\x00\x00INFO', data_len=0xFFFFFFFF))
samples = struct.unpack('<%dh' % (len(speech) // 2), speech)[:200]
floats = b''.join(struct.pack('<ff', s / 32768, -s / 32768) for s in samples)
ext = struct.pack('<HHIIHH', 0xFFFE, 2, 44100, 44100 * 8, 8, 32) + struct.pack('<HHIH', 22, 32, 3, 3) + bytes(14)
put('wav', 'stereo_float_extensible.wav', wav(ext, floats))
put('wav', 'junk_torn.wav', wav(pcm, speech[:101], after=b'LIST\x04\x00\x00\x00INFO'))
put('wav', 'rate8k.wav', wav(struct.pack('<HHIIHH', 1, 1, 8000, 16000, 2, 16), speech[:200]))
put('wav', 'rate48k_stereo.wav', wav(struct.pack('<HHIIHH', 1, 2, 48000, 192000, 4, 16), speech[:400]))
put('wav', 'pcm8_refused.wav', wav(struct.pack('<HHIIHH', 1, 1, 16000, 16000, 1, 8), speech[:100]))

# --- resume ---------------------------------------------------------------------------
RESUME = [
    "Priya Raman - Backend Engineer",
    "Experience: 6 years building payment APIs in Rust and Python at Finch Ltd.",
    "Skills: PostgreSQL, Kafka, Docker, Kubernetes, AWS, system design.",
    "Led the migration of the ledger service to PostgreSQL, cutting p99 latency by 40%.",
]
content = b''.join(
    b'BT\n/F1 11 Tf\n60 %d Td\n(%s) Tj\nET\n' % (750 - 18 * i, l.encode()) for i, l in enumerate(RESUME))


def pdf(content_dict, content_data, version=b'1.5', junk=b'', extra=()):
    """Objects 1-5 as test_pdf.rs makes them, plus `extra` (num, bytes) objects."""
    objs = [
        (1, b'<< /Type /Pages /Kids [3 0 R] /Count 1 /Resources 5 0 R /MediaBox [0 0 595 842] >>'),
        (2, b'<< /Type /Catalog /Pages 1 0 R >>'),
        (3, b'<< /Type /Page /Parent 1 0 R /Contents 4 0 R >>'),
        (4, b'<< ' + content_dict + b' /Length %d >>\nstream\n' % len(content_data) + content_data + b'\nendstream'),
        (5, b'<< /Font << /F1 6 0 R >> >>'),
        (6, b'<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>'),
    ] + list(extra)
    out = junk + b'%PDF-' + version + b'\n%\xe2\xe3\xcf\xd3\n'
    offsets = {}
    for n, body in objs:
        offsets[n] = len(out)
        out += b'%d 0 obj\n' % n + body + b'\nendobj\n'
    xref = len(out)
    size = max(offsets) + 1
    out += b'xref\n0 %d\n0000000000 65535 f \n' % size
    for n in range(1, size):
        out += b'%010d 00000 n \n' % offsets[n]
    out += b'trailer\n<< /Size %d /Root 2 0 R >>\nstartxref\n%d\n%%%%EOF\n' % (size, xref)
    return out

put('resume', 'text.pdf', pdf(b'', content))
put('resume', 'flate.pdf', pdf(b'/Filter /FlateDecode', zlib.compress(content, 9)))
put('resume', 'junk_before_header.pdf', pdf(b'', content, version=b'1.4', junk=b'\x00\x01 some junk\r\n'))
a85 = base64.a85encode(zlib.compress(content, 9), adobe=False) + b'~>'
put('resume', 'ascii85_flate_chain.pdf', pdf(b'/Filter [/ASCII85Decode /FlateDecode]', a85))
raw = zlib.compressobj(9, zlib.DEFLATED, -15)
put('resume', 'raw_deflate.pdf', pdf(b'/Filter /FlateDecode', raw.compress(content) + raw.flush()))
zeros = zlib.compress(bytes(1024 * 1024), 9)  # 1 MB of zeros in about 1 KB: counted, passes
put('resume', 'counted_zeros.pdf', pdf(b'/Filter /FlateDecode', zlib.compress(content, 9),
                                       extra=[(7, b'<< /Length %d /Filter /FlateDecode >>\nstream\n' % len(zeros) + zeros + b'\nendstream')]))
put('resume', 'zip_refused.docx', b'PK\x03\x04\x14\x00\x00\x00word/document.xml')

# An object stream and a cross-reference stream (PDF 1.5), as newer writers make them.
inner = [(1, b'<< /Type /Pages /Kids [3 0 R] /Count 1 /Resources 5 0 R /MediaBox [0 0 595 842] >>'),
         (3, b'<< /Type /Page /Parent 1 0 R /Contents 4 0 R >>'),
         (5, b'<< /Font << /F1 6 0 R >> >>'),
         (6, b'<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>')]
head, body = b'', b''
for n, o in inner:
    head += b'%d %d ' % (n, len(body))
    body += o + b' '
objstm = zlib.compress(head + body, 9)
out = b'%PDF-1.5\n'
offs = {}
for n, o in [(2, b'<< /Type /Catalog /Pages 1 0 R >>'),
             (4, b'<< /Length %d >>\nstream\n' % len(content) + content + b'\nendstream'),
             (7, b'<< /Type /ObjStm /N %d /First %d /Length %d /Filter /FlateDecode >>\nstream\n'
              % (len(inner), len(head), len(objstm)) + objstm + b'\nendstream')]:
    offs[n] = len(out)
    out += b'%d 0 obj\n' % n + o + b'\nendobj\n'
xref_at = len(out)
rows = b''
for n in range(9):
    if n == 0:
        rows += struct.pack('>BIH', 0, 0, 65535)
    elif n in offs:
        rows += struct.pack('>BIH', 1, offs[n], 0)
    elif n == 8:
        rows += struct.pack('>BIH', 1, xref_at, 0)
    else:
        rows += struct.pack('>BIH', 2, 7, [i for i, _ in inner].index(n))
xs = zlib.compress(rows, 9)
out += b'8 0 obj\n<< /Type /XRef /Size 9 /W [1 4 2] /Root 2 0 R /Length %d /Filter /FlateDecode >>\nstream\n' % len(xs)
out += xs + b'\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n' % xref_at
put('resume', 'object_stream.pdf', out)

# --- tokens ---------------------------------------------------------------------------
KEY = b'0123456789abcdef0123456789abcdef'
ISS = 'https://viva.example.org'
NOW = 1_796_083_200
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b'=')
hdr = json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(',', ':')).encode()
claims = json.dumps({"sub": "user:1", "role": "user", "sid": "sess:9", "iat": NOW - 60, "exp": NOW + 840,
                     "iss": ISS, "aud": "viva-web"}, separators=(',', ':')).encode()
signing = b64(hdr) + b'.' + b64(claims)
token = signing + b'.' + b64(hmac.new(KEY, signing, hashlib.sha256).digest())
put('tokens', 'access_token', b'\x00' + token)
put('tokens', 'access_token_alg_none', b'\x00' + b64(b'{"alg":"none","typ":"JWT"}') + b'.' + b64(claims) + b'.')
put('tokens', 'signed_claims', b'\x01\n' + claims)
put('tokens', 'signed_claims_admin_header', b'\x01' + hdr + b'\n' + claims.replace(b'"user"', b'"admin"'))
put('tokens', 'cookies', b'\x02\na=1; __Host-viva_access=' + token + b'\n__Host-viva_refresh=r3')
put('tokens', 'cookie_refresh', b'\x02r\n__Host-viva_refresh=abc; theme=dark')
put('tokens', 'refresh', b'\x03' + struct.pack('<Bqqqq', 3, NOW << 23, NOW << 23, (NOW - 10) << 23, NOW << 23)
    + b64(bytes(range(32))))

# --- multipart ------------------------------------------------------------------------
def form(boundary, parts):
    out = b''
    for name, filename, data in parts:
        out += b'--' + boundary + b'\r\nContent-Disposition: form-data; name="' + name + b'"'
        if filename:
            out += b'; filename="' + filename + b'"\r\nContent-Type: audio/wav'
        out += b'\r\n\r\n' + data + b'\r\n'
    return out + b'--' + boundary + b'--\r\n'

seg = wav(pcm, speech[:160])
parts = [(b'interview', None, b'iv123'), (b'position', None, b'2'), (b'seq', None, b'7'),
         (b'start', None, b'1.5'), (b'end', None, b'3.25'), (b'audio', b'seg.wav', seg)]
b = b'----VivaBoundary7MA4YWxkTrZu0gW'
put('multipart', 'segment', b'multipart/form-data; boundary=' + b + b'\n' + form(b, parts) + b'\x40')
put('multipart', 'segment_small_chunks', b'multipart/form-data; boundary=' + b + b'\n' + form(b, parts) + b'\x07')
put('multipart', 'quoted_boundary_extra_field', b'multipart/form-data; boundary="x y"\n'
    + form(b'x y', [(b'other', None, b'skipped'), (b'audio', b'a.wav', b'RIFF')]) + b'\x00')
put('multipart', 'too_large', b'multipart/form-data; boundary=b\n' + form(b'b', [(b'audio', b'a.wav', bytes(600))]) + b'\xff')

# --- oidc_callback --------------------------------------------------------------------
state = b'Yx3kq0W2cZ9sV1fT8mJ4pL6rN5bH7dG0aE2uI9oK1wQ'
id_claims = json.dumps({"iss": "https://accounts.google.com", "sub": "1098765432", "aud": "viva",
                        "exp": NOW + 3600, "iat": NOW, "nonce": "n0nce", "email": "priya@example.org",
                        "email_verified": True, "name": "Priya Raman"}, separators=(',', ':')).encode()
put('oidc_callback', 'code_and_state', b'code=4%2F0AX4XfWh&state=' + state + b'&scope=openid+email\n'
    + b'__Host-viva_oidc_state=' + state + b'; a=b\n' + id_claims)
put('oidc_callback', 'provider_error', b'error=access_denied&error_description=The+user+denied\n\n'
    + id_claims.replace(b'true', b'"true"'))
put('oidc_callback', 'no_query', b'\n__Host-viva_oidc_state=x\n{"sub":"1"}')

# --- razorpay_webhook -----------------------------------------------------------------
RZP = b'whsec_viva_fuzz'
event = json.dumps({"entity": "event", "account_id": "acc_BFQ7uQEaa7j2z7", "event": "subscription.charged",
                    "contains": ["subscription", "payment"], "payload": {"subscription": {"entity": {
                        "id": "sub_00000000000001", "plan_id": "plan_00000000000001", "status": "active",
                        "current_start": NOW, "current_end": NOW + 2592000, "notes": {"user": "u1"}}},
                        "payment": {"entity": {"id": "pay_29QQoUBi66xm2f", "amount": 49900, "currency": "INR"}}},
                    "created_at": NOW}, separators=(',', ':')).encode()
sig = hmac.new(RZP, event, hashlib.sha256).hexdigest().encode()
put('razorpay_webhook', 'charged', sig + b'\n' + event)
put('razorpay_webhook', 'charged_upper_spaced', b' ' + sig.upper() + b' \n' + event)
put('razorpay_webhook', 'forged', sig[:-1] + b'0\n' + event)
