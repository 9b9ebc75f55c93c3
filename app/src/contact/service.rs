use super::ContactInput;
use crate::{db::Db, AppError};

pub async fn store(db: &Db, input: ContactInput) -> Result<(), AppError> {
    db.query("CREATE contact_message SET name = $name, email = $email, message = $message, created_at = time::now()")
        .bind(("name", input.name))
        .bind(("email", input.email))
        .bind(("message", input.message))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contact::validate;

    #[tokio::test]
    async fn stores_valid_messages_and_keeps_surrealql_as_text() {
        let dir = tempfile::tempdir().unwrap();
        let db = crate::db::connect(
            &format!("surrealkv://{}", dir.path().join("db").display()),
            &Default::default(),
        )
        .await
        .unwrap();
        let sneaky = "'); DELETE contact_message; --  and more text";
        let input = validate(ContactInput {
            name: "Eve".into(),
            email: "eve@example.org".into(),
            message: sneaky.into(),
        })
        .unwrap();
        store(&db, input.clone()).await.unwrap();
        store(&db, input).await.unwrap();
        assert_eq!(count(&db).await.unwrap(), 2);
        let mut r = db
            .query("SELECT VALUE message FROM contact_message")
            .await
            .unwrap();
        let msgs: Vec<String> = r.take(0).unwrap();
        assert!(msgs.iter().all(|m| m == sneaky.trim()));
    }
}
