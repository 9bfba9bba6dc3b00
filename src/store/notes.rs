//! Note state: which file each note lives in, and what refnet last wrote there.

use super::bulk::json_array;
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
    /// so two processes can never both take one name. Returns (claim, path) of each claim
    /// that got a name; the name is the path's basename, its key the one stored.
    pub async fn claim_notes(&self, wanted: &dyn Claims, now: i64) -> Result<Vec<(usize, String)>, StoreError> {
        let won = self.claim_first(&NOTE_NAMES, wanted, now).await?;
        Ok(won.into_iter().map(|(i, (path, _))| (i, path)).collect())
    }

    /// Claims a citekey for each paper (candidates in order, unique case-insensitively).
    /// Returns (paper id, citekey) for the papers that got one.
    pub async fn claim_citekeys(&self, wanted: &dyn Claims, now: i64) -> Result<Vec<(String, String)>, StoreError> {
        let won = self.claim_first(&CITEKEYS, wanted, now).await?;
        Ok(won.into_iter().map(|(i, (key, _))| (wanted.key(i), key)).collect())
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
    /// one transaction: rounds of multi-row `INSERT … ON CONFLICT DO NOTHING` (which never
    /// aborts the transaction), each claim moving to its next candidate after a
    /// collision. Candidates are made when tried, never all at once (a 100,000-paper
    /// render would hold millions).
    ///
    /// A statement that inserted every row it tried needs nothing read back; only one with
    /// collisions reads which of its keys now hold the value it tried. (`RETURNING` gave a
    /// row per claim, and sqlx hands SQLite's rows over one at a time, which cost more
    /// than the inserts.)
    async fn claim_first(
        &self,
        table: &ClaimTable,
        wanted: &dyn Claims,
        now: i64,
    ) -> Result<Vec<(usize, (String, String))>, StoreError> {
        let ClaimTable {
            name,
            key,
            value,
            value_key,
        } = table;
        let mut next = vec![0usize; wanted.len()];
        // A claim without candidates is tried with none and drops out in the first round.
        let mut pending: Vec<usize> = (0..wanted.len()).collect();
        let mut won = Vec::new();
        let insert = format!(
            "INSERT INTO {name} ({key}, {value}, {value_key}, updated_at) \
             SELECT column1, column2, column3, $2 FROM ({}) AS v WHERE true ON CONFLICT DO NOTHING",
            self.json_rows_select(1, &["text"; 3])
        );
        on_db!(&self.db, pool => {
            let mut tx = pool.begin().await.doing("starting a transaction")?;
            while !pending.is_empty() {
                let mut still = Vec::new();
                let mut chunks = pending.chunks(super::IDS_PER_QUERY);
                let mut tried = chunks.next().map(|c| try_next(wanted, c, &next)).unwrap_or_default();
                loop {
                    let following = chunks.next();
                    if tried.is_empty() {
                        match following {
                            Some(chunk) => {
                                tried = try_next(wanted, chunk, &next);
                                continue;
                            }
                            None => break,
                        }
                    }
                    let rows: Vec<[&str; 3]> = tried.iter().map(|(_, k, (v, vk))| [k.as_str(), v.as_str(), vk.as_str()]).collect();
                    let q = sqlx::query(sqlx::AssertSqlSafe(insert.as_str())).bind(json_array(&rows)).bind(now);
                    // The next statement's candidates are made while the database runs this
                    // one (its claims are others: their candidates do not depend on it).
                    let (inserted, upcoming) = tokio::join!(q.execute(&mut *tx), async {
                        following.map(|chunk| try_next(wanted, chunk, &next))
                    });
                    let inserted = inserted.doing("claiming unique names")?.rows_affected();
                    let all = inserted == tried.len() as u64;
                    let held: std::collections::HashMap<String, String> = if all {
                        std::collections::HashMap::new()
                    } else {
                        let keys: Vec<&str> = tried.iter().map(|(_, k, _)| k.as_str()).collect();
                        let sql = format!("SELECT {key}, {value_key} FROM {name} WHERE {key} IN ({})", self.id_set(1));
                        sqlx::query_as(sqlx::AssertSqlSafe(sql))
                            .bind(super::ids_json(&keys))
                            .fetch_all(&mut *tx)
                            .await
                            .doing("claiming unique names")?
                            .into_iter()
                            .collect()
                    };
                    for (i, key, candidate) in tried {
                        if all || held.get(&key) == Some(&candidate.1) {
                            won.push((i, candidate));
                        } else {
                            next[i] += 1;
                            still.push(i);
                        }
                    }
                    match upcoming {
                        Some(upcoming) => tried = upcoming,
                        None => break,
                    }
                }
                pending = still;
            }
            tx.commit().await.doing("committing claimed names")?;
        });
        Ok(won)
    }

    /// Records, in one transaction, where notes are now, what was written in them and
    /// what they are made from: one `UPDATE … FROM` a JSON array of rows per
    /// [`super::IDS_PER_QUERY`] notes.
    pub async fn record_notes(&self, records: &[NoteRecord], now: i64) -> Result<(), StoreError> {
        if records.is_empty() {
            return Ok(());
        }
        let sql = format!(
            "UPDATE notes SET path = v.column2, content_hash = COALESCE(v.column3, notes.content_hash), \
             inputs_hash = v.column4, file_stamp = v.column5, updated_at = $2 \
             FROM ({}) AS v WHERE notes.note_key = v.column1",
            self.json_rows_select(1, &["text"; 5])
        );
        on_db!(&self.db, pool => {
            let mut tx = pool.begin().await.doing("starting a transaction")?;
            for chunk in records.chunks(super::IDS_PER_QUERY) {
                let rows: Vec<_> = chunk
                    .iter()
                    .map(|r| {
                        let known = r.known.as_ref();
                        (
                            r.key.to_string(),
                            r.path.as_str(),
                            r.content_hash.as_deref(),
                            known.map(|k| k.inputs.as_str()),
                            known.map(|k| k.stamp.as_str()),
                        )
                    })
                    .collect();
                sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
                    .bind(json_array(&rows))
                    .bind(now)
                    .execute(&mut *tx)
                    .await
                    .doing("recording notes")?;
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

/// The claims of `chunk` that still have a candidate, each with its next one: (claim,
/// key, (value, unique key)). Claims past their last candidate drop out (a statement has
/// a row for each one still trying, no more).
fn try_next(wanted: &dyn Claims, chunk: &[usize], next: &[usize]) -> Vec<(usize, String, (String, String))> {
    chunk
        .iter()
        .filter_map(|&i| Some((i, wanted.key(i), wanted.candidate(i, next[i])?)))
        .collect()
}

/// A table of claimed values: its key, the value, and the value's unique key columns.
struct ClaimTable {
    name: &'static str,
    key: &'static str,
    value: &'static str,
    value_key: &'static str,
}

/// Note names: a note's file, unique vault-wide case-insensitively.
const NOTE_NAMES: ClaimTable = ClaimTable {
    name: "notes",
    key: "note_key",
    value: "path",
    value_key: "name_key",
};

/// Citekeys: unique case-insensitively.
const CITEKEYS: ClaimTable = ClaimTable {
    name: "citekeys",
    key: "paper_id",
    value: "citekey",
    value_key: "citekey_key",
};

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

#[cfg(test)]
mod tests {
    use super::*;

    /// Citekeys to claim: each paper's candidates in order.
    struct Keys(Vec<(&'static str, Vec<&'static str>)>);

    impl Claims for Keys {
        fn len(&self) -> usize {
            self.0.len()
        }

        fn key(&self, i: usize) -> String {
            self.0[i].0.to_owned()
        }

        fn candidate(&self, i: usize, n: usize) -> Option<(String, String)> {
            let key = self.0[i].1.get(n)?;
            Some(((*key).to_owned(), key.to_lowercase()))
        }
    }

    #[tokio::test]
    async fn a_claim_that_collides_moves_on_and_the_rest_win_at_once_on_sqlite() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = crate::store::sqlite_store_in(dir.path()).await;
        a_claim_that_collides_moves_on_and_the_rest_win_at_once(&store).await;
    }

    #[tokio::test]
    async fn a_claim_that_collides_moves_on_and_the_rest_win_at_once_on_postgres() {
        let Some(admin) = crate::testkit::pg::test_server() else {
            return;
        };
        let db = crate::testkit::pg::ScratchDb::create(&admin, "refnet_u").await;
        let store = Store::open(&db.url).await.expect("store");
        a_claim_that_collides_moves_on_and_the_rest_win_at_once(&store).await;
    }

    /// A claim that lost tries its next candidate in the next round (p2 takes "beta"
    /// before p1's second try), and claims of one name in one statement win in their order
    /// (p5 before p6).
    async fn a_claim_that_collides_moves_on_and_the_rest_win_at_once(store: &Store) {
        let held = Keys(vec![("p0", vec!["Alpha"])]);
        assert_eq!(
            store.claim_citekeys(&held, 1).await.expect("claim"),
            [("p0".to_owned(), "Alpha".to_owned())]
        );
        // p1's first two are taken (by p0, case-insensitively, then by p2 in the same
        // statement); p4 has nowhere to go; a statement without a collision reads nothing.
        let wanted = Keys(vec![
            ("p1", vec!["alpha", "Beta", "Delta"]),
            ("p2", vec!["beta", "Gamma"]),
            ("p3", vec!["Epsilon"]),
            ("p4", vec!["ALPHA"]),
            ("p5", vec!["Zeta", "Theta"]),
            ("p6", vec!["zeta", "Eta"]),
        ]);
        let mut won = store.claim_citekeys(&wanted, 2).await.expect("claim");
        won.sort();
        let want = [
            ("p1", "Delta"),
            ("p2", "beta"),
            ("p3", "Epsilon"),
            ("p5", "Zeta"),
            ("p6", "Eta"),
        ]
        .map(|(p, k)| (p.to_owned(), k.to_owned()));
        assert_eq!(won, want);
        let ids: Vec<String> = ["p0", "p1", "p2", "p3", "p4", "p5", "p6"].map(str::to_owned).to_vec();
        let mut stored = store.citekeys(&ids).await.expect("citekeys");
        stored.sort();
        let mut all = vec![("p0".to_owned(), "Alpha".to_owned())];
        all.extend(want);
        assert_eq!(stored, all);
    }
}
