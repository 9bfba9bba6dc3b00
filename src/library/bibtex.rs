//! BibTeX and BibLaTeX entries (Zotero, Better BibTeX, Mendeley, Google Scholar exports):
//! `@type{key, name = {value} | "value" | 123 | macro # …, …}` with nested braces,
//! `(`…`)` delimiters, `@string` macros resolved, `@comment`/`@preamble` skipped, and
//! `%` comments between entries and fields.

use std::collections::HashMap;

use super::found::Field;
use super::{RawEntry, SyntaxError, latex};

/// The entries of a BibTeX file.
pub(super) fn entries(text: &str) -> Result<Vec<RawEntry>, SyntaxError> {
    let mut parser = Parser {
        chars: text.chars().collect(),
        pos: 0,
        line: 1,
        macros: HashMap::new(),
    };
    parser.file()
}

/// An entry's fields as read: (lower-case name, value as written without its
/// delimiters).
type Fields = Vec<(String, String)>;

struct Parser {
    chars: Vec<char>,
    pos: usize,
    line: usize,
    macros: HashMap<String, String>,
}

impl Parser {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += 1;
        if c == '\n' {
            self.line += 1;
        }
        Some(c)
    }

    fn error<T>(&self, line: usize, message: impl Into<String>) -> Result<T, SyntaxError> {
        Err(SyntaxError {
            line,
            message: message.into(),
        })
    }

    /// Skips to the end of the line.
    fn skip_line(&mut self) {
        while let Some(c) = self.bump() {
            if c == '\n' {
                break;
            }
        }
    }

    /// Skips whitespace and `%` comments.
    fn skip_blank(&mut self) {
        while let Some(c) = self.peek() {
            if c.is_whitespace() {
                self.bump();
            } else if c == '%' {
                self.skip_line();
            } else {
                break;
            }
        }
    }

    /// A name: letters, digits and the punctuation BibTeX allows in names and keys.
    fn name(&mut self) -> String {
        let mut out = String::new();
        while let Some(c) = self.peek() {
            if c.is_whitespace() || "{}(),=#%\"@".contains(c) {
                break;
            }
            out.push(c);
            self.bump();
        }
        out
    }

    /// The whole file: everything outside entries is a comment.
    fn file(&mut self) -> Result<Vec<RawEntry>, SyntaxError> {
        let mut out = Vec::new();
        while let Some(c) = self.peek() {
            match c {
                '%' => self.skip_line(),
                '@' => {
                    let line = self.line;
                    self.bump();
                    self.skip_blank();
                    let kind = self.name().to_ascii_lowercase();
                    self.skip_blank();
                    let close = match self.peek() {
                        Some('{') => '}',
                        Some('(') => ')',
                        // An `@` in free text, not an entry.
                        _ => continue,
                    };
                    self.bump();
                    match kind.as_str() {
                        "comment" | "preamble" => self.skip_group(close, line, &kind)?,
                        "string" => self.string(close, line)?,
                        "" => return self.error(line, "an entry without a type: write @article{key, …}"),
                        _ => out.push(self.entry(close, line, &kind)?),
                    }
                }
                _ => {
                    self.bump();
                }
            }
        }
        Ok(out)
    }

    /// Skips an `@comment` or `@preamble` body up to its closing delimiter.
    fn skip_group(&mut self, close: char, line: usize, kind: &str) -> Result<(), SyntaxError> {
        let mut depth = 0usize;
        while let Some(c) = self.bump() {
            match c {
                '{' => depth += 1,
                '}' if depth > 0 => depth -= 1,
                c if c == close && depth == 0 => return Ok(()),
                _ => {}
            }
        }
        self.error(line, format!("@{kind} is not closed: a {close:?} is missing"))
    }

    /// `@string{name = value}`: remembers the macro.
    fn string(&mut self, close: char, line: usize) -> Result<(), SyntaxError> {
        let fields = self.fields(close, line, "@string")?;
        self.macros.extend(fields);
        Ok(())
    }

    /// An entry after its opening delimiter.
    fn entry(&mut self, close: char, line: usize, kind: &str) -> Result<RawEntry, SyntaxError> {
        self.skip_blank();
        let key = self.name();
        self.skip_blank();
        let fields = match self.peek() {
            Some(',') => {
                self.bump();
                self.fields(close, line, &format!("entry {key:?}"))?
            }
            Some(c) if c == close => {
                self.bump();
                Vec::new()
            }
            Some(c) => {
                return self.error(
                    self.line,
                    format!("@{kind} entry {key:?}: expected ',' after the key, found {c:?}"),
                );
            }
            None => return self.error(line, format!("@{kind} entry {key:?} is not closed")),
        };
        Ok(raw(line, key, &fields))
    }

    /// `name = value, …` up to the closing delimiter (a trailing comma is fine).
    fn fields(&mut self, close: char, line: usize, what: &str) -> Result<Fields, SyntaxError> {
        let mut fields = Vec::new();
        loop {
            self.skip_blank();
            match self.peek() {
                None => return self.error(line, format!("{what} is not closed: a {close:?} is missing")),
                Some(c) if c == close => {
                    self.bump();
                    return Ok(fields);
                }
                _ => {}
            }
            let at = self.line;
            let name = self.name().to_ascii_lowercase();
            if name.is_empty() {
                let found = self.peek().map(|c| format!("{c:?}")).unwrap_or_default();
                return self.error(at, format!("{what}: expected a field name, found {found}"));
            }
            self.skip_blank();
            if self.peek() != Some('=') {
                return self.error(self.line, format!("{what}: expected '=' after field {name:?}"));
            }
            self.bump();
            let value = self.value(&name, what)?;
            self.skip_blank();
            match self.peek() {
                Some(',') => {
                    self.bump();
                }
                Some(c) if c == close => {}
                None => return self.error(line, format!("{what} is not closed: a {close:?} is missing")),
                // A brace closed too early or too late ends the entry's fields early.
                Some('@') if self.starts_entry_here() => {
                    return self.error(
                        at,
                        format!(
                            "{what} is not closed before the next entry (line {}): check the braces of field {name:?}",
                            self.line
                        ),
                    );
                }
                Some(c) => {
                    return self.error(
                        self.line,
                        format!("{what}: expected ',' or {close:?} after field {name:?}, found {c:?}"),
                    );
                }
            }
            fields.push((name, value));
        }
    }

    /// A value: parts joined by `#`.
    fn value(&mut self, field: &str, what: &str) -> Result<String, SyntaxError> {
        let mut out = String::new();
        loop {
            self.skip_blank();
            let at = self.line;
            match self.peek() {
                Some('{') => {
                    self.bump();
                    out.push_str(&self.delimited('}', field, what, at)?);
                }
                Some('"') => {
                    self.bump();
                    out.push_str(&self.delimited('"', field, what, at)?);
                }
                Some(c) if c.is_alphanumeric() => {
                    let word = self.name();
                    let known = self.macros.get(&word.to_ascii_lowercase()).cloned();
                    out.push_str(&known.unwrap_or(word));
                }
                _ => return self.error(at, format!("{what}: field {field:?} has no value")),
            }
            self.skip_blank();
            if self.peek() != Some('#') {
                return Ok(out);
            }
            self.bump();
        }
    }

    /// The text up to `end` at brace depth 0 (after an opening `{` or `"`). A line that
    /// starts a new entry inside it means a brace was never closed.
    fn delimited(&mut self, end: char, field: &str, what: &str, at: usize) -> Result<String, SyntaxError> {
        let mut out = String::new();
        let mut depth = 0usize;
        let unclosed = |parser: &Self| {
            parser.error(
                at,
                format!("{what}: field {field:?} opens a brace on line {at} that is never closed"),
            )
        };
        while let Some(c) = self.bump() {
            match c {
                '{' => depth += 1,
                '}' if depth > 0 => depth -= 1,
                c if c == end && depth == 0 => return Ok(out),
                '}' => {
                    return self.error(
                        self.line,
                        format!("{what}: field {field:?} has a '}}' without a matching '{{'"),
                    );
                }
                '\n' if self.starts_entry() => return unclosed(self),
                _ => {}
            }
            out.push(c);
        }
        unclosed(self)
    }

    /// Whether the next line starts with `@type{` (called after a line break).
    fn starts_entry(&self) -> bool {
        let rest: String = self.chars[self.pos..].iter().take(40).collect();
        starts_entry(rest.trim_start_matches([' ', '\t']))
    }

    /// Whether `@type{` starts here.
    fn starts_entry_here(&self) -> bool {
        starts_entry(&self.chars[self.pos..].iter().take(40).collect::<String>())
    }
}

/// Whether `text` starts with `@type{` or `@type(`.
pub(super) fn starts_entry(text: &str) -> bool {
    let Some(after) = text.strip_prefix('@') else {
        return false;
    };
    let kind = after.bytes().take_while(u8::is_ascii_alphabetic).count();
    kind > 0 && after[kind..].trim_start().starts_with(['{', '('])
}

/// The entry as the library module takes it: key, plain title, id-bearing fields.
fn raw(line: usize, key: String, fields: &Fields) -> RawEntry {
    let get = |name: &str| fields.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
    let eprint_kind = get("eprinttype")
        .or(get("archiveprefix"))
        .map(|k| latex::plain(k).to_ascii_lowercase());
    let mut tagged = Vec::new();
    for (name, value) in fields {
        let field = match name.as_str() {
            "doi" => Field::Doi,
            "eprint" => match eprint_kind.as_deref() {
                None | Some("arxiv") => Field::Arxiv,
                Some("pubmed") => Field::Pmid,
                Some("pmc" | "pubmedcentral") => Field::Pmcid,
                Some(_) => continue,
            },
            "arxiv" | "arxivid" | "arxiv_id" => Field::Arxiv,
            "pmid" => Field::Pmid,
            "pmcid" => Field::Pmcid,
            "url" => Field::Url,
            "note" | "annote" | "annotation" | "extra" | "howpublished" | "journal" | "journaltitle" | "number" => {
                Field::Text
            }
            _ => continue,
        };
        tagged.push((field, unescape(value)));
    }
    RawEntry {
        line,
        key: Some(key),
        title: get("title").map(latex::plain),
        fields: tagged,
    }
}

/// A verbatim-ish value (DOI, URL, eprint) without the TeX escapes exporters add
/// (`10.1000/a\_b`, `{https://…}`).
fn unescape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek().is_some_and(|n| "_%&#${}~".contains(*n)) => {}
            '{' | '}' => {}
            c => out.push(c),
        }
    }
    out
}
