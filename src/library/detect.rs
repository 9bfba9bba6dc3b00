//! Which format a library's text is in, from its content: JSON is CSL-JSON, a `TY  - `
//! line is RIS, an `@type{` line is BibTeX. Anything else is described for the error.

use super::Format;

/// How many non-blank lines are looked at for a RIS start (some databases write a few
/// header lines first).
const RIS_LOOKAHEAD: usize = 50;

/// The format of `text`, or (line, what was found) when it is none of them.
pub(super) fn detect(text: &str) -> Result<Format, (usize, String)> {
    let Some((first_line, first)) = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .find(|(_, l)| !l.is_empty())
    else {
        return Err((1, "an empty file".to_owned()));
    };
    if first.starts_with(['[', '{']) {
        return Ok(Format::CslJson);
    }
    let non_blank = text.lines().map(str::trim_start).filter(|l| !l.is_empty());
    if non_blank.take(RIS_LOOKAHEAD).any(is_ris_start) {
        return Ok(Format::Ris);
    }
    if text.lines().any(|l| super::bibtex::starts_entry(l.trim_start())) {
        return Ok(Format::Bibtex);
    }
    Err((first_line, describe(first)))
}

/// `TY  - JOUR`.
fn is_ris_start(line: &str) -> bool {
    line.strip_prefix("TY  -").is_some()
}

/// What a line that starts no known format looks like, for the error.
fn describe(line: &str) -> String {
    let lower = line.to_ascii_lowercase();
    if line.contains('\0') || line.chars().any(|c| c == '\u{fffd}') {
        return "binary data".to_owned();
    }
    if line.starts_with("%PDF") {
        return "a PDF".to_owned();
    }
    if lower.starts_with("<!doctype html") || lower.starts_with("<html") {
        return "an HTML page".to_owned();
    }
    if lower.starts_with("<?xml") || lower.starts_with("<xml") {
        return "XML (EndNote XML is not supported; export RIS)".to_owned();
    }
    if lower.starts_with("pmid-") {
        return "MEDLINE/nbib (export RIS from PubMed's citation manager)".to_owned();
    }
    let shown: String = line.chars().take(60).collect();
    let more = if line.chars().count() > 60 { "…" } else { "" };
    format!("{:?}", format!("{shown}{more}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_format_is_told_by_its_content() {
        assert_eq!(detect("  [ {\"id\": \"a\"} ]"), Ok(Format::CslJson));
        assert_eq!(detect("\n{\"id\": \"a\"}"), Ok(Format::CslJson));
        assert_eq!(detect("Provider: JSTOR\n\nTY  - JOUR\nER  - \n"), Ok(Format::Ris));
        assert_eq!(detect("% a comment\n@Article{key,\n}\n"), Ok(Format::Bibtex));
        assert_eq!(detect("text\n  @misc (key)\n"), Ok(Format::Bibtex));
    }

    #[test]
    fn other_content_is_described_with_its_line() {
        assert_eq!(detect(""), Err((1, "an empty file".to_owned())));
        assert_eq!(
            detect("\n\n<!DOCTYPE html>\n<html>"),
            Err((3, "an HTML page".to_owned()))
        );
        assert_eq!(detect("%PDF-1.7\n"), Err((1, "a PDF".to_owned())));
        let (line, found) = detect("\nAttention Is All You Need\n").expect_err("plain text");
        assert_eq!((line, found.as_str()), (2, "\"Attention Is All You Need\""));
        assert!(detect("<?xml version=\"1.0\"?>").is_err_and(|(_, f)| f.contains("EndNote")));
        assert!(detect("PMID- 123\n").is_err_and(|(_, f)| f.contains("nbib")));
        assert!(detect("an email a@b.org {x}\n").is_err());
    }
}
