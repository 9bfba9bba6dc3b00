//! What the last complete render of a crawl left ([`RenderMark`]), and the count of writes
//! to the tables renders read ([`Store::input_generation`]): together they tell a render
//! that it has nothing to do (`render::unchanged`).

use super::{Db, Doing, Store, StoreError, on_db};

/// The last complete render of a crawl with nothing skipped or failed.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RenderMark {
    /// The count of input writes that render saw ([`Store::input_generation`]).
    pub generation: i64,
    /// A hash of the settings it rendered with.
    pub settings: String,
    /// Each file it left, as `stamp<TAB>path` lines.
    pub files: String,
}

impl Store {
    /// The count of writes to the tables notes are made from, bumped by the schema's
    /// triggers; `None` on PostgreSQL, which does not keep it (writers on other machines
    /// commit out of order, so a count read there could cover a write not yet visible).
    pub async fn input_generation(&self) -> Result<Option<i64>, StoreError> {
        match &self.db {
            Db::Sqlite(pool) => sqlx::query_scalar("SELECT n FROM input_generation WHERE id = 1")
                .fetch_optional(pool)
                .await
                .doing("reading the count of input writes"),
            Db::Postgres(_) => Ok(None),
        }
    }

    /// The mark of a crawl's last complete render, if it left one.
    pub async fn render_mark(&self, crawl_id: i64) -> Result<Option<RenderMark>, StoreError> {
        on_db!(&self.db, pool => sqlx::query_as(
            "SELECT generation, settings, files FROM render_marks WHERE crawl_id = $1",
        )
        .bind(crawl_id)
        .fetch_optional(pool)
        .await
        .doing("reading a render mark"))
    }

    /// Keeps the mark of a complete render, replacing the crawl's last one.
    pub async fn save_render_mark(&self, crawl_id: i64, mark: &RenderMark) -> Result<(), StoreError> {
        on_db!(&self.db, pool => sqlx::query(
            "INSERT INTO render_marks (crawl_id, generation, settings, files) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (crawl_id) DO UPDATE SET generation = excluded.generation, \
             settings = excluded.settings, files = excluded.files",
        )
        .bind(crawl_id)
        .bind(mark.generation)
        .bind(mark.settings.clone())
        .bind(mark.files.clone())
        .execute(pool)
        .await
        .doing("saving a render mark")
        .map(drop))
    }

    /// Forgets a crawl's mark: its render is under way, or did not complete.
    pub async fn forget_render_mark(&self, crawl_id: i64) -> Result<(), StoreError> {
        on_db!(&self.db, pool => sqlx::query("DELETE FROM render_marks WHERE crawl_id = $1")
            .bind(crawl_id)
            .execute(pool)
            .await
            .doing("forgetting a render mark")
            .map(drop))
    }
}
