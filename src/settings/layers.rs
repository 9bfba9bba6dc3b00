//! The file and environment layers: both walk their input and apply each value through
//! the key table (`keys.rs`), so neither knows any key by name.

use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;

use serde::Deserialize;
use toml::de::{DeTable, DeValue, ValueDeserializer};

use super::keys::{self, Key};
use super::value::Raw;
use super::{Settings, SettingsError};

/// Applies `refnet.toml` (its text, and its path for messages). Unknown keys are refused,
/// so a typo never goes unnoticed. The file is read as a `DeTable` rather than a
/// `toml::Table` because it keeps where each key was written, for the line in messages.
pub(super) fn apply_file(settings: &mut Settings, text: &str, path: &Path) -> Result<(), SettingsError> {
    let file = File { text, path };
    let doc = DeTable::parse(text).map_err(|e| file.error(e.span(), e.message(), true))?;
    file.walk(settings, doc.get_ref(), "")
}

/// Applies every key that has a variable set (an empty one counts as unset).
pub(super) fn apply_env(settings: &mut Settings, env: &HashMap<String, String>) -> Result<(), SettingsError> {
    for key in keys::all() {
        let set = key
            .env
            .iter()
            .find_map(|name| env.get(*name).filter(|v| !v.trim().is_empty()).map(|v| (name, v)));
        let Some((name, value)) = set else { continue };
        if key.apply(settings, Raw::Env(value)).is_none() {
            let given = if key.quotable {
                format!("{name}={value:?}")
            } else {
                (*name).to_owned()
            };
            return Err(SettingsError(format!(
                "{given} is not valid: expected {}",
                key.expected
            )));
        }
    }
    Ok(())
}

struct File<'a> {
    text: &'a str,
    path: &'a Path,
}

impl File<'_> {
    /// Applies the leaves of `table`, whose own path is `prefix`, in the order they are written.
    fn walk(&self, settings: &mut Settings, table: &DeTable<'_>, prefix: &str) -> Result<(), SettingsError> {
        let mut entries: Vec<_> = table.iter().collect();
        entries.sort_by_key(|(name, _)| name.span().start);
        for (name, value) in entries {
            let path = match prefix {
                "" => name.get_ref().to_string(),
                _ => format!("{prefix}.{}", name.get_ref()),
            };
            match (value.get_ref(), keys::find(&path)) {
                (DeValue::Table(inner), _) if keys::is_table(&path) => self.walk(settings, inner, &path)?,
                (_, Some(key)) => self.apply(settings, key, value.clone())?,
                (_, None) if keys::is_table(&path) => {
                    let what = format!("`{path}` must be a table: write its keys under [{path}]");
                    return Err(self.error(Some(name.span()), &what, true));
                }
                (_, None) => return Err(self.error(Some(name.span()), &format!("unknown key `{path}`"), true)),
            }
        }
        Ok(())
    }

    fn apply(
        &self,
        settings: &mut Settings,
        key: &Key,
        value: toml::Spanned<DeValue<'_>>,
    ) -> Result<(), SettingsError> {
        let span = value.span();
        let is_table = matches!(value.get_ref(), DeValue::Table(_));
        let value = toml::Value::deserialize(ValueDeserializer::from(value)).ok();
        match value.and_then(|v| key.apply(settings, Raw::File(&v))) {
            Some(()) => Ok(()),
            None => {
                // Quote what was written when it is short and no secret; the line says where.
                let written = self
                    .text
                    .get(span.clone())
                    .filter(|w| key.quotable && !is_table && w.len() <= 80 && !w.contains('\n'));
                let given = written.map_or_else(|| key.path.to_owned(), |w| format!("{} = {w}", key.path));
                let what = format!("{given} is not valid: expected {}", key.expected);
                Err(self.error(Some(span), &what, false))
            }
        }
    }

    /// One line naming the file, the line and what is wrong.
    fn error(&self, span: Option<Range<usize>>, what: &str, see_example: bool) -> SettingsError {
        let line = span
            .map(|span| {
                self.text.as_bytes()[..span.start.min(self.text.len())]
                    .iter()
                    .filter(|b| **b == b'\n')
                    .count()
                    + 1
            })
            .map(|n| format!(" (line {n})"))
            .unwrap_or_default();
        let what = what.trim().replace('\n', "; ");
        let hint = if see_example {
            "; see refnet.example.toml for the keys"
        } else {
            ""
        };
        SettingsError(format!("config file {}{line}: {what}{hint}", self.path.display()))
    }
}
