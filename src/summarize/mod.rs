//! The summarize stage: a paper's best text → a structured summary, cached.
//!
//! The text is the open-access PDF's full text when there is one and it is usable, else
//! the abstract, else S2's TLDR; the note says which, and why a PDF was not used (a paper
//! with none of these has nothing to summarize, and its note says so). PDFs are
//! downloaded with SSRF guards ([`fetch`]), kept under `<vault>/.refnet/pdf/` (or in the
//! vault's attachments with `--save-pdfs`), and read by a child process (`refnet pdf-text
//! --json`) under a time and memory limit ([`pdf`]), so no PDF can crash or hang a
//! worker. Summaries are cached by (paper, [`input_hash`], model, prompt version): running
//! again never summarizes the same input twice. One `summarize` job carries a batch of
//! papers: those that need no network are summarized together ([`batch`]), the others one
//! by one.

pub mod batch;
pub mod extractive;
pub mod fetch;
pub mod llm;
pub mod pdf;
mod sections;
mod sentences;
pub mod summary;

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;

use sha2::{Digest, Sha256};
use tracing::{debug, info};

use crate::metrics::Counters;
use crate::settings::Settings;
use crate::store::{PdfRow, PdfStatus, Store, StoreError, StoredPaper, SummaryRow, now};
use crate::vault::NoteName;
use crate::vault::Vault;
use crate::vault::folders::{ATTACHMENTS_DIR, PDF_DIR};
use fetch::PdfFetcher;
use summary::{Request, Source, SummarizeError, Summarizer};

/// Shortest abstract worth summarizing on its own (shorter ones are S2 stubs).
const MIN_ABSTRACT_CHARS: usize = 200;

/// How PDF text is extracted.
#[derive(Debug, Clone)]
pub enum Extractor {
    /// In a child process (`<exe> pdf-text --json FILE`): a PDF that crashes or hangs the
    /// parser takes down only the child.
    Child(PathBuf),
    /// In this process, on a blocking thread, with panics caught (for library users and
    /// benches that run without the `refnet` binary).
    InProcess,
}

/// What the summarize stage works with, borrowed from the process's context: the stage
/// takes these parts rather than the whole context, which is built from them.
#[derive(Debug, Clone, Copy)]
pub struct Deps<'a> {
    /// The database.
    pub store: &'a Store,
    /// The settings the process started with.
    pub settings: &'a Settings,
    /// Process-wide counters.
    pub counters: &'a Counters,
    /// The LLM when one is configured, else the extractive summarizer.
    pub summarizer: &'a Arc<dyn Summarizer>,
    /// Downloads PDFs behind SSRF guards.
    pub pdf_fetcher: &'a PdfFetcher,
    /// How PDF text is extracted.
    pub extractor: &'a Extractor,
}

/// What summarizing a paper did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A new summary was made from this source.
    Written(&'static str),
    /// The same input was summarized before: nothing was called.
    Cached(&'static str),
    /// Nothing to summarize (no PDF text, no abstract, no TLDR).
    NoText,
}

/// Why a paper could not be summarized now.
#[derive(Debug, thiserror::Error)]
pub enum StageError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The summarizer failed.
    #[error(transparent)]
    Summarize(#[from] SummarizeError),
    /// The paper is not in the store.
    #[error("paper {0} is not in the store: crawl it first")]
    NoPaper(String),
}

/// Summarizes one paper (unless the cache already holds this input, or `force`).
pub async fn summarize_paper(ctx: Deps<'_>, paper_id: &str, force: bool) -> Result<Outcome, StageError> {
    let store = ctx.store;
    let paper = store
        .papers(&[paper_id.to_owned()])
        .await?
        .pop()
        .ok_or_else(|| StageError::NoPaper(paper_id.to_owned()))?;
    let summarizer: &Arc<dyn Summarizer> = ctx.summarizer;
    // The PDF read on an earlier run, already summarized with this model: nothing to do,
    // not even reading the PDF again.
    if !force
        && let Some(pdf) = store.pdf_state(paper_id).await?
        && pdf.status == PdfStatus::Text
        && paper.pdf_url.as_deref() == Some(pdf.url.as_str())
        && let Some(hash) = &pdf.text_hash
        && store
            .cached_summary(paper_id, hash, summarizer.model(), summarizer.prompt_version())
            .await?
            .is_some()
    {
        return Ok(Outcome::Cached(Source::Pdf.as_str()));
    }
    let Some((source, text)) = best_text(ctx, &paper, force).await? else {
        return Ok(Outcome::NoText);
    };
    let hash = input_hash(&paper.title, &text);
    if !force
        && store
            .cached_summary(paper_id, &hash, summarizer.model(), summarizer.prompt_version())
            .await?
            .is_some()
    {
        debug!(paper_id, "summary cached");
        return Ok(Outcome::Cached(source.as_str()));
    }
    let summary = summarizer
        .summarize(Request {
            title: &paper.title,
            text: &text,
            source,
        })
        .await?;
    store
        .save_summary(&SummaryRow {
            paper_id: paper_id.to_owned(),
            text_hash: hash,
            model: summarizer.model().to_owned(),
            prompt_version: summarizer.prompt_version().to_owned(),
            source: source.as_str().to_owned(),
            body: serde_json::to_string(&summary).unwrap_or_default(),
            created_at: now(),
        })
        .await?;
    ctx.counters.summaries_written.inc();
    info!(
        paper_id,
        source = source.as_str(),
        model = summarizer.model(),
        "summarized"
    );
    Ok(Outcome::Written(source.as_str()))
}

/// The best text there is: the PDF's, else the abstract, else the TLDR (the title goes
/// to the summarizer beside it, not in it).
async fn best_text(ctx: Deps<'_>, paper: &StoredPaper, force: bool) -> Result<Option<(Source, String)>, StoreError> {
    if let Some(url) = &paper.pdf_url
        && let Some(text) = pdf_text_of(ctx, paper, url, force).await?
    {
        return Ok(Some((Source::Pdf, text)));
    }
    Ok(text_without_pdf(paper))
}

/// The text summarized when there is no usable PDF (see [`offline_text`]).
fn text_without_pdf(paper: &StoredPaper) -> Option<(Source, String)> {
    offline_text(paper.abstract_text.as_deref(), paper.tldr.as_deref()).map(|(source, text)| (source, text.to_owned()))
}

/// The text to summarize without a PDF, and what it is: an abstract of at least 200
/// characters, else S2's TLDR, else a shorter abstract (S2 stubs are short), else nothing.
pub fn offline_text<'a>(abstract_text: Option<&'a str>, tldr: Option<&'a str>) -> Option<(Source, &'a str)> {
    // As given (the cache key is made of it), but blank counts as absent.
    let present = |t: Option<&'a str>| t.filter(|t| !t.trim().is_empty());
    let (abstract_text, tldr) = (present(abstract_text), present(tldr));
    match (abstract_text, tldr) {
        (Some(a), _) if a.trim().len() >= MIN_ABSTRACT_CHARS => Some((Source::Abstract, a)),
        (_, Some(t)) => Some((Source::Tldr, t)),
        (Some(a), None) => Some((Source::Abstract, a)),
        (None, None) => None,
    }
}

/// Whether a paper has no text to summarize, now or later: no abstract, no TLDR, and no
/// open-access PDF, or one that was tried and gave no usable text (`pdf`: its state).
/// Its note says so rather than waiting for a summary that will not come.
pub fn has_no_text(paper: &StoredPaper, pdf: Option<&PdfRow>) -> bool {
    let pdf_pending = paper
        .pdf_url
        .as_deref()
        .is_some_and(|url| pdf.is_none_or(|p| p.url != url || p.status == PdfStatus::Text));
    !pdf_pending && text_without_pdf(paper).is_none()
}

/// Splits papers into those whose summary is current — made from the text a run would
/// summarize now, by this model and prompt version, or with no text to summarize at all —
/// and those that need work. Reads the store only (no PDF is fetched or read): a paper
/// whose PDF was never tried needs work.
pub async fn split_current(ctx: Deps<'_>, ids: &[String]) -> Result<(Vec<String>, Vec<String>), StoreError> {
    let papers = ctx.store.papers(ids).await?;
    let pdfs: HashMap<String, PdfRow> = ctx
        .store
        .pdf_states(ids)
        .await?
        .into_iter()
        .map(|p| (p.paper_id.clone(), p))
        .collect();
    let hashes = summarized_hashes(ctx, ids).await?;
    let (mut current, mut todo) = (Vec::new(), Vec::new());
    for paper in papers {
        if is_current(&paper, pdfs.get(&paper.paper_id), hashes.get(&paper.paper_id)) {
            current.push(paper.paper_id);
        } else {
            todo.push(paper.paper_id);
        }
    }
    Ok((current, todo))
}

/// The text hashes each of `ids` has a summary of, by the summarizer's model and prompt
/// version.
async fn summarized_hashes(ctx: Deps<'_>, ids: &[String]) -> Result<HashMap<String, HashSet<String>>, StoreError> {
    let mut hashes: HashMap<String, HashSet<String>> = HashMap::new();
    for (paper_id, hash) in ctx
        .store
        .summary_hashes(ids, ctx.summarizer.model(), ctx.summarizer.prompt_version())
        .await?
    {
        hashes.entry(paper_id).or_default().insert(hash);
    }
    Ok(hashes)
}

/// Whether a paper's summary is current (see [`split_current`]).
fn is_current(paper: &StoredPaper, pdf: Option<&PdfRow>, hashes: Option<&HashSet<String>>) -> bool {
    let summarized = |hash: &str| hashes.is_some_and(|h| h.contains(hash));
    if let Some(url) = &paper.pdf_url {
        match pdf.filter(|p| &p.url == url) {
            // Never tried: only downloading it tells.
            None => return false,
            Some(p) if p.status == PdfStatus::Text => {
                return p.text_hash.as_deref().is_some_and(summarized);
            }
            // Unusable before, and not tried again without --force: the abstract is used.
            Some(_) => {}
        }
    }
    match text_without_pdf(paper) {
        Some((_, text)) => summarized(&input_hash(&paper.title, &text)),
        None => true,
    }
}

/// The PDF's text: from the PDF kept on an earlier run when the URL is the same, else
/// downloaded. What went wrong (refused, not a PDF, an image-only scan…) is recorded.
async fn pdf_text_of(ctx: Deps<'_>, paper: &StoredPaper, url: &str, force: bool) -> Result<Option<String>, StoreError> {
    let store = ctx.store;
    let vault = ctx.settings.vault.clone();
    let previous = store.pdf_state(&paper.paper_id).await?;
    let kept = previous
        .as_ref()
        .filter(|p| p.url == url && !force)
        .and_then(|p| p.file.clone())
        .map(|f| vault.join(&f))
        .filter(|p| p.is_file());
    if let Some(prev) = previous
        .as_ref()
        .filter(|p| p.url == url && !force && p.status != PdfStatus::Text)
    {
        debug!(paper_id = %paper.paper_id, reason = ?prev.reason, "PDF unusable before; not tried again (--force does)");
        return Ok(None);
    }
    let (path, rel) = match kept {
        Some(path) => {
            let rel = previous.as_ref().and_then(|p| p.file.clone()).unwrap_or_default();
            (path, rel)
        }
        None => match download(ctx, paper, url).await {
            Ok(kept) => kept,
            Err(reason) => {
                record_pdf(ctx, paper, url, PdfStatus::Failed, Some(reason), None, None).await?;
                return Ok(None);
            }
        },
    };
    match extract(ctx, &path).await {
        Ok(extracted) => {
            // What its summary is cached under, so a later run knows it is current
            // without reading the PDF again.
            let hash = input_hash(&paper.title, &extracted.text);
            let row = PdfRow {
                paper_id: paper.paper_id.clone(),
                url: url.to_owned(),
                status: PdfStatus::Text,
                reason: None,
                file: Some(rel),
                pages: Some(extracted.quality.pages as i64),
                chars: Some(extracted.quality.chars as i64),
                text_hash: Some(hash),
                fetched_at: now(),
            };
            store.save_pdf_state(&row).await?;
            Ok(Some(extracted.text))
        }
        Err(rejection) => {
            record_pdf(
                ctx,
                paper,
                url,
                PdfStatus::Rejected,
                Some(rejection.to_string()),
                Some(rel),
                None,
            )
            .await?;
            Ok(None)
        }
    }
}

async fn record_pdf(
    ctx: Deps<'_>,
    paper: &StoredPaper,
    url: &str,
    status: PdfStatus,
    reason: Option<String>,
    file: Option<String>,
    text_hash: Option<String>,
) -> Result<(), StoreError> {
    info!(paper_id = %paper.paper_id, %status, reason = reason.as_deref().unwrap_or(""), "PDF not used");
    ctx.store
        .save_pdf_state(&PdfRow {
            paper_id: paper.paper_id.clone(),
            url: url.to_owned(),
            status,
            reason,
            file,
            pages: None,
            chars: None,
            text_hash,
            fetched_at: now(),
        })
        .await
}

/// Downloads the PDF into the vault; returns (absolute path, vault-relative path).
async fn download(ctx: Deps<'_>, paper: &StoredPaper, url: &str) -> Result<(PathBuf, String), String> {
    let bytes = ctx.pdf_fetcher.fetch(url).await.map_err(|e| e.to_string())?;
    ctx.counters.pdf_downloads.inc();
    let rel = if ctx.settings.pdf.save_pdfs {
        let name =
            NoteName::from_title(&paper.display_title()).with_suffix(&paper.paper_id[..8.min(paper.paper_id.len())]);
        format!("{ATTACHMENTS_DIR}/{name}.pdf")
    } else {
        format!("{PDF_DIR}/{}.pdf", paper.paper_id)
    };
    let vault = Vault::open(&ctx.settings.vault).map_err(|e| e.to_string())?;
    let path = vault
        .path_of(&rel)
        .ok_or_else(|| format!("{rel} is outside the vault"))?;
    let write = {
        let vault = vault.clone();
        let rel = rel.clone();
        tokio::task::spawn_blocking(move || vault.write_bytes(&rel, &bytes))
    };
    write.await.map_err(|e| e.to_string())?.map_err(|e| e.to_string())?;
    Ok((path, rel))
}

/// Extracts a kept PDF's text with the configured extractor.
async fn extract(ctx: Deps<'_>, path: &std::path::Path) -> Result<pdf::Extracted, pdf::Rejection> {
    let limits = pdf::Limits {
        timeout: ctx.settings.pdf.extract_timeout,
        max_memory_bytes: ctx.settings.pdf.extract_memory_bytes,
    };
    match ctx.extractor {
        Extractor::Child(exe) => pdf::extract_isolated(exe, path, &limits).await,
        Extractor::InProcess => {
            let bytes = tokio::fs::read(path)
                .await
                .map_err(|e| pdf::Rejection::Damaged(format!("cannot read the kept PDF: {e}")))?;
            let work = tokio::task::spawn_blocking(move || pdf::extract_blocking(&bytes));
            match tokio::time::timeout(limits.timeout, work).await {
                Ok(Ok(result)) => result,
                Ok(Err(e)) => Err(pdf::Rejection::Crashed(e.to_string())),
                Err(_) => Err(pdf::Rejection::Timeout),
            }
        }
    }
}

/// What a summary is cached under: the hash of the title and the text summarized (the
/// summarizer is given both), the same whether the text is a PDF's, an abstract or a TLDR.
pub fn input_hash(title: &str, text: &str) -> String {
    text_hash(&format!("{title}\n\n{text}"))
}

/// Hex SHA-256 of a text.
pub fn text_hash(text: &str) -> String {
    crate::hex::hex(&Sha256::digest(text.as_bytes()))
}
