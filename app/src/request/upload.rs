//! Multipart uploads: the one loop every upload server function reads its fields with, each
//! within its size limit, and the fields by name.

use crate::AppError;

/// Whether a request's `Content-Type` is a multipart upload that can be read: checked by the
/// server before an upload's body is read, answered with a 400 that says what to send. The
/// boundary must be one multer can parse: server_fn reads the body with multer and panics on a
/// boundary it can't find (`multipart/form-databoundary=` once passed a looser check here).
pub fn is_multipart(content_type: &str) -> bool {
    multer::parse_boundary(content_type).is_ok()
}

/// One field of a multipart upload.
pub struct Field {
    pub name: String,
    pub file_name: Option<String>,
    pub bytes: Vec<u8>,
}

/// What a multipart upload may hold, and what to tell the sender when it does not.
pub struct UploadRules<'a> {
    /// The fields read; others are skipped unread.
    pub fields: &'a [&'a str],
    /// The most one field may hold.
    pub max_field_bytes: usize,
    /// Said when the request is not a multipart upload.
    pub not_multipart: &'a str,
    /// Added to "The upload could not be read (…)."
    pub unreadable_hint: &'a str,
    /// Said when a field grows past `max_field_bytes` (given the bytes read so far).
    pub too_large: &'a (dyn Fn(usize) -> String + Sync),
}

/// The fields of an upload, by name: text fields (trimmed) and files, each asked for with
/// the message the sender needs when it is missing or not a number.
pub struct Form {
    text: std::collections::HashMap<String, String>,
    files: std::collections::HashMap<String, Vec<u8>>,
}

impl Form {
    /// `fields` as read, the ones named in `files` kept as bytes.
    pub fn new(fields: Vec<Field>, files: &[&str]) -> Form {
        let mut form = Form {
            text: Default::default(),
            files: Default::default(),
        };
        for f in fields {
            if files.contains(&f.name.as_str()) {
                form.files.insert(f.name, f.bytes);
            } else {
                let v = String::from_utf8_lossy(&f.bytes).trim().to_string();
                form.text.insert(f.name, v);
            }
        }
        form
    }

    pub fn text(&self, k: &str) -> Result<String, AppError> {
        self.text
            .get(k)
            .cloned()
            .ok_or_else(|| AppError::BadRequest(format!("The upload has no \"{k}\" field.")))
    }

    pub fn whole(&self, k: &str) -> Result<u32, AppError> {
        self.text(k)?
            .parse()
            .map_err(|_| AppError::BadRequest(format!("\"{k}\" must be a whole number.")))
    }

    pub fn number(&self, k: &str) -> Result<f64, AppError> {
        self.text(k)?
            .parse()
            .map_err(|_| AppError::BadRequest(format!("\"{k}\" must be a number.")))
    }

    /// The file `k` (taken out of the form).
    pub fn file(&mut self, k: &str) -> Result<Vec<u8>, AppError> {
        self.files
            .remove(k)
            .ok_or_else(|| AppError::BadRequest(format!("The upload has no \"{k}\" file.")))
    }
}

/// Reads the wanted fields of a multipart upload, each within its size limit: the one loop
/// every upload server function uses.
pub async fn read_multipart(
    data: server_fn::codec::MultipartData,
    rules: &UploadRules<'_>,
) -> Result<Vec<Field>, AppError> {
    let bad = |m: String| AppError::BadRequest(m);
    let mut parts = data
        .into_inner()
        .ok_or_else(|| bad(rules.not_multipart.to_string()))?;
    let unreadable = |e: String| {
        let hint = rules.unreadable_hint;
        bad(format!(
            "The upload could not be read ({e}).{}{hint}",
            if hint.is_empty() { "" } else { " " }
        ))
    };
    let mut out = Vec::new();
    while let Some(mut field) = parts
        .next_field()
        .await
        .map_err(|e| unreadable(e.to_string()))?
    {
        let name = field.name().unwrap_or_default().to_string();
        if !rules.fields.contains(&name.as_str()) {
            continue;
        }
        let file_name = field.file_name().map(str::to_string);
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(|e| unreadable(e.to_string()))? {
            bytes.extend_from_slice(&chunk);
            if bytes.len() > rules.max_field_bytes {
                return Err(bad((rules.too_large)(bytes.len())));
            }
        }
        out.push(Field {
            name,
            file_name,
            bytes,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by fuzz/fuzz_targets/multipart.rs: each passed the old check, then server_fn
    /// panicked ("couldn't parse boundary") in place of answering 400.
    #[test]
    fn only_a_boundary_that_can_be_parsed_makes_an_upload() {
        for bad in [
            "multipart/form-databoundary=",
            "multipart/form-data;$boundary=\"x y\"",
            "multipart/form-data-x; boundary=a",
            "multipart/form-data; charset=utf-8",
            "",
        ] {
            assert!(!is_multipart(bad), "{bad:?}");
        }
        for good in [
            "multipart/form-data; boundary=x",
            "multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW",
            "multipart/form-data;boundary=\"x y\"",
        ] {
            assert!(is_multipart(good), "{good:?}");
        }
    }
}
