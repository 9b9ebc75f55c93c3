//! The support desk on the database: messages (`contact_message`) and their replies
//! (`contact_reply`). Every function takes `now` from the caller's clock.

use surrealdb::types::SurrealValue;

use super::{ContactInput, Reply, Ticket, TicketStatus};
use crate::{db::Db, ratelimit::Limit, AppError};

/// Closed conversations are kept this long after closing, then deleted with their replies.
pub const CLOSED_RETENTION_SECS: i64 = 90 * 24 * 3600;
/// An answered conversation with no new message for this long is closed.
pub const AUTO_CLOSE_SECS: i64 = 30 * 24 * 3600;
/// A conversation nobody answered is closed after this long without a new message.
pub const OPEN_CLOSE_SECS: i64 = 180 * 24 * 3600;

/// Named limits of writing to support (on top of the per-IP and global ones in `ratelimit`).
pub const CONTACT_PER_ADDRESS: Limit = Limit {
    action: "contact_address",
    max: 5,
    window_secs: 24 * 3600,
};
pub const CONTACT_PER_ACCOUNT: Limit = Limit {
    action: "contact_account",
    max: 10,
    window_secs: 24 * 3600,
};

/// Stores a new message, counted against every limit first (a refused message is not stored
/// at all). `uid`: the signed-in sender, whose account it is linked to. Returns its id.
pub async fn store(
    db: &Db,
    input: ContactInput,
    uid: Option<&str>,
    client_ip: &str,
    now: i64,
) -> Result<String, AppError> {
    use crate::ratelimit::{hit, CONTACT_ALL, CONTACT_PER_IP};
    hit(db, &CONTACT_PER_IP, client_ip, now).await?;
    hit(db, &CONTACT_ALL, "all", now).await?;
    hit(db, &CONTACT_PER_ADDRESS, &input.email.to_lowercase(), now).await?;
    if let Some(uid) = uid {
        hit(db, &CONTACT_PER_ACCOUNT, uid, now).await?;
    }
    let id = crate::ids::new_id();
    db.query("CREATE type::record('contact_message', $id) SET name = $name, email = $email, message = $message,
            created_at = time::now(), received_at = $now, updated_at = $now, status = $open,
            user = IF $uid THEN type::record('user', $uid) ELSE NONE END")
        .bind(("id", id.clone()))
        .bind(("name", input.name))
        .bind(("email", input.email))
        .bind(("message", input.message))
        .bind(("now", now))
        .bind(("open", TicketStatus::Open))
        .bind(("uid", uid.map(str::to_string)))
        .await?
        .check()?;
    Ok(id)
}

#[derive(SurrealValue)]
struct Row {
    id: String,
    name: String,
    email: String,
    message: String,
    status: TicketStatus,
    received_at: Option<i64>,
    updated_at: Option<i64>,
    from_account: bool,
}

const TICKET_FIELDS: &str = "record::id(id) AS id, name, email, message, status, received_at, updated_at, user != NONE AS from_account";

async fn replies_of(db: &Db, ids: &[String]) -> Result<Vec<(String, Reply)>, AppError> {
    #[derive(SurrealValue)]
    struct R {
        ticket: String,
        body: String,
        author: String,
        from_operator: bool,
        at: i64,
    }
    let mut r = db
        .query("SELECT record::id(message) AS ticket, body, author, from_operator, at FROM contact_reply
                WHERE message IN $ids.map(|$i| type::record('contact_message', $i)) ORDER BY at")
        .bind(("ids", ids.to_vec()))
        .await?
        .check()?;
    let rows: Vec<R> = r.take(0)?;
    Ok(rows
        .into_iter()
        .map(|x| {
            (
                x.ticket,
                Reply {
                    body: x.body,
                    author: x.author,
                    from_operator: x.from_operator,
                    at: x.at,
                },
            )
        })
        .collect())
}

async fn with_replies(db: &Db, rows: Vec<Row>) -> Result<Vec<Ticket>, AppError> {
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let mut replies = replies_of(db, &ids).await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let mine: Vec<Reply> = replies
                .extract_if(.., |(t, _)| *t == r.id)
                .map(|(_, x)| x)
                .collect();
            let received = r.received_at.unwrap_or(0);
            Ticket {
                id: r.id,
                name: r.name,
                email: r.email,
                message: r.message,
                status: r.status,
                received_at: received,
                updated_at: r.updated_at.unwrap_or(received),
                from_account: r.from_account,
                replies: mine,
            }
        })
        .collect())
}

/// The conversations a signed-in person started, newest first, with replies.
pub async fn of_account(db: &Db, uid: &str) -> Result<Vec<Ticket>, AppError> {
    let mut r = db
        .query(format!("SELECT {TICKET_FIELDS} FROM contact_message WHERE user = type::record('user', $uid) ORDER BY received_at DESC"))
        .bind(("uid", uid.to_string()))
        .await?
        .check()?;
    with_replies(db, r.take(0)?).await
}

/// Conversations for the support desk, those waiting longest first; `status` filters.
pub async fn list(db: &Db, status: Option<TicketStatus>) -> Result<Vec<Ticket>, AppError> {
    let mut r = db
        .query(format!("SELECT {TICKET_FIELDS} FROM contact_message WHERE $status = NONE OR status = $status ORDER BY updated_at ASC LIMIT 500"))
        .bind(("status", status))
        .await?
        .check()?;
    with_replies(db, r.take(0)?).await
}

/// One conversation, or `None`; with `owner`, only when it is that person's (else `None`,
/// so another person's id answers like a missing one).
pub async fn get(db: &Db, id: &str, owner: Option<&str>) -> Result<Option<Ticket>, AppError> {
    if crate::ids::check_id(id).is_err() {
        return Ok(None);
    }
    let mut r = db
        .query(format!("SELECT {TICKET_FIELDS} FROM contact_message WHERE id = type::record('contact_message', $id)
                AND ($owner = NONE OR user = type::record('user', $owner))"))
        .bind(("id", id.to_string()))
        .bind(("owner", owner.map(str::to_string)))
        .await?
        .check()?;
    Ok(with_replies(db, r.take(0)?).await?.into_iter().next())
}

/// Adds a reply and moves the conversation on: the operator's reply makes it answered, the
/// person's opens it again.
pub async fn reply(
    db: &Db,
    id: &str,
    author: &str,
    body: &str,
    from_operator: bool,
    now: i64,
) -> Result<(), AppError> {
    let status = if from_operator {
        TicketStatus::Answered
    } else {
        TicketStatus::Open
    };
    db.query(
        "BEGIN TRANSACTION;
         CREATE contact_reply SET message = type::record('contact_message', $id), body = $body, author = $author,
             from_operator = $op, at = $now;
         UPDATE type::record('contact_message', $id) SET status = $status, updated_at = $now, closed_at = NONE;
         COMMIT TRANSACTION;",
    )
    .bind(("id", id.to_string()))
    .bind(("body", body.to_string()))
    .bind(("author", author.to_string()))
    .bind(("op", from_operator))
    .bind(("status", status))
    .bind(("now", now))
    .await?
    .check()?;
    Ok(())
}

/// Sets a conversation's state (closing dates it, for retention).
pub async fn set_status(db: &Db, id: &str, status: TicketStatus, now: i64) -> Result<(), AppError> {
    db.query(
        "UPDATE type::record('contact_message', $id) SET status = $status, updated_at = $now,
              closed_at = IF $status = 'closed' THEN $now ELSE NONE END",
    )
    .bind(("id", id.to_string()))
    .bind(("status", status))
    .bind(("now", now))
    .await?
    .check()?;
    Ok(())
}

/// Retention: answered conversations idle for [`AUTO_CLOSE_SECS`] close, unanswered ones after
/// [`OPEN_CLOSE_SECS`]; closed ones older
/// than [`CLOSED_RETENTION_SECS`] go with their replies.
pub async fn sweep(db: &Db, now: i64) -> Result<(), AppError> {
    db.query(
        "UPDATE contact_message SET status = $closed, closed_at = $now WHERE status = $answered AND updated_at < $idle;
         UPDATE contact_message SET status = $closed, closed_at = $now WHERE status = $open AND updated_at < $stale;
         LET $gone = (SELECT VALUE id FROM contact_message WHERE status = $closed AND closed_at < $cutoff);
         DELETE contact_reply WHERE message IN $gone;
         DELETE contact_message WHERE id IN $gone;",
    )
    .bind(("closed", TicketStatus::Closed))
    .bind(("answered", TicketStatus::Answered))
    .bind(("now", now))
    .bind(("idle", now - AUTO_CLOSE_SECS))
    .bind(("open", TicketStatus::Open))
    .bind(("stale", now - OPEN_CLOSE_SECS))
    .bind(("cutoff", now - CLOSED_RETENTION_SECS))
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

/// The part of deleting an account that support owns: conversations from the account or its
/// address, with their replies.
pub const ERASE_USER: &str =
    "LET $mine = (SELECT VALUE id FROM contact_message WHERE user = $user OR (user = NONE AND email = $email));
     DELETE contact_reply WHERE message IN $mine; DELETE contact_message WHERE id IN $mine;";

/// The part of a data export that support owns: the conversations from the account or its
/// address (`$email`, `$user` bound), with the replies.
pub const EXPORT_USER: &[(&str, &str)] = &[(
    "contact_messages",
    "(SELECT name, email, message, <string> created_at AS sent_at, status,
        (SELECT body, author, from_operator, at FROM contact_reply WHERE message = $parent.id ORDER BY at) AS replies
      FROM contact_message WHERE user = $user OR (user = NONE AND email = $email) ORDER BY sent_at)",
)];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contact::validate;

    fn input(email: &str) -> ContactInput {
        validate(ContactInput {
            name: "Eve".into(),
            email: email.into(),
            message: "A question about my data, please.".into(),
        })
        .unwrap()
    }

    #[tokio::test]
    async fn stores_valid_messages_and_keeps_surrealql_as_text() {
        let (_dir, db) = crate::db::temp().await;
        let sneaky = "'); DELETE contact_message; --  and more text";
        let i = validate(ContactInput {
            name: "Eve".into(),
            email: "eve@example.org".into(),
            message: sneaky.into(),
        })
        .unwrap();
        store(&db, i.clone(), None, "10.0.0.1", 1_000)
            .await
            .unwrap();
        store(&db, i, None, "10.0.0.1", 1_000).await.unwrap();
        assert_eq!(count(&db).await.unwrap(), 2);
        let mut r = db
            .query("SELECT VALUE message FROM contact_message")
            .await
            .unwrap();
        let msgs: Vec<String> = r.take(0).unwrap();
        assert!(msgs.iter().all(|m| m == sneaky.trim()));
    }

    #[tokio::test]
    async fn messages_are_limited_per_ip_address_and_account() {
        let (_dir, db) = crate::db::temp().await;
        let ip_max = crate::ratelimit::CONTACT_PER_IP.max;
        for n in 0..ip_max {
            store(
                &db,
                input(&format!("p{n}@example.org")),
                None,
                "10.0.0.1",
                1_000,
            )
            .await
            .unwrap();
        }
        assert!(matches!(
            store(&db, input("other@example.org"), None, "10.0.0.1", 1_001).await,
            Err(AppError::RateLimited(_))
        ));
        // One address from many networks.
        for n in 0..CONTACT_PER_ADDRESS.max {
            store(
                &db,
                input("eve@example.org"),
                None,
                &format!("10.1.0.{n}"),
                1_000,
            )
            .await
            .unwrap();
        }
        assert!(matches!(
            store(&db, input("EVE@example.org"), None, "10.2.0.1", 1_001).await,
            Err(AppError::RateLimited(_))
        ));
        // One account under many addresses and networks.
        for n in 0..CONTACT_PER_ACCOUNT.max {
            store(
                &db,
                input(&format!("a{n}@example.org")),
                Some("acct"),
                &format!("10.3.0.{n}"),
                1_000,
            )
            .await
            .unwrap();
        }
        assert!(matches!(
            store(
                &db,
                input("new@example.org"),
                Some("acct"),
                "10.4.0.1",
                1_001
            )
            .await,
            Err(AppError::RateLimited(_))
        ));
        let stored = ip_max + CONTACT_PER_ADDRESS.max + CONTACT_PER_ACCOUNT.max;
        assert_eq!(
            count(&db).await.unwrap(),
            stored,
            "a refused message is not stored"
        );
    }

    #[tokio::test]
    async fn a_conversation_is_answered_listed_for_its_owner_only_and_kept_for_its_period() {
        let (_dir, db) = crate::db::temp().await;
        let id = store(
            &db,
            input("ann@example.org"),
            Some("ann"),
            "10.0.0.1",
            1_000,
        )
        .await
        .unwrap();
        let other = store(&db, input("bo@example.org"), Some("bo"), "10.0.0.2", 1_000)
            .await
            .unwrap();
        reply(&db, &id, "Support", "Here is the answer.", true, 2_000)
            .await
            .unwrap();
        let mine = of_account(&db, "ann").await.unwrap();
        assert_eq!(mine.len(), 1);
        assert_eq!(mine[0].status, TicketStatus::Answered);
        assert_eq!(mine[0].replies[0].body, "Here is the answer.");
        assert!(
            get(&db, &other, Some("ann")).await.unwrap().is_none(),
            "not another person's"
        );
        assert!(
            get(&db, &other, None).await.unwrap().is_some(),
            "the desk sees all"
        );
        assert_eq!(list(&db, Some(TicketStatus::Open)).await.unwrap().len(), 1);

        // Answered and idle: closed after AUTO_CLOSE_SECS, deleted CLOSED_RETENTION_SECS later.
        sweep(&db, 2_000 + AUTO_CLOSE_SECS - 1).await.unwrap();
        assert_eq!(
            get(&db, &id, None).await.unwrap().unwrap().status,
            TicketStatus::Answered
        );
        let closed_at = 2_000 + AUTO_CLOSE_SECS + 1;
        sweep(&db, closed_at).await.unwrap();
        assert_eq!(
            get(&db, &id, None).await.unwrap().unwrap().status,
            TicketStatus::Closed
        );
        sweep(&db, closed_at + CLOSED_RETENTION_SECS - 1)
            .await
            .unwrap();
        assert!(get(&db, &id, None).await.unwrap().is_some());
        sweep(&db, closed_at + CLOSED_RETENTION_SECS + 1)
            .await
            .unwrap();
        assert!(get(&db, &id, None).await.unwrap().is_none());
        let mut r = db
            .query("RETURN count(SELECT id FROM contact_reply)")
            .await
            .unwrap();
        assert_eq!(
            r.take::<Option<i64>>(0).unwrap(),
            Some(0),
            "replies go with it"
        );
        assert!(
            get(&db, &other, None).await.unwrap().is_some(),
            "open ones stay"
        );
    }
}
