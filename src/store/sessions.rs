//! Dashboard sessions: the hash of each live session id, the token it was made under and
//! when it expires (see `serve::session`). Only hashes are stored.

use super::{Doing, Store, StoreError, on_db};

impl Store {
    /// Records a new session, and forgets the ones expired by `now`.
    pub async fn create_session(
        &self,
        id_hash: &str,
        token_tag: &str,
        now: i64,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        on_db!(&self.db, pool => {
            let mut tx = pool.begin().await.doing("starting a transaction")?;
            sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
                .bind(now)
                .execute(&mut *tx)
                .await
                .doing("forgetting expired sessions")?;
            sqlx::query("INSERT INTO sessions (id_hash, token_tag, created_at, expires_at) VALUES ($1, $2, $3, $4)")
                .bind(id_hash.to_owned())
                .bind(token_tag.to_owned())
                .bind(now)
                .bind(expires_at)
                .execute(&mut *tx)
                .await
                .doing("recording a session")?;
            tx.commit().await.doing("recording a session")
        })
    }

    /// Whether a session is live: recorded, made under the current token, not expired.
    pub async fn session_live(&self, id_hash: &str, token_tag: &str, now: i64) -> Result<bool, StoreError> {
        let sql = "SELECT COUNT(*) FROM sessions WHERE id_hash = $1 AND token_tag = $2 AND expires_at > $3";
        let n: i64 = on_db!(&self.db, pool => sqlx::query_scalar(sql)
            .bind(id_hash.to_owned())
            .bind(token_tag.to_owned())
            .bind(now)
            .fetch_one(pool)
            .await)
        .doing("checking a session")?;
        Ok(n > 0)
    }

    /// Ends a session (logout); how many rows went (0 when it was not live).
    pub async fn delete_session(&self, id_hash: &str) -> Result<u64, StoreError> {
        on_db!(&self.db, pool => sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
            .bind(id_hash.to_owned())
            .execute(pool)
            .await
            .map(|r| r.rows_affected()))
        .doing("ending a session")
    }
}
