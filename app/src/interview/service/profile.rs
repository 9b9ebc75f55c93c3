//! Profiles and resumes.

use surrealdb::types::SurrealValue;

use super::super::types::*;
use crate::db::Db;
use crate::AppError;

#[derive(Debug, Clone, Default, SurrealValue)]
pub(super) struct ProfileFields {
    pub(super) background: Option<String>,
    pub(super) target_roles: Option<Vec<String>>,
    pub(super) target_companies: Option<Vec<String>>,
    pub(super) skills: Option<Vec<String>>,
}

#[derive(Debug, Clone, SurrealValue)]
struct FirstTargets {
    role: Option<String>,
    company: Option<String>,
}

#[derive(Debug, Clone, SurrealValue)]
pub(super) struct ResumeRow {
    pub(super) file_name: String,
    pub(super) bytes: i64,
    pub(super) uploaded_at: i64,
    pub(super) characters: i64,
    pub(super) skills: Vec<String>,
    pub(super) text: String,
}

pub async fn load_profile(db: &Db, uid: &str) -> Result<Profile, AppError> {
    // Two plain reads by the indexed owner (not one statement with subqueries: each
    // subquery is planned again, and a signed-in page's time goes mostly to the database).
    let mut r = db
        .query(
            "SELECT background, target_roles, target_companies, skills FROM profile WHERE user = type::record('user', $uid) LIMIT 1;
             SELECT file_name, bytes, uploaded_at, string::len(text) AS characters, skills, text FROM resume WHERE user = type::record('user', $uid) LIMIT 1;",
        )
        .bind(("uid", uid.to_string()))
        .await?
        .check()?;
    let profile: Vec<ProfileFields> = r.take(0)?;
    let resume: Vec<ResumeRow> = r.take(1)?;
    let row = profile.into_iter().next().unwrap_or_default();
    let work = crate::auth::service::work_info(db, uid)
        .await?
        .ok_or(AppError::Unauthorized)?;
    Ok(Profile {
        background: row.background.unwrap_or_default(),
        target_roles: row.target_roles.unwrap_or_default(),
        target_companies: row.target_companies.unwrap_or_default(),
        skills: row.skills.unwrap_or_default(),
        job_title: work.job_role,
        experience: work.experience,
        resume: resume.into_iter().next().map(|r| ResumeInfo {
            file_name: r.file_name,
            bytes: r.bytes as u64,
            uploaded_at: r.uploaded_at,
            characters: r.characters as u64,
            skills: r.skills,
            text: r.text,
        }),
    })
}

/// What /practice starts with: one read of the profile, and the account's job title only when
/// the profile names no target role.
pub async fn practice_defaults(db: &Db, uid: &str) -> Result<PracticeDefaults, AppError> {
    let mut r = db
        .query("SELECT target_roles[0] AS role, target_companies[0] AS company FROM profile WHERE user = type::record('user', $uid) LIMIT 1")
        .bind(("uid", uid.to_string()))
        .await?
        .check()?;
    let first: Vec<FirstTargets> = r.take(0)?;
    let (role, company) = first
        .into_iter()
        .next()
        .map(|f| (f.role, f.company))
        .unwrap_or_default();
    let role = match role.filter(|r| !r.is_empty()) {
        Some(role) => role,
        None => {
            let work = crate::auth::service::work_info(db, uid)
                .await?
                .ok_or(AppError::Unauthorized)?;
            crate::interview::model::role_from_job_title(&work.job_role).to_string()
        }
    };
    Ok(PracticeDefaults {
        role,
        company: company.unwrap_or_default(),
    })
}

/// Reads a resume PDF, keeps its text and the skills found in it (adding them to the
/// profile's skills), replacing any earlier resume. Nothing is stored when the PDF is refused.
pub async fn save_resume(
    db: &Db,
    uid: &str,
    file_name: &str,
    bytes: Vec<u8>,
    now: i64,
) -> Result<ResumeInfo, AppError> {
    let size = bytes.len() as i64;
    use super::super::resume::{ResumeError, BUSY_RETRY_SECS};
    let text = super::super::resume::extract(bytes)
        .await
        .map_err(|e| match e {
            ResumeError::Busy => AppError::RateLimited(BUSY_RETRY_SECS),
            // The detail was logged where it happened.
            ResumeError::Failed => AppError::Internal,
            e => AppError::BadRequest(e.to_string()),
        })?;
    let found = super::super::skills::extract_skills(&text);
    let profile = load_profile(db, uid).await?;
    let mut skills = profile.skills.clone();
    for s in &found {
        if !skills.iter().any(|k| k.eq_ignore_ascii_case(s)) && skills.len() < MAX_LIST_ITEMS {
            skills.push(s.clone());
        }
    }
    let name: String = file_name
        .chars()
        .filter(|c| !c.is_control() && *c != '/' && *c != '\\')
        .take(120)
        .collect();
    let name = if name.trim().is_empty() {
        "resume.pdf".to_string()
    } else {
        name
    };
    // Behind the account's fence: a deletion running meanwhile sees these rows or refuses them.
    crate::db::write(|| db.query(crate::fenced!(
        "UPSERT type::record('resume', $uid) SET user = type::record('user', $uid), file_name = $name, bytes = $size, text = $text,
             skills = $found, uploaded_at = $now;
         UPSERT type::record('profile', $uid) SET user = type::record('user', $uid), background = $bg, target_roles = $roles,
             target_companies = $companies, skills = $skills, updated_at = $now;",
    ))
    .bind(("uid", uid.to_string()))
    .bind(("name", name.clone()))
    .bind(("size", size))
    .bind(("text", text.clone()))
    .bind(("found", found.clone()))
    .bind(("now", now))
    .bind(("bg", profile.background.clone()))
    .bind(("roles", profile.target_roles.clone()))
    .bind(("companies", profile.target_companies.clone()))
    .bind(("skills", skills.clone())))
    .await?;
    Ok(ResumeInfo {
        file_name: name,
        bytes: size as u64,
        uploaded_at: now,
        characters: text.chars().count() as u64,
        skills: found,
        text,
    })
}

/// Deletes the resume's record (its text and skills list). Skills already copied into the
/// profile stay there until the person edits them.
pub async fn delete_resume(db: &Db, uid: &str) -> Result<(), AppError> {
    db.query("DELETE type::record('resume', $uid)")
        .bind(("uid", uid.to_string()))
        .await?
        .check()?;
    Ok(())
}

pub async fn save_profile(db: &Db, uid: &str, form: ProfileForm, now: i64) -> Result<(), AppError> {
    let (background, roles, companies, skills) = super::super::validate::validate_profile(form)?;
    crate::db::write(|| db.query(crate::fenced!(
        "UPSERT type::record('profile', $uid) SET user = type::record('user', $uid), background = $bg, target_roles = $roles,
             target_companies = $companies, skills = $skills, updated_at = $now;",
    ))
    .bind(("uid", uid.to_string()))
    .bind(("bg", background.clone()))
    .bind(("roles", roles.clone()))
    .bind(("companies", companies.clone()))
    .bind(("skills", skills.clone()))
    .bind(("now", now)))
    .await?;
    Ok(())
}
