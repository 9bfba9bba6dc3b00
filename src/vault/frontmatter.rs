//! Frontmatter values as refnet writes them: every string a JSON-style double-quoted YAML
//! scalar on one line (valid YAML whatever the text), numbers as numbers, lists as block
//! lists, and nothing Templater would execute.

/// A YAML double-quoted scalar that parses back to exactly `s`, on one line.
///
/// JSON string syntax is valid YAML; on top of it, characters YAML treats as line breaks
/// or forbids unescaped (C1 controls, U+2028/9, BOM) are `\u` escaped, and so is the `%`
/// of `<%`, so the file text never holds a Templater tag while the value is unchanged.
pub fn yaml_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    push_yaml_str(&mut out, s);
    out
}

/// [`yaml_str`] appended to `out`.
pub fn push_yaml_str(out: &mut String, s: &str) {
    out.push('"');
    // Most text needs no escape: its leading run of plain ASCII is copied at once (a
    // paper note has dozens of these values, and 100,000 notes are made at a time).
    let plain = s
        .bytes()
        .position(|b| !(0x20..0x7f).contains(&b) || matches!(b, b'"' | b'\\' | b'%'))
        .unwrap_or(s.len());
    out.push_str(&s[..plain]);
    let mut prev = s[..plain].chars().next_back().unwrap_or('\0');
    for c in s[plain..].chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '%' if prev == '<' => out.push_str("\\u0025"),
            c if needs_unicode_escape(c) => {
                for unit in c.encode_utf16(&mut [0u16; 2]) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
            c => out.push(c),
        }
        prev = c;
    }
    out.push('"');
}

fn needs_unicode_escape(c: char) -> bool {
    c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}')
}

/// Frontmatter builder: one entry per key, every string a quoted YAML scalar.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FrontmatterBuilder {
    entries: Vec<(String, String)>,
}

impl FrontmatterBuilder {
    /// A text property (omitted when `None` or empty).
    pub fn text(&mut self, key: &str, value: Option<&str>) -> &mut Self {
        if let Some(v) = value.filter(|v| !v.is_empty()) {
            self.quoted(key, v);
        }
        self
    }

    /// `key: "value"`, the value quoted.
    fn quoted(&mut self, key: &str, value: &str) {
        let mut entry = String::with_capacity(key.len() + value.len() + 5);
        entry.push_str(key);
        entry.push_str(": ");
        push_yaml_str(&mut entry, value);
        entry.push('\n');
        self.entries.push((key.to_owned(), entry));
    }

    /// A text property that is always present (empty, i.e. null, when unknown), so
    /// queries over the vault find the key on every note.
    pub fn text_or_null(&mut self, key: &str, value: Option<&str>) -> &mut Self {
        match value.filter(|v| !v.is_empty()) {
            Some(v) => self.quoted(key, v),
            None => self.entries.push((key.to_owned(), format!("{key}:\n"))),
        }
        self
    }

    /// A number property that is always present (null when unknown).
    pub fn number_or_null(&mut self, key: &str, value: Option<i64>) -> &mut Self {
        match value {
            Some(v) => self.entries.push((key.to_owned(), format!("{key}: {v}\n"))),
            None => self.entries.push((key.to_owned(), format!("{key}:\n"))),
        }
        self
    }

    /// A list property that is always present (`[]` when empty).
    pub fn list_or_empty(&mut self, key: &str, values: &[String]) -> &mut Self {
        if values.is_empty() {
            self.entries.push((key.to_owned(), format!("{key}: []\n")));
        } else {
            self.list(key, values);
        }
        self
    }

    /// A checkbox property, always present.
    pub fn boolean(&mut self, key: &str, value: bool) -> &mut Self {
        self.entries.push((key.to_owned(), format!("{key}: {value}\n")));
        self
    }

    /// A decimal number property (omitted when `None` or not finite), with at most
    /// `places` decimals and no trailing zeros, so it reads the same on every render.
    pub fn decimal(&mut self, key: &str, value: Option<f64>, places: usize) -> &mut Self {
        if let Some(v) = value.filter(|v| v.is_finite()) {
            let text = format!("{v:.places$}");
            let text = if text.contains('.') {
                text.trim_end_matches('0').trim_end_matches('.').to_owned()
            } else {
                text
            };
            let text = if text == "-0" { "0".to_owned() } else { text };
            self.entries.push((key.to_owned(), format!("{key}: {text}\n")));
        }
        self
    }

    /// A number property (omitted when `None`).
    pub fn number(&mut self, key: &str, value: Option<i64>) -> &mut Self {
        if let Some(v) = value {
            self.entries.push((key.to_owned(), format!("{key}: {v}\n")));
        }
        self
    }

    /// A date property, only when `value` is a valid `YYYY-MM-DD`.
    pub fn date(&mut self, key: &str, value: Option<&str>) -> &mut Self {
        if let Some(v) = value.filter(|v| chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d").is_ok()) {
            self.entries.push((key.to_owned(), format!("{key}: {v}\n")));
        }
        self
    }

    /// A list property (omitted when empty).
    pub fn list(&mut self, key: &str, values: &[String]) -> &mut Self {
        if !values.is_empty() {
            let mut entry = String::with_capacity(key.len() + 2 + values.iter().map(|v| v.len() + 7).sum::<usize>());
            entry.push_str(key);
            entry.push_str(":\n");
            for v in values {
                entry.push_str("  - ");
                push_yaml_str(&mut entry, v);
                entry.push('\n');
            }
            self.entries.push((key.to_owned(), entry));
        }
        self
    }

    /// The entries.
    pub fn build(self) -> Vec<(String, String)> {
        self.entries
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn yaml_roundtrip(s: &str) -> String {
        let doc = format!("k: {}\n", yaml_str(s));
        let map: std::collections::BTreeMap<String, String> =
            serde_yaml::from_str(&doc).unwrap_or_else(|e| panic!("{doc:?}: {e}"));
        map["k"].clone()
    }

    #[test]
    fn hostile_titles_survive_yaml() {
        for s in [
            "Attention: Is All You Need",
            "\"quoted\" and 'single'",
            "a\nb\r\nc\td",
            "<% tp.file.title %>",
            "- item # not a comment",
            "[[Link]] and {flow: map}",
            "line\u{2028}sep\u{85}nel\u{feff}",
            "yes",
            "~",
            "",
            "🙂 emoji",
        ] {
            assert_eq!(yaml_roundtrip(s), s);
            assert!(!yaml_str(s).contains("<%"), "{s}");
            assert!(!yaml_str(s).contains('\n'), "{s}");
        }
    }

    proptest! {
        #[test]
        fn any_string_roundtrips_through_yaml(s in any::<String>()) {
            prop_assert_eq!(yaml_roundtrip(&s), s.clone());
            prop_assert!(!yaml_str(&s).contains("<%"));
        }
    }
}
