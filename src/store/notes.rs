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

    /// Claims a basename for a note. Returns `false` when another note holds the name
    /// (the unique index decides, so two processes can never both take it).
    pub async fn claim_note(&self, note_key: &str, path: &str, name_key: &str, now: i64) -> Result<bool, StoreError> {
        let result = on_db!(&self.db, pool => sqlx::query(
            "INSERT INTO notes (note_key, path, name_key, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (note_key) DO UPDATE SET path = excluded.path, name_key = excluded.name_key, \
             updated_at = excluded.updated_at",
        )
        .bind(note_key.to_owned())
        .bind(path.to_owned())
        .bind(name_key.to_owned())
        .bind(now)
        .execute(pool)
        .await
        .map(|_| ()));
        match result {
            Ok(_) => Ok(true),
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Ok(false),
            Err(e) => Err(e).doing("claiming a note name"),
        }
    }

    /// Records where a note is now and what was written.
    pub async fn record_note(
        &self,
        note_key: &str,
        path: &str,
        content_hash: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        on_db!(&self.db, pool => sqlx::query(
            "UPDATE notes SET path = $1, content_hash = $2, updated_at = $3 WHERE note_key = $4",
        )
        .bind(path.to_owned())
        .bind(content_hash.to_owned())
        .bind(now)
        .bind(note_key.to_owned())
        .execute(pool)
        .await
        .map(|_| ())
        .doing("recording a note"))
    }
}
