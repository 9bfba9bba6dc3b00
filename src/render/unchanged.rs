//! A render with nothing to do. A complete render of a crawl — nothing skipped, failed or
//! broken — leaves a mark: the count of writes to what notes are made from when it started
//! ([`crate::store::Store::input_generation`]), the settings it used, and the stamp of
//! every file it left (not the files made once and the user's after: `.obsidian`'s
//! settings, `Papers.base`). A later render that finds the same count, the same settings and every file as
//! it was would write nothing: it stops there, without reading the graph or any note.
//!
//! The count covers the store's own writes (triggers on every table a render reads, and
//! new, forgotten or moved note names); a render counts the names it changed itself, and
//! leaves a mark only when the count moved by exactly those, so a write by anyone else
//! during the render means a whole render next time.

use super::naming::Names;
use super::{FileFate, RenderError, RenderReport, blocking};
use crate::context::Context;
use crate::store::RenderMark;
use crate::vault::Vault;
use crate::vault::inputs::inputs_hash;

/// The report of a render that has nothing to do, or `None` when it has.
pub(super) async fn check(ctx: &Context, vault: &Vault, crawl_id: i64) -> Result<Option<RenderReport>, RenderError> {
    let Some(generation) = ctx.store.input_generation().await? else {
        return Ok(None);
    };
    let Some(mark) = ctx.store.render_mark(crawl_id).await? else {
        return Ok(None);
    };
    if mark.generation != generation || mark.settings != settings_key(ctx) {
        return Ok(None);
    }
    let files = mark.files;
    let (files, same) = blocking(vault, move |v| {
        let lines: Vec<Option<(&str, &str)>> = files.lines().map(|line| line.split_once('\t')).collect();
        let paths: Vec<&str> = lines.iter().map(|l| l.map_or("", |(_, path)| path)).collect();
        let same = lines
            .iter()
            .zip(stamps(v, &paths))
            .all(|(line, now)| line.is_some_and(|(stamp, _)| now.as_deref() == Some(stamp)));
        (files, same)
    })
    .await?;
    if !same {
        return Ok(None);
    }
    let mut report = RenderReport::default();
    for (_, path) in files.lines().filter_map(|l| l.split_once('\t')) {
        report.count(path, FileFate::Unchanged);
        ctx.counters.file(path, FileFate::Unchanged);
    }
    Ok(Some(report))
}

/// Leaves the mark of a render that started at input count `started` (`None`: the
/// store keeps no count) and made `report`, when it was complete and nobody else wrote
/// to what it read meanwhile.
pub(super) async fn remember(
    ctx: &Context,
    vault: &Vault,
    crawl_id: i64,
    started: Option<i64>,
    names: &Names,
    report: &RenderReport,
) -> Result<(), RenderError> {
    let Some(started) = started else {
        return Ok(());
    };
    if names.unnamed() || !report.skipped.is_empty() || !report.failed.is_empty() || !report.broken.is_empty() {
        return Ok(());
    }
    let own = i64::try_from(names.changes()).unwrap_or(i64::MAX);
    if ctx.store.input_generation().await? != Some(started.saturating_add(own)) {
        return Ok(());
    }
    let paths = report.current.clone();
    let files = blocking(vault, move |v| {
        let mut files = String::with_capacity(paths.len() * 96);
        let all: Vec<&str> = paths.iter().map(String::as_str).collect();
        for (path, stamp) in paths.iter().zip(stamps(v, &all)) {
            // A file gone already (removed as it was written) gets no mark.
            let stamp = stamp?;
            files.push_str(&stamp);
            files.push('\t');
            files.push_str(path);
            files.push('\n');
        }
        Some(files)
    })
    .await?;
    let Some(files) = files else {
        return Ok(());
    };
    let mark = RenderMark {
        generation: started.saturating_add(own),
        settings: settings_key(ctx),
        files,
    };
    ctx.store.save_render_mark(crawl_id, &mark).await?;
    Ok(())
}

/// The stamp of each file (`None`: gone), in order, taken on two threads: a render
/// leaves a file per note, and each stamp is a `stat`.
fn stamps(vault: &Vault, paths: &[&str]) -> Vec<Option<String>> {
    let (first, second) = paths.split_at(paths.len() / 2);
    let of = |part: &[&str]| part.iter().map(|p| vault.stamp(p)).collect::<Vec<_>>();
    std::thread::scope(|scope| {
        let other = scope.spawn(|| of(second));
        let mut all = of(first);
        match other.join() {
            Ok(rest) => all.extend(rest),
            Err(panic) => std::panic::resume_unwind(panic),
        }
        all
    })
}

/// A hash of the settings a render's notes depend on (the vault, which authors get
/// notes, the map's size) and of refnet's version.
fn settings_key(ctx: &Context) -> String {
    let notes = &ctx.settings.notes;
    inputs_hash(&(
        ctx.settings.vault.to_string_lossy(),
        format!("{:?}", notes.author_notes),
        notes.map_papers,
    ))
}
