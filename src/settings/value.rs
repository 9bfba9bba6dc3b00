//! Reading one value, from an environment variable's text or from a `refnet.toml` value.
//!
//! Each type a key can hold says how it reads both; units (seconds, megabytes) are the
//! keys' business, in `keys.rs`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use url::Url;

use super::AuthorNotes;
use crate::secret::Secret;

/// A value as it was given.
#[derive(Debug, Clone, Copy)]
pub(super) enum Raw<'a> {
    /// An environment variable (never empty: an empty variable counts as unset).
    Env(&'a str),
    /// A leaf of `refnet.toml`.
    File(&'a toml::Value),
}

/// A type a key can hold.
pub(super) trait Setting: Sized {
    /// Whether an error may quote the value (a secret's never is).
    const QUOTABLE: bool = true;

    /// Reads an environment variable's text; `None` = not valid.
    fn from_env(text: &str) -> Option<Self>;

    /// Reads a `refnet.toml` value; by default a TOML string, read like the env text.
    fn from_file(value: &toml::Value) -> Option<Self> {
        value.as_str().and_then(Self::from_env)
    }

    /// Reads either.
    fn read(raw: Raw<'_>) -> Option<Self> {
        match raw {
            Raw::Env(text) => Self::from_env(text),
            Raw::File(value) => Self::from_file(value),
        }
    }
}

macro_rules! whole_numbers {
    ($($t:ty),*) => {$(
        impl Setting for $t {
            fn from_env(text: &str) -> Option<Self> {
                text.trim().parse().ok()
            }
            fn from_file(value: &toml::Value) -> Option<Self> {
                value.as_integer().and_then(|n| n.try_into().ok())
            }
        }
    )*};
}

whole_numbers!(u32, u64, usize);

impl Setting for f64 {
    fn from_env(text: &str) -> Option<Self> {
        text.trim().parse().ok()
    }
    fn from_file(value: &toml::Value) -> Option<Self> {
        value.as_float().or_else(|| value.as_integer().map(|n| n as f64))
    }
}

impl Setting for bool {
    fn from_env(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" | "on" => Some(true),
            "0" | "false" | "no" | "off" => Some(false),
            _ => None,
        }
    }
    fn from_file(value: &toml::Value) -> Option<Self> {
        value.as_bool()
    }
}

impl Setting for String {
    fn from_env(text: &str) -> Option<Self> {
        Some(text.trim().to_owned())
    }
}

impl Setting for PathBuf {
    fn from_env(text: &str) -> Option<Self> {
        Some(PathBuf::from(text))
    }
}

impl Setting for Secret {
    const QUOTABLE: bool = false;

    fn from_env(text: &str) -> Option<Self> {
        Some(Secret::new(text.trim()))
    }
}

/// Only `http` and `https`: every URL refnet is given is an API it calls.
impl Setting for Url {
    fn from_env(text: &str) -> Option<Self> {
        Url::parse(text.trim())
            .ok()
            .filter(|url| matches!(url.scheme(), "http" | "https"))
    }
}

impl Setting for SocketAddr {
    fn from_env(text: &str) -> Option<Self> {
        text.trim().parse().ok()
    }
}

impl Setting for AuthorNotes {
    fn from_env(text: &str) -> Option<Self> {
        AuthorNotes::parse(text)
    }
}

/// A list: a TOML array of strings, or comma-separated text.
impl Setting for Vec<String> {
    fn from_env(text: &str) -> Option<Self> {
        Some(
            text.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
        )
    }
    fn from_file(value: &toml::Value) -> Option<Self> {
        value
            .as_array()?
            .iter()
            .map(|item| item.as_str().map(str::to_owned))
            .collect()
    }
}

/// Milliseconds.
pub(super) fn millis(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Whole seconds.
pub(super) fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// Whole days.
pub(super) fn days(n: u64) -> Duration {
    Duration::from_secs(n.saturating_mul(86_400))
}

/// Megabytes (MiB) to bytes.
pub(super) fn megabytes(n: u64) -> u64 {
    n.saturating_mul(1024 * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file<T: Setting>(toml_value: &str) -> Option<T> {
        let doc: toml::Table = format!("v = {toml_value}").parse().expect("test toml parses");
        T::read(Raw::File(&doc["v"]))
    }

    #[test]
    fn numbers_refuse_what_does_not_fit_their_type() {
        assert_eq!(u32::read(Raw::Env(" 6 ")), Some(6));
        assert_eq!(u32::read(Raw::Env("-1")), None);
        assert_eq!(file::<u64>("-1"), None);
        assert_eq!(file::<u64>("\"6\""), None);
        assert_eq!(file::<u32>("5_000_000_000"), None);
        assert_eq!(file::<f64>("2"), Some(2.0));
        assert_eq!(file::<f64>("0.5"), Some(0.5));
        assert_eq!(file::<usize>("1.5"), None);
    }

    #[test]
    fn booleans_read_the_usual_words_from_env_and_only_booleans_from_the_file() {
        for yes in ["1", "true", "YES", "on"] {
            assert_eq!(bool::read(Raw::Env(yes)), Some(true), "{yes}");
        }
        for no in ["0", "false", "No", "off"] {
            assert_eq!(bool::read(Raw::Env(no)), Some(false), "{no}");
        }
        assert_eq!(bool::read(Raw::Env("maybe")), None);
        assert_eq!(file::<bool>("true"), Some(true));
        assert_eq!(file::<bool>("1"), None);
    }

    #[test]
    fn urls_must_be_http() {
        assert!(Url::read(Raw::Env("https://api.openalex.org")).is_some());
        assert!(Url::read(Raw::Env("ftp://example.org/")).is_none());
        assert!(Url::read(Raw::Env("not a url")).is_none());
    }

    #[test]
    fn lists_come_from_arrays_of_strings_or_commas() {
        let want = Some(vec!["a".to_owned(), "b:8080".to_owned()]);
        assert_eq!(file::<Vec<String>>("[\"a\", \"b:8080\"]"), want);
        assert_eq!(Vec::<String>::read(Raw::Env("a, b:8080,")), want);
        assert_eq!(file::<Vec<String>>("[\"a\", 1]"), None);
    }

    #[test]
    fn units_saturate_instead_of_overflowing() {
        assert_eq!(megabytes(50), 50 * 1024 * 1024);
        assert_eq!(megabytes(u64::MAX), u64::MAX);
        assert_eq!(days(2), Duration::from_secs(2 * 86_400));
        assert_eq!(days(u64::MAX), Duration::from_secs(u64::MAX));
    }
}
