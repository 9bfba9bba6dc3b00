//! The Summary region of a paper note: the summary's parts, where its text came from, and
//! what is missing when there is nothing to summarize.

use crate::render::formats::escape::md_inline;
use crate::store::{PdfRow, PdfStatus, StoredPaper, SummaryRow};
use crate::summarize::has_no_text;
use crate::summarize::summary::{Source, Summary};

/// What there is to summarize when a paper has nothing but its title.
pub const NO_TEXT: &str = "_No abstract, TLDR or open-access PDF is available for this paper: only its title is known, so there is nothing to summarize._";

/// The Summary region's lines (escaped Markdown) and the `summary_source` property: the
/// summary's parts — but not S2's TLDR again, which the header shows, nor a TL;DR of its
/// own beside S2's —, where its text came from, why the PDF was not used when it was not,
/// and, for a paper with no text at all, that there is nothing to summarize.
pub fn summary_region(
    paper: &StoredPaper,
    summary: Option<&SummaryRow>,
    pdf: Option<&PdfRow>,
) -> (Vec<String>, Option<String>) {
    let flat = |t: &str| t.split_whitespace().collect::<Vec<_>>().join(" ");
    let s2_tldr = paper.tldr.as_deref().map(flat).filter(|t| !t.is_empty());
    let mut lines = Vec::new();
    let mut source = summary.map(|s| s.source.clone());
    if let Some(row) = summary {
        let parts: Summary = serde_json::from_str(&row.body).unwrap_or_default();
        let shown = |text: &str| !text.trim().is_empty() && s2_tldr.as_deref() != Some(flat(text).as_str());
        let mut quoted = false;
        if s2_tldr.is_none() && shown(&parts.tldr) {
            lines.push("> [!summary] TL;DR".to_owned());
            lines.push(format!("> {}", md_inline(&parts.tldr)));
            lines.push(String::new());
            quoted = true;
        }
        for (label, text) in [
            ("Problem", &parts.problem),
            ("Method", &parts.method),
            ("Results", &parts.results),
            ("Limitations", &parts.limitations),
        ] {
            if shown(text) {
                lines.push(format!("**{label}.** {}", md_inline(text)));
                lines.push(String::new());
                quoted = true;
            }
        }
        let date = chrono::DateTime::from_timestamp(row.created_at, 0)
            .map(|d| d.date_naive().to_string())
            .unwrap_or_default();
        let nothing_new = match (quoted, &s2_tldr) {
            (true, _) => "",
            (false, Some(_)) => ": nothing in it beyond the title and Semantic Scholar's TLDR above",
            (false, None) => ": nothing in it beyond the title",
        };
        lines.push(format!(
            "_Summarized from {} by {} ({}), {date}{nothing_new}._",
            Source::describe(&row.source),
            md_inline(&row.model),
            md_inline(&row.prompt_version)
        ));
    } else if has_no_text(paper, pdf) {
        lines.push(NO_TEXT.to_owned());
        source = Some("title".to_owned());
    }
    if let Some(pdf) = pdf.filter(|p| p.status != PdfStatus::Text)
        && let Some(reason) = &pdf.reason
    {
        lines.push(format!("_The open-access PDF was not used: {}._", md_inline(reason)));
    }
    (lines, source)
}
