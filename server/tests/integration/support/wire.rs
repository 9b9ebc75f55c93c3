//! What goes over the wire as the browser sends it; shared by the integration tests and the
//! load drivers in `server/examples/` (included there by path).

/// A multipart body with `fields` and the WAV file `audio` (as the recorder uploads a segment).
pub fn multipart(fields: &[(&str, String)], audio: &[u8]) -> (String, Vec<u8>) {
    let boundary = "vivatestboundary7d1";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"audio\"; filename=\"s.wav\"\r\nContent-Type: audio/wav\r\n\r\n").as_bytes());
    body.extend_from_slice(audio);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// The sign-up form as the page posts it (a senior backend engineer who confirms their age
/// and accepts the terms).
pub fn sign_up_form<'a>(
    name: &'a str,
    email: &'a str,
    password: &'a str,
) -> [(&'static str, &'a str); 7] {
    [
        ("form[name]", name),
        ("form[email]", email),
        ("form[password]", password),
        ("form[job_role]", "Backend engineer"),
        ("form[experience]", "senior"),
        ("form[age_confirmed]", "on"),
        ("form[accept_terms]", "on"),
    ]
}
