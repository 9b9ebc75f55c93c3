//! Keeping the question bank table in step with the data files.

use surrealdb::types::SurrealValue;

use super::super::bank::{self, Question};
use super::super::model::*;
use crate::db::Db;
use crate::AppError;

#[derive(Debug, Clone, SurrealValue)]
pub(super) struct BankRow {
    pub(super) id: String,
    pub(super) text: String,
    pub(super) roles: Vec<String>,
    pub(super) kind: Kind,
    pub(super) difficulty: i64,
    pub(super) competencies: Vec<String>,
    pub(super) key_points: Vec<String>,
}

/// Loads the embedded bank into the database when its content changed since the last load
/// (or was never loaded): upserts every question and retires those no longer in the files.
/// Returns how many questions it wrote (0 when nothing changed).
/// Nodes starting together on one database may both load it: one transaction commits, the
/// other conflicts and finds the bank loaded.
pub async fn sync_bank(db: &Db, now: i64) -> Result<usize, AppError> {
    let fingerprint = bank::fingerprint();
    if loaded_fingerprint(db).await?.as_deref() == Some(fingerprint.as_str()) {
        return Ok(0);
    }
    let questions = bank::load().map_err(|e| AppError::internal("question bank", e))?;
    let rows: Vec<BankRow> = questions
        .iter()
        .map(|q| BankRow {
            id: q.id.clone(),
            text: q.text.clone(),
            roles: q.roles.clone(),
            kind: q.kind,
            difficulty: q.difficulty as i64,
            competencies: q.competencies.clone(),
            key_points: q.key_points.clone(),
        })
        .collect();
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let n = rows.len();
    let loaded = db
        .query(
        "BEGIN TRANSACTION;
         FOR $q IN $rows {
             UPSERT type::record('question', $q.id) SET text = $q.text, roles = $q.roles, kind = $q.kind,
                 difficulty = $q.difficulty, competencies = $q.competencies, key_points = $q.key_points, retired = false;
         };
         UPDATE question SET retired = true WHERE record::id(id) NOTINSIDE $ids;
         UPSERT bank_state:main SET fingerprint = $fp, questions = $n, loaded_at = $now;
         COMMIT TRANSACTION;",
    )
    .bind(("rows", rows))
    .bind(("ids", ids))
    .bind(("fp", fingerprint.clone()))
    .bind(("n", n as i64))
    .bind(("now", now))
    .await
    .and_then(crate::db::check_tx);
    match loaded {
        Ok(_) => {}
        Err(e)
            if crate::db::is_conflict(&e)
                && loaded_fingerprint(db).await?.as_deref() == Some(fingerprint.as_str()) =>
        {
            tracing::info!(
                "the question bank was loaded by another node starting at the same time"
            );
            return Ok(0);
        }
        Err(e) => return Err(e.into()),
    }
    tracing::info!(questions = n, "loaded the question bank");
    Ok(n)
}

async fn loaded_fingerprint(db: &Db) -> Result<Option<String>, AppError> {
    let mut r = db
        .query("SELECT VALUE fingerprint FROM ONLY bank_state:main")
        .await?
        .check()?;
    Ok(r.take(0)?)
}

impl BankRow {
    /// The bank question a stored row holds.
    fn question(self) -> Question {
        Question {
            kind: self.kind,
            id: self.id,
            text: self.text,
            roles: self.roles,
            difficulty: self.difficulty as u8,
            competencies: self.competencies,
            key_points: self.key_points,
        }
    }
}

/// One live question by its bank id (`None` for anything else).
pub(super) async fn by_id(db: &Db, id: &str) -> Result<Option<Question>, AppError> {
    let plausible = !id.is_empty()
        && id.len() <= 80
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !plausible {
        return Ok(None);
    }
    let mut r = db
        .query(
            "SELECT record::id(id) AS id, text, roles, kind, difficulty, competencies, key_points FROM question
             WHERE id = type::record('question', $id) AND retired = false",
        )
        .bind(("id", id.to_string()))
        .await?
        .check()?;
    let rows: Vec<BankRow> = r.take(0)?;
    Ok(rows.into_iter().next().map(BankRow::question))
}

/// Live questions for a role (its own and general ones) of the given kinds.
pub(super) async fn candidates(
    db: &Db,
    role: &str,
    kinds: &[Kind],
) -> Result<Vec<Question>, AppError> {
    let kinds: Vec<Kind> = if kinds.is_empty() {
        Kind::ALL.to_vec()
    } else {
        kinds.to_vec()
    };
    let mut r = db
        .query(
            "SELECT record::id(id) AS id, text, roles, kind, difficulty, competencies, key_points FROM question
             WHERE retired = false AND kind INSIDE $kinds AND roles CONTAINSANY $roles",
        )
        .bind(("kinds", kinds))
        .bind(("roles", vec![role.to_string(), "general".to_string()]))
        .await?
        .check()?;
    let rows: Vec<BankRow> = r.take(0)?;
    Ok(rows.into_iter().map(BankRow::question).collect())
}

#[cfg(test)]
pub async fn bank_size(db: &Db) -> Result<i64, AppError> {
    let mut r = db
        .query("RETURN count(SELECT id FROM question WHERE retired = false)")
        .await?
        .check()?;
    Ok(r.take::<Option<i64>>(0)?.unwrap_or(0))
}
