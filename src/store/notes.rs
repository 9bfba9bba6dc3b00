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
    /// Hash of what the note was last made from (see `vault::inputs::inputs_hash`).
    pub inputs_hash: Option<String>,
    /// Size and modification time of its file when it last matched those inputs.
    pub file_stamp: Option<String>,
}

impl NoteRow {
    /// What was recorded when the note last matched its inputs.
    pub fn known(&self) -> Option<crate::vault::write::Known> {
        Some(crate::vault::write::Known {
            inputs: self.inputs_hash.clone()?,
            stamp: self.file_stamp.clone()?,
        })
    }
}

/// What became of a note in a render, to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteRecord {
    /// Which note.
    pub key: NoteKey,
    /// Where it is now.
    pub path: String,
    /// Hash of the text written, when it was.
    pub content_hash: Option<String>,
    /// What it is now made from and its file's stamp, when it holds what those make;
    /// `None` forgets them, so the next render builds and reads the note again.
    pub known: Option<crate::vault::write::Known>,
}

super::stored_enum!(NoteKey);

impl Store {
    /// Every note refnet manages.
    pub async fn notes(&self) -> Result<Vec<NoteRow>, StoreError> {
        on_db!(&self.db, pool => sqlx::query_as("SELECT note_key, path, name_key, content_hash, inputs_hash, file_stamp FROM notes")
            .fetch_all(pool)
            .await
            .doing("reading note state"))
    }

    /// Claims a basename for each note, trying its candidates in order, in one
    /// transaction. A candidate another note holds is skipped: the unique index decides,
    /// so two processes can never both take one name. Returns the claimed rows.
    pub async fn claim_notes(&self, wanted: &dyn Claims, now: i64) -> Result<Vec<NoteRow>, StoreError> {
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
                    inputs_hash: None,
                    file_stamp: None,
                })
            })
            .collect()
    }

    /// Claims a citekey for each paper (candidates in order, unique case-insensitively).
    /// Returns (paper id, citekey) for the papers that got one.
    pub async fn claim_citekeys(&self, wanted: &dyn Claims, now: i64) -> Result<Vec<(String, String)>, StoreError> {
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
    /// columns; `key_column` is returned for the rows that went in. Candidates are made
    /// when tried, never all at once (a 100,000-paper render would hold millions).
    async fn claim_first(
        &self,
        into: &str,
        key_column: &str,
        wanted: &dyn Claims,
        now: i64,
    ) -> Result<Vec<(String, (String, String))>, StoreError> {
        let mut next = vec![0usize; wanted.len()];
        // A claim without candidates is tried with none and drops out in the first round.
        let mut pending: Vec<usize> = (0..wanted.len()).collect();
        let mut won = Vec::new();
        on_db!(&self.db, pool => {
            let mut tx = pool.begin().await.doing("starting a transaction")?;
            while !pending.is_empty() {
                let mut still = Vec::new();
                for chunk in pending.chunks(super::rows_per_statement(4)) {
                    let sql = format!(
                        "INSERT INTO {into} VALUES {} ON CONFLICT DO NOTHING RETURNING {key_column}",
                        self.placeholders(chunk.len(), 4)
                    );
                    let mut q = sqlx::query_scalar(sqlx::AssertSqlSafe(sql));
                    let mut tried = Vec::with_capacity(chunk.len());
                    for &i in chunk {
                        if let Some((value, value_key)) = wanted.candidate(i, next[i]) {
                            let key = wanted.key(i);
                            q = q.bind(key.clone()).bind(value.clone()).bind(value_key.clone()).bind(now);
                            tried.push((i, key, (value, value_key)));
                        }
                    }
                    if tried.is_empty() {
                        continue;
                    }
                    let inserted: std::collections::HashSet<String> =
                        q.fetch_all(&mut *tx).await.doing("claiming unique names")?.into_iter().collect();
                    for (i, key, candidate) in tried {
                        if inserted.contains(&key) {
                            won.push((key, candidate));
                        } else {
                            next[i] += 1;
                            still.push(i);
                        }
                    }
                }
                pending = still;
            }
            tx.commit().await.doing("committing claimed names")?;
        });
        Ok(won)
    }

    /// Records, in one transaction, where notes are now, what was written in them and
    /// what they are made from: one multi-row `UPDATE … FROM (VALUES …)` per few hundred
    /// notes.
    pub async fn record_notes(&self, records: &[NoteRecord], now: i64) -> Result<(), StoreError> {
        if records.is_empty() {
            return Ok(());
        }
        on_db!(&self.db, pool => {
            let mut tx = pool.begin().await.doing("starting a transaction")?;
            for chunk in records.chunks(super::rows_per_statement(6)) {
                let sql = format!(
                    "UPDATE notes SET path = v.column2, content_hash = COALESCE(v.column3, notes.content_hash), \
                     inputs_hash = v.column4, file_stamp = v.column5, updated_at = v.column6 \
                     FROM (VALUES {}) AS v WHERE notes.note_key = v.column1",
                    self.placeholders(chunk.len(), 6)
                );
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                for r in chunk {
                    q = q
                        .bind(r.key.to_string())
                        .bind(r.path.clone())
                        .bind(r.content_hash.clone())
                        .bind(r.known.as_ref().map(|k| k.inputs.clone()))
                        .bind(r.known.as_ref().map(|k| k.stamp.clone()))
                        .bind(now);
                }
                q.execute(&mut *tx).await.doing("recording notes")?;
            }
            tx.commit().await.doing("committing note state")
        })
    }

    /// Forgets notes refnet no longer keeps (their names become free again).
    pub async fn forget_notes(&self, keys: &[NoteKey]) -> Result<(), StoreError> {
        if keys.is_empty() {
            return Ok(());
        }
        on_db!(&self.db, pool => {
            let mut tx = pool.begin().await.doing("starting a transaction")?;
            for key in keys {
                sqlx::query("DELETE FROM notes WHERE note_key = $1")
                    .bind(key.to_string())
                    .execute(&mut *tx)
                    .await
                    .doing("forgetting a note")?;
            }
            tx.commit().await.doing("committing forgotten notes")
        })
    }
}

/// Things that each need a unique value (a note name, a citekey), with the values to try
/// in order: (value, lower-cased key that must be unique), made on demand.
pub trait Claims: Sync {
    /// How many things.
    fn len(&self) -> usize;
    /// Whether there is nothing to claim.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// What thing `i` is: `paper:<id>` for notes, the paper id for citekeys.
    fn key(&self, i: usize) -> String;
    /// Thing `i`'s `n`th candidate, `None` past its last.
    fn candidate(&self, i: usize, n: usize) -> Option<(String, String)>;
}
