//! Note state: which file each note lives in, and what refnet last wrote there.

use super::{Doing, Store, StoreError, on_db};

/// A note refnet manages.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct NoteRow {
    /// `paper:<id>`, `author:<id>`, `index:<crawl>`, …
    pub note_key: String,
    /// Vault-relative path with `/` separators.
    pub path: String,
    /// Lower-cased basename, unique vault-wide.
    pub name_key: String,
    /// Hash of the content refnet last wrote.
    pub content_hash: Option<String>,
}

impl Store {
    /// Every note refnet manages.
    pub async fn notes(&self) -> Result<Vec<NoteRow>, StoreError> {
        on_db!(&self.db, pool => sqlx::query_as("SELECT note_key, path, name_key, content_hash FROM notes")
            .fetch_all(pool)
            .await
            .doing("reading note state"))
    }

    /// Claims a basename for each note, trying its candidates in order, in one
    /// transaction. A candidate another note holds is skipped: the unique index decides,
    /// so two processes can never both take one name. Returns the claimed rows.
    pub async fn claim_notes(&self, wanted: &[NoteClaim], now: i64) -> Result<Vec<NoteRow>, StoreError> {
        let mut claimed = Vec::new();
        on_db!(&self.db, pool => {
            let mut tx = pool.begin().await.doing("starting a transaction")?;
            for claim in wanted {
                for (path, name_key) in &claim.candidates {
                    let done = sqlx::query(
                        "INSERT INTO notes (note_key, path, name_key, updated_at) VALUES ($1, $2, $3, $4) \
                         ON CONFLICT DO NOTHING",
                    )
                    .bind(claim.note_key.clone())
                    .bind(path.clone())
                    .bind(name_key.clone())
                    .bind(now)
                    .execute(&mut *tx)
                    .await
                    .doing("claiming a note name")?
                    .rows_affected();
                    if done == 1 {
                        claimed.push(NoteRow {
                            note_key: claim.note_key.clone(),
                            path: path.clone(),
                            name_key: name_key.clone(),
                            content_hash: None,
                        });
                        break;
                    }
                }
            }
            tx.commit().await.doing("committing note names")?;
        });
        Ok(claimed)
    }

    /// Records, in one transaction, where notes are now and what was written in them.
    pub async fn record_notes(&self, written: &[(String, String, String)], now: i64) -> Result<(), StoreError> {
        if written.is_empty() {
            return Ok(());
        }
        on_db!(&self.db, pool => {
            let mut tx = pool.begin().await.doing("starting a transaction")?;
            for (note_key, path, hash) in written {
                sqlx::query("UPDATE notes SET path = $1, content_hash = $2, updated_at = $3 WHERE note_key = $4")
                    .bind(path.clone())
                    .bind(hash.clone())
                    .bind(now)
                    .bind(note_key.clone())
                    .execute(&mut *tx)
                    .await
                    .doing("recording a note")?;
            }
            tx.commit().await.doing("committing note state")
        })
    }
}

/// A note that needs a name, with the names to try in order: (path, lower-cased basename).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteClaim {
    /// `paper:<id>`, …
    pub note_key: String,
    /// Candidates in order of preference.
    pub candidates: Vec<(String, String)>,
}
