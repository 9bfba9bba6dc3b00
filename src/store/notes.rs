//! Note state: which file each note lives in, and what refnet last wrote there.

use super::{Doing, Store, StoreError, on_db};
use crate::vault::NoteKey;

/// A note refnet manages.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct NoteRow {
    /// Which note it is.
    pub note_key: NoteKey,
    /// Vault-relative path with `/` separators.
    pub path: String,
    /// Lower-cased basename, unique vault-wide.
    pub name_key: String,
    /// Hash of the content refnet last wrote.
    pub content_hash: Option<String>,
}

super::stored_enum!(NoteKey);

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
    pub async fn claim_notes(&self, wanted: &[Claim], now: i64) -> Result<Vec<NoteRow>, StoreError> {
        let won = self
            .claim_first("notes (note_key, path, name_key, updated_at)", "note_key", wanted, now)
            .await?;
        won.into_iter()
            .map(|(key, (path, name_key))| {
                let note_key = key
                    .parse()
                    .map_err(|e: crate::vault::key::BadNoteKey| StoreError::Corrupt {
                        doing: "claiming note names",
                        reason: e.to_string(),
                    })?;
                Ok(NoteRow {
                    note_key,
                    path,
                    name_key,
                    content_hash: None,
                })
            })
            .collect()
    }

    /// Claims a citekey for each paper (candidates in order, unique case-insensitively).
    /// Returns (paper id, citekey) for the papers that got one.
    pub async fn claim_citekeys(&self, wanted: &[Claim], now: i64) -> Result<Vec<(String, String)>, StoreError> {
        let won = self
            .claim_first(
                "citekeys (paper_id, citekey, citekey_key, updated_at)",
                "paper_id",
                wanted,
                now,
            )
            .await?;
        Ok(won.into_iter().map(|(paper, (key, _))| (paper, key)).collect())
    }

    /// Frozen citekeys of papers: (paper id, citekey).
    pub async fn citekeys(&self, ids: &[String]) -> Result<Vec<(String, String)>, StoreError> {
        self.select_by_ids(
            ids,
            |set| format!("SELECT paper_id, citekey FROM citekeys WHERE paper_id IN ({set})"),
            "reading citekeys",
        )
        .await
    }

    /// Gives each claim the first of its candidates that collides with no unique key, in
    /// one transaction: rounds of multi-row `INSERT … ON CONFLICT DO NOTHING RETURNING`
    /// (which never aborts the transaction), each claim moving to its next candidate
    /// after a collision. `into` names the table and its (key, value, value key, time)
    /// columns; `key_column` is returned for the rows that went in.
    async fn claim_first(
        &self,
        into: &str,
        key_column: &str,
        wanted: &[Claim],
        now: i64,
    ) -> Result<Vec<(String, (String, String))>, StoreError> {
        let mut next = vec![0usize; wanted.len()];
        let mut pending: Vec<usize> = (0..wanted.len())
            .filter(|&i| !wanted[i].candidates.is_empty())
            .collect();
        let mut won = Vec::new();
        on_db!(&self.db, pool => {
            let mut tx = pool.begin().await.doing("starting a transaction")?;
            while !pending.is_empty() {
                let mut inserted: std::collections::HashSet<String> = std::collections::HashSet::new();
                for chunk in pending.chunks(super::rows_per_statement(4)) {
                    let sql = format!(
                        "INSERT INTO {into} VALUES {} ON CONFLICT DO NOTHING RETURNING {key_column}",
                        super::placeholders(chunk.len(), 4)
                    );
                    let mut q = sqlx::query_scalar(sqlx::AssertSqlSafe(sql));
                    for &i in chunk {
                        let (value, value_key) = &wanted[i].candidates[next[i]];
                        q = q.bind(wanted[i].key.clone()).bind(value.clone()).bind(value_key.clone()).bind(now);
                    }
                    let keys: Vec<String> = q.fetch_all(&mut *tx).await.doing("claiming unique names")?;
                    inserted.extend(keys);
                }
                pending.retain(|&i| {
                    if inserted.contains(&wanted[i].key) {
                        won.push((wanted[i].key.clone(), wanted[i].candidates[next[i]].clone()));
                        return false;
                    }
                    next[i] += 1;
                    next[i] < wanted[i].candidates.len()
                });
            }
            tx.commit().await.doing("committing claimed names")?;
        });
        Ok(won)
    }

    /// Records, in one transaction, where notes are now and what was written in them.
    pub async fn record_notes(&self, written: &[(NoteKey, String, String)], now: i64) -> Result<(), StoreError> {
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
                    .bind(note_key.to_string())
                    .execute(&mut *tx)
                    .await
                    .doing("recording a note")?;
            }
            tx.commit().await.doing("committing note state")
        })
    }
}

/// Something that needs a unique value (a note name, a citekey), with the values to try
/// in order: (value, lower-cased key that must be unique).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    /// What the value is for: `paper:<id>` for notes, the paper id for citekeys.
    pub key: String,
    /// Candidates in order of preference.
    pub candidates: Vec<(String, String)>,
}
