//! Seeds from a reference library: a BibTeX/BibLaTeX, CSL-JSON or RIS export (Zotero,
//! Better BibTeX, Mendeley, Google Scholar…) → its entries, each with the paper ids
//! found in it, best first.
//!
//! Pure parsing of text the caller has read: [`parse`] detects the format from the
//! content, reads every entry, and keeps the ones without any id as unresolvable (the
//! caller reports them by name). A file that is not a library, is broken, is empty, or
//! has no usable id at all is a [`LibraryError`] naming the file and the line.
//!
//! - `detect`: which format the text is in.
//! - `bibtex`, `latex`: BibTeX entries, and their LaTeX values as plain text.
//! - `csl`, `ris`: CSL-JSON items and RIS records.
//! - `found`: the ids in an entry's fields, best first.

mod bibtex;
mod csl;
mod detect;
mod found;
mod latex;
mod ris;

use std::fmt;

use crate::ids::PaperId;

/// The formats a library can be in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// BibTeX or BibLaTeX (`.bib`).
    Bibtex,
    /// CSL-JSON: a JSON array of items (`.json`).
    CslJson,
    /// RIS (`.ris`).
    Ris,
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Bibtex => "BibTeX",
            Self::CslJson => "CSL-JSON",
            Self::Ris => "RIS",
        })
    }
}

/// One entry of a library.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LibraryEntry {
    /// The line the entry starts on (1-based).
    pub line: usize,
    /// How to name it to the user: its citekey (or CSL/RIS id), else its title, else
    /// "entry N".
    pub name: String,
    /// Its title as plain text, if it has one.
    pub title: Option<String>,
    /// The ids found in it, best first (DOI, arXiv, PMID, PMCID, Semantic Scholar,
    /// OpenAlex, other links); empty when it has none (unresolvable).
    pub ids: Vec<PaperId>,
}

impl LibraryEntry {
    /// The id to look the entry up by, if it has any.
    pub fn best_id(&self) -> Option<&PaperId> {
        self.ids.first()
    }
}

/// A parsed library.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Library {
    /// The format it was in.
    pub format: Format,
    /// Its entries in file order, with or without ids.
    pub entries: Vec<LibraryEntry>,
}

impl Library {
    /// Entries with at least one id.
    pub fn resolvable(&self) -> impl Iterator<Item = &LibraryEntry> {
        self.entries.iter().filter(|e| !e.ids.is_empty())
    }

    /// Entries without any id, to report by name.
    pub fn unresolvable(&self) -> impl Iterator<Item = &LibraryEntry> {
        self.entries.iter().filter(|e| e.ids.is_empty())
    }
}

/// Why a library cannot be used. Each message is one line naming the file (and the line
/// where there is one) and what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LibraryError {
    /// Not BibTeX, CSL-JSON or RIS.
    #[error(
        "{file}:{line}: not a BibTeX, CSL-JSON or RIS library (found {found}): export it from your reference manager in one of those formats"
    )]
    UnknownFormat {
        /// The file as named by the caller.
        file: String,
        /// The line of what was found.
        line: usize,
        /// What was found instead.
        found: String,
    },
    /// Broken syntax.
    #[error("{file}:{line}: {format} syntax error: {message}")]
    Syntax {
        /// The file.
        file: String,
        /// Its format.
        format: Format,
        /// Where the error is.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// No entry at all.
    #[error("{file}: no entries in this {format} file ({lines} lines): export at least one item")]
    Empty {
        /// The file.
        file: String,
        /// Its format.
        format: Format,
        /// Its length in lines.
        lines: usize,
    },
    /// Entries, but none with an id.
    #[error(
        "{file}: none of its {count} entries has a DOI, arXiv id, PMID, PMCID or link ({examples}): export the library with those fields"
    )]
    NoIds {
        /// The file.
        file: String,
        /// How many entries it has.
        count: usize,
        /// A few of them, with their lines.
        examples: String,
    },
}

/// A syntax error as a format's reader reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct SyntaxError {
    line: usize,
    message: String,
}

/// An entry as a format's reader produces it, before its ids are collected.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct RawEntry {
    line: usize,
    key: Option<String>,
    title: Option<String>,
    fields: Vec<(found::Field, String)>,
}

/// How many entries an error names.
const EXAMPLES: usize = 3;

/// Parses a library's text; `file` names it in errors.
pub fn parse(file: &str, text: &str) -> Result<Library, LibraryError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let format = detect::detect(text).map_err(|(line, found)| LibraryError::UnknownFormat {
        file: file.to_owned(),
        line,
        found,
    })?;
    let raw = match format {
        Format::Bibtex => bibtex::entries(text),
        Format::CslJson => csl::entries(text),
        Format::Ris => ris::entries(text),
    }
    .map_err(|e| LibraryError::Syntax {
        file: file.to_owned(),
        format,
        line: e.line,
        message: e.message,
    })?;
    if raw.is_empty() {
        return Err(LibraryError::Empty {
            file: file.to_owned(),
            format,
            lines: text.lines().count(),
        });
    }
    let entries: Vec<LibraryEntry> = raw.into_iter().enumerate().map(|(i, r)| finish(i, r)).collect();
    if entries.iter().all(|e| e.ids.is_empty()) {
        let mut examples: Vec<String> = entries
            .iter()
            .take(EXAMPLES)
            .map(|e| format!("{} (line {})", e.name, e.line))
            .collect();
        if entries.len() > EXAMPLES {
            examples.push("…".to_owned());
        }
        return Err(LibraryError::NoIds {
            file: file.to_owned(),
            count: entries.len(),
            examples: examples.join(", "),
        });
    }
    Ok(Library { format, entries })
}

/// An entry with its ids collected and a name to show.
fn finish(index: usize, raw: RawEntry) -> LibraryEntry {
    let title = raw.title.map(|t| collapse(&t)).filter(|t| !t.is_empty());
    let key = raw.key.map(|k| collapse(&k)).filter(|k| !k.is_empty());
    let name = key
        .or_else(|| title.clone())
        .unwrap_or_else(|| format!("entry {}", index + 1));
    LibraryEntry {
        line: raw.line,
        name,
        title,
        ids: found::ids(&raw.fields),
    }
}

/// Whitespace runs as one space, trimmed.
fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests;
