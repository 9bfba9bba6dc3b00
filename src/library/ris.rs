//! RIS records (Zotero, Mendeley, EndNote, database exports): `TAG  - value` lines from
//! `TY  - ` to `ER  - `. Ids come from `DO` (DOI), `UR` (links), `AN` (accession number,
//! where Zotero writes `arXiv:…`) and `N1` (notes); the title from `TI`/`T1`, the name
//! from `ID` when there is one.

use super::found::Field;
use super::{RawEntry, SyntaxError};

/// The records of a RIS file.
pub(super) fn entries(text: &str) -> Result<Vec<RawEntry>, SyntaxError> {
    let mut out = Vec::new();
    let mut current: Option<Record> = None;
    for (i, raw_line) in text.lines().enumerate() {
        let line = i + 1;
        let text_line = raw_line.trim_end_matches('\r');
        match tag_line(text_line) {
            Some(("TY", _)) => {
                // A record left without its `ER` ends where the next one starts.
                out.extend(current.take().map(Record::finish));
                current = Some(Record::new(line));
            }
            Some(("ER", _)) => out.extend(current.take().map(Record::finish)),
            Some((tag, value)) => match current.as_mut() {
                Some(record) => record.tags.push((tag.to_owned(), value.to_owned())),
                None => {
                    return Err(SyntaxError {
                        line,
                        message: format!("tag {tag} is outside a record: every record starts with \"TY  - \""),
                    });
                }
            },
            // A wrapped value continues on the next line; text between records (a
            // database's header) is not part of any record.
            None => {
                if let Some((_, value)) = current.as_mut().and_then(|r| r.tags.last_mut())
                    && !text_line.trim().is_empty()
                {
                    value.push(' ');
                    value.push_str(text_line.trim());
                }
            }
        }
    }
    out.extend(current.map(Record::finish));
    Ok(out)
}

/// `TAG  - value` (the space after the dash is missing on empty values in some exports).
fn tag_line(line: &str) -> Option<(&str, &str)> {
    let tag = line.get(..2)?;
    let rest = line.get(2..)?.strip_prefix("  -")?;
    let valid = tag.starts_with(|c: char| c.is_ascii_uppercase())
        && tag.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
    valid.then(|| (tag, rest.strip_prefix(' ').unwrap_or(rest).trim()))
}

/// A record being read.
struct Record {
    line: usize,
    tags: Vec<(String, String)>,
}

impl Record {
    fn new(line: usize) -> Self {
        Self { line, tags: Vec::new() }
    }

    fn get(&self, tag: &str) -> Option<&str> {
        self.tags
            .iter()
            .find(|(t, v)| t == tag && !v.is_empty())
            .map(|(_, v)| v.as_str())
    }

    fn finish(self) -> RawEntry {
        let mut fields = Vec::new();
        for (tag, value) in &self.tags {
            let field = match tag.as_str() {
                "DO" => Field::Doi,
                "UR" => Field::Url,
                "AN" | "M1" | "M3" => Field::Any,
                "N1" => Field::Text,
                _ => continue,
            };
            fields.push((field, value.clone()));
        }
        RawEntry {
            line: self.line,
            key: self.get("ID").map(str::to_owned),
            title: self.get("TI").or_else(|| self.get("T1")).map(str::to_owned),
            fields,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::tag_line;

    #[test]
    fn tag_lines_need_two_spaces_and_a_dash() {
        assert_eq!(tag_line("TY  - JOUR"), Some(("TY", "JOUR")));
        assert_eq!(tag_line("ER  -"), Some(("ER", "")));
        assert_eq!(tag_line("T1  - A title  "), Some(("T1", "A title")));
        assert_eq!(tag_line("TY - JOUR"), None);
        assert_eq!(tag_line("ty  - JOUR"), None);
        assert_eq!(tag_line("1Y  - x"), None);
        assert_eq!(tag_line("é"), None);
    }
}
