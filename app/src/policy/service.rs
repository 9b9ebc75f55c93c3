//! Published versions and consents on the database. Every function takes `now` from the
//! caller's clock.

use sha2::{Digest, Sha256};
use surrealdb::types::SurrealValue;

use super::{ConsentKind, ConsentState, Document, PendingPolicy, PolicyKind, Section};
use crate::{db::Db, AppError};

fn hex12(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .take(6)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A section's digest: any change of its title or wording changes it.
pub fn section_digest(s: &Section) -> String {
    hex12(&serde_json::to_vec(s).unwrap_or_default())
}

/// A document's version from its sections.
pub fn version_of(sections: &[Section]) -> String {
    let all: Vec<String> = sections.iter().map(section_digest).collect();
    hex12(all.join(",").as_bytes())
}

/// A document with its version filled in (not yet its date: see [`published`]).
pub fn document(kind: PolicyKind, sections: Vec<Section>) -> Document {
    Document {
        kind,
        version: version_of(&sections),
        updated_at: None,
        sections,
    }
}

#[derive(SurrealValue)]
struct Published {
    version: String,
    first_seen: i64,
}

/// Records `doc` as the version in force (the first time it is seen: with `now` as its date)
/// and returns the date it was first published. Idempotent: every node does it at start.
pub async fn publish(db: &Db, doc: &Document, now: i64) -> Result<i64, AppError> {
    let sections: Vec<SectionDigest> = doc
        .sections
        .iter()
        .map(|s| SectionDigest {
            id: s.id.clone(),
            title: s.title.clone(),
            digest: section_digest(s),
        })
        .collect();
    // Nodes starting together publish the same version at once: SurrealKV refuses one of the
    // two writes, and it is run again (it keeps what the other wrote).
    let published = crate::db::retry_conflicts(|| {
        let sections = sections.clone();
        async move {
            db.query(
                "BEGIN TRANSACTION;
                 UPSERT type::record('policy_version', [$kind, $version]) SET kind = $kind, version = $version,
                     sections = $sections, first_seen = first_seen ?? $now, current = true;
                 UPDATE policy_version SET current = false WHERE kind = $kind AND version != $version AND current = true;
                 RETURN (SELECT VALUE first_seen FROM ONLY type::record('policy_version', [$kind, $version]));
                 COMMIT TRANSACTION;",
            )
            .bind(("kind", doc.kind))
            .bind(("version", doc.version.clone()))
            .bind(("sections", sections))
            .bind(("now", now))
            .await
            .and_then(crate::db::check_tx)
        }
    })
    .await?;
    let Some(mut r) = published else {
        return Err(AppError::Unavailable(
            "the privacy notice could not be recorded: the database stayed busy".into(),
        ));
    };
    Ok(r.take::<Option<i64>>(3)?.unwrap_or(now))
}

/// The version in force of each policy and when it was first published.
pub async fn in_force(db: &Db, kind: PolicyKind) -> Result<Option<(String, i64)>, AppError> {
    let mut r = db
        .query("SELECT version, first_seen FROM policy_version WHERE kind = $kind AND current = true LIMIT 1")
        .bind(("kind", kind))
        .await?
        .check()?;
    let rows: Vec<Published> = r.take(0)?;
    Ok(rows.into_iter().next().map(|p| (p.version, p.first_seen)))
}

/// Records a consent given or withdrawn. `fence`: what the caller puts first in the record's
/// transaction — auth's account fence (`account_fence!()`, which this module, below auth, cannot
/// name) when the account exists, so that no consent outlives an account deleted meanwhile.
pub async fn record(
    db: &Db,
    fence: &'static str,
    uid: &str,
    kind: ConsentKind,
    version: Option<String>,
    granted: bool,
    now: i64,
) -> Result<(), AppError> {
    let sql = format!(
        "BEGIN TRANSACTION;\n{fence}
         CREATE consent SET user = type::record('user', $uid), kind = $kind, version = $version, granted = $granted, at = $now, created = time::nano(time::now());
         COMMIT TRANSACTION;"
    );
    crate::db::write(|| {
        db.query(sql.as_str())
            .bind(("uid", uid.to_string()))
            .bind(("kind", kind))
            .bind(("version", version.clone()))
            .bind(("granted", granted))
            .bind(("now", now))
    })
    .await?;
    // Their consents are read through the memo (`my_consents`): whoever records one forgets it.
    crate::memo::forget(uid);
    Ok(())
}

/// What a new account agrees to on sign-up: the terms and the notice in force, and the age.
pub async fn accept_at_sign_up(
    db: &Db,
    fence: &'static str,
    uid: &str,
    now: i64,
) -> Result<(), AppError> {
    accept_in_force(db, fence, uid, now).await?;
    record(db, fence, uid, ConsentKind::Age, None, true, now).await
}

/// Accepts the versions of both policies now in force.
pub async fn accept_in_force(
    db: &Db,
    fence: &'static str,
    uid: &str,
    now: i64,
) -> Result<(), AppError> {
    for (policy, consent) in [
        (PolicyKind::Terms, ConsentKind::Terms),
        (PolicyKind::Privacy, ConsentKind::Privacy),
    ] {
        let version = in_force(db, policy).await?.map(|(v, _)| v);
        record(db, fence, uid, consent, version, true, now).await?;
    }
    Ok(())
}

#[derive(SurrealValue)]
struct Row {
    kind: ConsentKind,
    granted: bool,
    version: Option<String>,
    at: i64,
    #[allow(dead_code)]
    created: Option<i64>,
}

/// The present state of each kind of consent the person has a record of, in
/// [`ConsentKind::ALL`] order.
pub async fn consents(db: &Db, uid: &str) -> Result<Vec<ConsentState>, AppError> {
    let mut r = db
        .query("SELECT kind, granted, version, at, created FROM consent WHERE user = type::record('user', $uid) ORDER BY at, created")
        .bind(("uid", uid.to_string()))
        .await?
        .check()?;
    let rows: Vec<Row> = r.take(0)?;
    let mut out: Vec<ConsentState> = Vec::new();
    for kind in ConsentKind::ALL {
        if let Some(last) = rows.iter().rfind(|r| r.kind == *kind) {
            out.push(ConsentState {
                kind: last.kind,
                granted: last.granted,
                version: last.version.clone(),
                at: last.at,
            });
        }
    }
    Ok(out)
}

/// The person's present choice of one kind: `None` when they have not chosen.
pub async fn choice(db: &Db, uid: &str, kind: ConsentKind) -> Result<Option<bool>, AppError> {
    let mut r = db
        .query("SELECT kind, granted, version, at, created FROM consent WHERE user = type::record('user', $uid) AND kind = $kind ORDER BY at DESC, created DESC LIMIT 1")
        .bind(("uid", uid.to_string()))
        .bind(("kind", kind))
        .await?
        .check()?;
    let v: Vec<Row> = r.take(0)?;
    Ok(v.into_iter().next().map(|r| r.granted))
}

#[derive(Clone, SurrealValue)]
struct SectionDigest {
    id: String,
    title: String,
    digest: String,
}

async fn sections_of(
    db: &Db,
    kind: PolicyKind,
    version: &str,
) -> Result<Option<Vec<SectionDigest>>, AppError> {
    let mut r = db
        .query("SELECT VALUE sections FROM policy_version WHERE id = type::record('policy_version', [$kind, $version])")
        .bind(("kind", kind))
        .bind(("version", version.to_string()))
        .await?
        .check()?;
    Ok(r.take::<Vec<Vec<SectionDigest>>>(0)?.into_iter().next())
}

/// Whether a policy in force waits for the person's acceptance: one round trip, asked on every
/// member page load (the full list with what changed is [`pending`]).
pub async fn is_pending(db: &Db, uid: &str) -> Result<bool, AppError> {
    let mut r = db
        .query(
            "LET $u = type::record('user', $uid);
             RETURN array::any(['terms', 'privacy'], |$k| {
                 LET $now = (SELECT VALUE version FROM policy_version WHERE kind = $k AND current = true LIMIT 1)[0];
                 LET $mine = (SELECT version, at, created FROM consent WHERE user = $u AND kind = $k AND granted = true ORDER BY at DESC, created DESC LIMIT 1)[0].version;
                 RETURN $now != NONE AND $now != $mine;
             });",
        )
        .bind(("uid", uid.to_string()))
        .await?
        .check()?;
    Ok(r.take::<Option<bool>>(1)?.unwrap_or(false))
}

/// The policies in force that the person has not accepted, with the sections that changed
/// since the version they did accept. Empty when nothing was published (tests, a first start).
pub async fn pending(db: &Db, uid: &str) -> Result<Vec<PendingPolicy>, AppError> {
    let mine = consents(db, uid).await?;
    let mut out = Vec::new();
    for (policy, consent) in [
        (PolicyKind::Terms, ConsentKind::Terms),
        (PolicyKind::Privacy, ConsentKind::Privacy),
    ] {
        let Some((version, _)) = in_force(db, policy).await? else {
            continue;
        };
        let accepted = mine
            .iter()
            .find(|c| c.kind == consent && c.granted)
            .and_then(|c| c.version.clone());
        if accepted.as_deref() == Some(version.as_str()) {
            continue;
        }
        let now_sections = sections_of(db, policy, &version).await?.unwrap_or_default();
        let before = match &accepted {
            Some(v) => sections_of(db, policy, v).await?,
            None => None,
        };
        let changed = match before {
            Some(before) => now_sections
                .iter()
                .filter(|s| {
                    !before
                        .iter()
                        .any(|b| b.title == s.title && b.digest == s.digest)
                })
                .map(|s| s.title.clone())
                .collect(),
            None => now_sections.iter().map(|s| s.title.clone()).collect(),
        };
        out.push(PendingPolicy {
            kind: policy,
            version,
            accepted_version: accepted,
            changed,
        });
    }
    Ok(out)
}

/// The part of deleting an account that policies own: the consent log.
pub const ERASE_USER: &str = "DELETE consent WHERE user = $user;";

/// The part of a data export that policies own: every consent given or withdrawn.
pub const EXPORT_USER: &[(&str, &str)] = &[(
    "consents",
    "(SELECT kind, version, granted, at FROM consent WHERE user = $user ORDER BY at)",
)];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{markdown, Block, Inline};

    fn doc(kind: PolicyKind, md: &str) -> Document {
        document(kind, markdown::sections(md, "About"))
    }

    #[tokio::test]
    async fn a_new_version_is_pending_with_the_sections_that_changed_until_accepted() {
        let (_dir, db) = crate::db::temp().await;
        db.query("CREATE user:ann SET email = 'ann@example.org', name = 'Ann', password_hash = '!', role = 'user', job_role = 'x', experience = 'mid', email_verified = true, disabled = false, terms_version = '1', terms_accepted_at = 0, age_confirmed_at = 0, created_at = 0").await.unwrap().check().unwrap();
        let v1 = doc(
            PolicyKind::Terms,
            "## Use\nBe kind.\n## Ending\nDelete any time.",
        );
        let p1 = doc(PolicyKind::Privacy, "## Data\nWe keep little.");
        assert_eq!(publish(&db, &v1, 100).await.unwrap(), 100);
        assert_eq!(publish(&db, &p1, 100).await.unwrap(), 100);
        accept_at_sign_up(&db, "", "ann", 150).await.unwrap();
        assert!(pending(&db, "ann").await.unwrap().is_empty());

        // Publishing the same text again changes nothing, not even the date.
        assert_eq!(publish(&db, &v1, 200).await.unwrap(), 100);
        let v2 = doc(
            PolicyKind::Terms,
            "## Use\nBe kind.\n## Ending\nDelete any time, or ask us.",
        );
        assert_ne!(v1.version, v2.version);
        assert_eq!(publish(&db, &v2, 300).await.unwrap(), 300);
        let p = pending(&db, "ann").await.unwrap();
        assert_eq!(p.len(), 1, "{p:?}");
        assert_eq!(p[0].kind, PolicyKind::Terms);
        assert_eq!(p[0].accepted_version.as_deref(), Some(v1.version.as_str()));
        assert_eq!(p[0].changed, ["Ending"]);
        assert_eq!(
            in_force(&db, PolicyKind::Terms).await.unwrap().unwrap(),
            (v2.version.clone(), 300)
        );

        accept_in_force(&db, "", "ann", 400).await.unwrap();
        assert!(pending(&db, "ann").await.unwrap().is_empty());
        let c = consents(&db, "ann").await.unwrap();
        let terms = c.iter().find(|c| c.kind == ConsentKind::Terms).unwrap();
        assert_eq!(
            (terms.version.as_deref(), terms.at),
            (Some(v2.version.as_str()), 400)
        );
    }

    #[tokio::test]
    async fn optional_choices_are_the_latest_record() {
        let (_dir, db) = crate::db::temp().await;
        assert_eq!(
            choice(&db, "bo", ConsentKind::HostedAi).await.unwrap(),
            None
        );
        record(&db, "", "bo", ConsentKind::HostedAi, None, true, 10)
            .await
            .unwrap();
        record(&db, "", "bo", ConsentKind::HostedAi, None, false, 20)
            .await
            .unwrap();
        assert_eq!(
            choice(&db, "bo", ConsentKind::HostedAi).await.unwrap(),
            Some(false)
        );
        let c = consents(&db, "bo").await.unwrap();
        assert_eq!(c.len(), 1);
        assert!(!c[0].granted && c[0].at == 20);
    }

    #[test]
    fn a_version_follows_every_word() {
        let a = vec![Section {
            id: "a".into(),
            title: "A".into(),
            blocks: vec![Block::Para(vec![Inline::text("x")])],
        }];
        let mut b = a.clone();
        b[0].blocks = vec![Block::Para(vec![Inline::text("y")])];
        assert_ne!(version_of(&a), version_of(&b));
        assert_eq!(version_of(&a), version_of(&a.clone()));
    }
}
