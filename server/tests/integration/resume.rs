//! Resume uploads against the real binary: decompression bombs the raw pre-scan can't see
//! (filter chains, odd zlib headers, ASCII85, one stream listed many times) are refused
//! without the server growing; a PDF that takes too long is cut off and its work stops;
//! extractions beyond the cap are told to come back. PDFs are written here by hand.

use crate::support;

use std::io::Write;
use std::time::{Duration, Instant};

use support::{json, post, Viva};

/// How much the server's resident memory may grow while refusing bombs.
const MAX_SERVER_GROWTH_KB: u64 = 200 * 1024;
/// How soon a refusal must come (the deadline is 10 s).
const MAX_ANSWER_SECS: u64 = 15;
/// CPU time the server may use in the 3 s after answering.
const MAX_CPU_AFTER_ANSWER: Duration = Duration::from_millis(500);
/// USER_HZ, the unit of CPU times in /proc (100 on every Linux).
const TICKS_PER_SEC: u64 = 100;

const RESUME: &[&str] = &[
    "Priya Raman - Backend Engineer",
    "Experience: 6 years building payment APIs in Rust and Python at Finch Ltd.",
    "Skills: PostgreSQL, Kafka, Docker, Kubernetes, AWS, system design.",
];

/// A PDF: catalog, a page tree of `pages` pages, Helvetica, and one content stream
/// (`filter` is its /Filter value, or "" for none) that every page lists `refs` times.
fn pdf(filter: &str, content: &[u8], pages: usize, refs: usize) -> Vec<u8> {
    let kids: Vec<String> = (0..pages).map(|i| format!("{} 0 R", 5 + i)).collect();
    let filter = if filter.is_empty() {
        String::new()
    } else {
        format!(" /Filter {filter}")
    };
    let mut stream = format!("<< /Length {}{filter} >>\nstream\n", content.len()).into_bytes();
    stream.extend_from_slice(content);
    stream.extend_from_slice(b"\nendstream");
    let contents = vec!["4 0 R"; refs].join(" ");
    let mut objects = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        format!("<< /Type /Pages /Kids [{}] /Count {pages} /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> >>", kids.join(" ")).into_bytes(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_vec(),
        stream,
    ];
    for _ in 0..pages {
        objects
            .push(format!("<< /Type /Page /Parent 2 0 R /Contents [{contents}] >>").into_bytes());
    }
    let mut out = b"%PDF-1.5\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

fn zlib(data: &[u8]) -> Vec<u8> {
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    z.write_all(data).unwrap();
    z.finish().unwrap()
}

/// `mb` MB of zeros, deflated (zlib): about 1 KB per MB.
fn zlib_zeros(mb: usize) -> Vec<u8> {
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![0u8; 1024 * 1024];
    for _ in 0..mb {
        z.write_all(&zeros).unwrap();
    }
    z.finish().unwrap()
}

/// ASCII85 (PDF's ASCII85Decode), with its `~>` end.
fn ascii85(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for group in data.chunks(4) {
        let mut word = [0u8; 4];
        word[..group.len()].copy_from_slice(group);
        let mut n = u32::from_be_bytes(word);
        if group.len() == 4 && n == 0 {
            out.push(b'z');
            continue;
        }
        let mut digits = [0u8; 5];
        for d in digits.iter_mut().rev() {
            *d = b'!' + (n % 85) as u8;
            n /= 85;
        }
        out.extend_from_slice(&digits[..group.len() + 1]);
    }
    out.extend_from_slice(b"~>");
    out
}

async fn upload(v: &Viva, jar: &str, file: &[u8]) -> reqwest::Response {
    let boundary = "vivatestboundary2c9e41";
    let mut body = format!("--{boundary}\r\nContent-Disposition: form-data; name=\"resume\"; filename=\"resume.pdf\"\r\nContent-Type: application/pdf\r\n\r\n").into_bytes();
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    post(v, "/api/interview/resume", jar)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .timeout(Duration::from_secs(120))
        .send()
        .await
        .unwrap()
}

/// A field of /proc/PID/status, in kB.
fn status_kb(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status
        .lines()
        .find(|l| l.starts_with(field))
        .unwrap_or_else(|| panic!("no {field} in {status}"));
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// The fields of /proc/PID/stat after the command name (field 3, the state, comes first).
fn stat(pid: &str) -> Option<Vec<String>> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    Some(
        s[s.rfind(')')? + 2..]
            .split_whitespace()
            .map(str::to_string)
            .collect(),
    )
}

/// CPU time of the server and of its children it has reaped (utime, stime, cutime, cstime).
fn cpu(pid: u32) -> Duration {
    let f = stat(&pid.to_string()).unwrap();
    let ticks: u64 = f[11..15].iter().map(|t| t.parse::<u64>().unwrap()).sum();
    Duration::from_millis(ticks * 1000 / TICKS_PER_SEC)
}

/// The server's child processes (zombies included): (pid, command line).
fn children(pid: u32) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let p = entry.file_name().to_string_lossy().to_string();
        if !p.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        if stat(&p).is_some_and(|f| f[1] == pid.to_string()) {
            let cmd = std::fs::read(format!("/proc/{p}/cmdline")).unwrap_or_default();
            found.push((p, String::from_utf8_lossy(&cmd).replace('\0', " ")));
        }
    }
    found
}

/// After an answer: the server spends (almost) no more CPU, and no reader process is left.
async fn assert_work_stopped(v: &Viva) {
    let before = cpu(v.pid());
    tokio::time::sleep(Duration::from_secs(3)).await;
    let used = cpu(v.pid()) - before;
    eprintln!("CPU time in the 3 s after the answer: {used:?}");
    assert!(
        used < MAX_CPU_AFTER_ANSWER,
        "the server used {used:?} of CPU after answering"
    );
    assert_eq!(
        children(v.pid()),
        [],
        "a reader process outlived its answer"
    );
}

/// The refusal message of a 400.
async fn refusal(res: reqwest::Response) -> String {
    let status = res.status();
    let body = json(res).await;
    assert_eq!(status, 400, "{body}");
    body["message"].as_str().unwrap_or_default().to_string()
}

#[tokio::test]
async fn bombs_the_raw_scan_misses_are_refused_without_the_server_growing() {
    let v = Viva::start(&[]).await;
    let jar = v.account("ann@example.org", "Ann").await;
    let z300 = zlib_zeros(300);
    let mut junk_header = z300.clone();
    junk_header[..2].copy_from_slice(b"  ");
    let bombs = [
        (
            "deflated twice",
            pdf("[/FlateDecode /FlateDecode]", &zlib(&z300), 1, 1),
        ),
        (
            "a zlib header that isn't 0x78",
            pdf("/FlateDecode", &junk_header, 1, 1),
        ),
        (
            "ASCII85 over deflate",
            pdf("[/ASCII85Decode /FlateDecode]", &ascii85(&z300), 1, 1),
        ),
        // 60 MB, under the count, but listed 20 times: 1.2 GB of page content.
        (
            "one stream listed 20 times",
            pdf("/FlateDecode", &zlib_zeros(60), 1, 20),
        ),
    ];
    let rss_before = status_kb(v.pid(), "VmRSS:");
    for (what, file) in &bombs {
        let mark = v.log_len();
        let started = Instant::now();
        let message = refusal(upload(&v, &jar, file).await).await;
        let took = started.elapsed();
        let (rss, peak) = (status_kb(v.pid(), "VmRSS:"), status_kb(v.pid(), "VmHWM:"));
        eprintln!("{what}: {} bytes, answered in {took:?}; server RSS {rss_before} -> {rss} kB, peak {peak} kB", file.len());
        assert!(
            message.contains("unpacks to more than"),
            "{what}: {message}"
        );
        assert!(
            message.contains("Export your resume to PDF again"),
            "{what}: {message}"
        );
        assert!(
            took < Duration::from_secs(MAX_ANSWER_SECS),
            "{what}: answered after {took:?}"
        );
        assert!(
            peak < rss_before + MAX_SERVER_GROWTH_KB,
            "{what}: the server grew from {rss_before} kB to a peak of {peak} kB"
        );
        if what.contains("listed") {
            // Under the count, so it is the reader's memory limit that stopped this one.
            v.wait_log_after(mark, |l| l.contains("ran out of memory or CPU time"))
                .await;
        }
    }
    assert_work_stopped(&v).await;
    let profile = json(
        post(&v, "/api/interview/profile", &jar)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(
        profile["resume"].is_null(),
        "a refused resume was stored: {profile}"
    );
}

/// Pages that each run a megabyte of `q Q` (save and restore the graphics state): small to
/// send, harmless to memory, and minutes of work.
fn slow_pdf() -> Vec<u8> {
    pdf("/FlateDecode", &zlib(&b"q Q\n".repeat(256 * 1024)), 3000, 1)
}

fn text_pdf() -> Vec<u8> {
    let ops: String = RESUME
        .iter()
        .enumerate()
        .map(|(i, l)| format!("BT /F1 11 Tf 60 {} Td ({l}) Tj ET\n", 750 - 18 * i))
        .collect();
    pdf("", ops.as_bytes(), 1, 1)
}

#[tokio::test]
async fn a_pdf_that_takes_too_long_is_cut_off_and_its_work_stops() {
    let v = Viva::start(&[]).await;
    let jar = v.account("ann@example.org", "Ann").await;
    let file = slow_pdf();
    assert!(file.len() < 1024 * 1024);
    let started = Instant::now();
    let message = refusal(upload(&v, &jar, &file).await).await;
    let took = started.elapsed();
    eprintln!("slow PDF ({} bytes): answered in {took:?}", file.len());
    assert!(message.contains("longer than 10 seconds"), "{message}");
    assert!(
        took < Duration::from_secs(MAX_ANSWER_SECS),
        "answered after {took:?}"
    );
    assert_work_stopped(&v).await;

    // The reader still reads a real resume afterwards.
    let res = upload(&v, &jar, &text_pdf()).await;
    assert_eq!(res.status(), 200);
    let info = json(res).await;
    assert!(info["characters"].as_u64().unwrap() > 100, "{info}");
    assert!(
        info["skills"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s == "PostgreSQL"),
        "{info}"
    );
    assert_eq!(children(v.pid()), []);
}

#[tokio::test]
async fn extractions_beyond_the_cap_are_told_to_try_again() {
    let v = Viva::start(&[]).await;
    let jar = v.account("ann@example.org", "Ann").await;
    let file = slow_pdf();
    let watching = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let pid = v.pid();
    let watch = {
        let watching = watching.clone();
        tokio::spawn(async move {
            let mut most = 0;
            while watching.load(std::sync::atomic::Ordering::Relaxed) {
                most = most.max(
                    children(pid)
                        .iter()
                        .filter(|(_, cmd)| cmd.contains("extract-pdf"))
                        .count(),
                );
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            most
        })
    };
    let (a, b, c) = tokio::join!(
        upload(&v, &jar, &file),
        upload(&v, &jar, &file),
        upload(&v, &jar, &file)
    );
    watching.store(false, std::sync::atomic::Ordering::Relaxed);
    let most = watch.await.unwrap();
    let mut statuses = vec![];
    let mut busy = None;
    for res in [a, b, c] {
        statuses.push(res.status().as_u16());
        if res.status() == 429 {
            busy = Some(json(res).await);
        }
    }
    statuses.sort();
    eprintln!("three at once: {statuses:?}, at most {most} readers running");
    assert_eq!(statuses, [400, 400, 429]);
    assert_eq!(busy.unwrap()["retry_after"], 60);
    assert!((1..=2).contains(&most), "{most} readers ran at once");
    assert_eq!(children(v.pid()), []);
}

/// Found by fuzz/fuzz_targets/resume.rs (the 121-byte input minimised to this): a
/// cross-reference stream whose /W names a field 66 GB wide makes lopdf allocate that much while
/// it reads the file, and an allocation that fails aborts the process (there is no panic to
/// catch). lopdf is not ours to fix; the reader's own process is what dies of it, at its memory
/// limit, and the upload is refused while the server carries on. The inputs are kept in
/// fuzz/crashes/resume/.
#[tokio::test]
async fn a_cross_reference_stream_lopdf_cannot_allocate_is_refused() {
    let v = Viva::start(&[]).await;
    let jar = v.account("ann@example.org", "Ann").await;
    // The second: zero-width fields and 4 billion entries, which lopdf adds up in memory.
    for file in [
        &b"%PDF-1.5\n1 0 obj<</Size 9/W[66666666666 5 5]>>stream\nendstream\nendobj\nstartxref\n9\n%%EOF\n"[..],
        &b"%PDF-1.5\n1 0 obj<</Size 9/W[0 0 0]/Index[0 4000000000]>>stream\nendstream\nendobj\nstartxref\n9\n%%EOF\n"[..],
    ] {
        // Refused as too much to unpack (the reader's memory limit) or, should its 10 s
        // deadline come first, as too slow: either says to export the PDF again.
        let message = refusal(upload(&v, &jar, file).await).await;
        assert!(message.contains("Export"), "{message}");
        assert_work_stopped(&v).await;
    }
    let res = upload(&v, &jar, &text_pdf()).await;
    assert_eq!(res.status(), 200);
}
