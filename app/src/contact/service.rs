use super::ContactInput;
use crate::{db::Db, AppError};

/// Contact messages are kept this long, then deleted (the operator has read and answered them
/// by then; anything worth keeping longer belongs in their own support tool).
pub const CONTACT_RETENTION_SECS: i64 = 180 * 24 * 3600;

/// Stores a message, counted against the per-address and the global limit first (a refused
/// message is not stored at all). Older messages past retention go at the same time.
pub async fn store(
    db: &Db,
    input: ContactInput,
    client_ip: &str,
    now: i64,
) -> Result<(), AppError> {
    crate::ratelimit::hit(db, &crate::ratelimit::CONTACT_PER_IP, client_ip, now).await?;
    crate::ratelimit::hit(db, &crate::ratelimit::CONTACT_ALL, "all", now).await?;
    db.query("CREATE contact_message SET name = $name, email = $email, message = $message, created_at = time::now(), received_at = $now")
        .bind(("name", input.name))
        .bind(("email", input.email))
        .bind(("message", input.message))
        .bind(("now", now))
        .await?
        .check()?;
    sweep(db, now).await
}

/// Deletes messages older than [`CONTACT_RETENTION_SECS`].
pub async fn sweep(db: &Db, now: i64) -> Result<(), AppError> {
    db.query("DELETE contact_message WHERE received_at < $cutoff")
        .bind(("cutoff", now - CONTACT_RETENTION_SECS))
        .await?
        .check()?;
    Ok(())
}

pub async fn count(db: &Db) -> Result<i64, AppError> {
    let mut r = db
        .query("RETURN count(SELECT id FROM contact_message)")
        .await?
        .check()?;
    Ok(r.take::<Option<i64>>(0)?.unwrap_or(0))
}

/// The part of deleting an account that the contact form owns: messages sent from the address.
pub const ERASE_USER: &str = "DELETE contact_message WHERE email = $email;";

/// The part of a person's data export the contact form owns: the messages sent from their
/// address (`$email` bound).
pub const EXPORT_USER: &[(&str, &str)] = &[(
    "contact_messages",
    "(SELECT name, email, message, <string> created_at AS sent_at FROM contact_message WHERE email = $email ORDER BY sent_at)",
)];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contact::validate;

    #[tokio::test]
    async fn stores_valid_messages_and_keeps_surrealql_as_text() {
        let (_dir, db) = crate::db::temp().await;
        let sneaky = "'); DELETE contact_message; --  and more text";
        let input = validate(ContactInput {
            name: "Eve".into(),
            email: "eve@example.org".into(),
            message: sneaky.into(),
        })
        .unwrap();
        store(&db, input.clone(), "10.0.0.1", 1_000).await.unwrap();
        store(&db, input, "10.0.0.1", 1_000).await.unwrap();
        assert_eq!(count(&db).await.unwrap(), 2);
        let mut r = db
            .query("SELECT VALUE message FROM contact_message")
            .await
            .unwrap();
        let msgs: Vec<String> = r.take(0).unwrap();
        assert!(msgs.iter().all(|m| m == sneaky.trim()));
    }

    #[tokio::test]
    async fn messages_are_limited_per_address_and_kept_for_the_retention_period_only() {
        let (_dir, db) = crate::db::temp().await;
        let input = validate(ContactInput {
            name: "Eve".into(),
            email: "eve@example.org".into(),
            message: "A question about my data, please.".into(),
        })
        .unwrap();
        let limit = crate::ratelimit::CONTACT_PER_IP.max;
        for _ in 0..limit {
            store(&db, input.clone(), "10.0.0.1", 1_000).await.unwrap();
        }
        assert!(matches!(
            store(&db, input.clone(), "10.0.0.1", 1_001).await,
            Err(AppError::RateLimited(_))
        ));
        assert_eq!(
            count(&db).await.unwrap(),
            limit,
            "a refused message is not stored"
        );
        // Kept until the retention period ends, then removed with the next message.
        store(
            &db,
            input.clone(),
            "10.0.0.2",
            1_000 + CONTACT_RETENTION_SECS - 1,
        )
        .await
        .unwrap();
        assert_eq!(count(&db).await.unwrap(), limit + 1);
        store(&db, input, "10.0.0.3", 1_001 + CONTACT_RETENTION_SECS)
            .await
            .unwrap();
        assert_eq!(
            count(&db).await.unwrap(),
            2,
            "messages past retention are gone"
        );
    }
}
