//! A resolved Semantic Scholar paper id: the 40-hex sha S2 gives every paper, lower-case.
//! What a user types is a [`PaperId`](super::PaperId) in one of many forms; once S2 has
//! answered, the paper is known by this.

use std::fmt;
use std::str::FromStr;

/// A 40-hex S2 paper id, lower-case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct S2Id(String);

/// A string that is not a 40-hex S2 paper id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a Semantic Scholar paper id (40 hexadecimal digits)")]
pub struct BadS2Id(String);

impl S2Id {
    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `s` is one (any case).
    pub fn is_valid(s: &str) -> bool {
        s.len() == 40 && s.bytes().all(|b| b.is_ascii_hexdigit())
    }
}

impl FromStr for S2Id {
    type Err = BadS2Id;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if Self::is_valid(s) {
            Ok(Self(s.to_ascii_lowercase()))
        } else {
            Err(BadS2Id(s.to_owned()))
        }
    }
}

impl TryFrom<String> for S2Id {
    type Error = BadS2Id;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<S2Id> for String {
    fn from(id: S2Id) -> Self {
        id.0
    }
}

impl AsRef<str> for S2Id {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::borrow::Borrow<str> for S2Id {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for S2Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl PartialEq<str> for S2Id {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for S2Id {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_forty_hex_digits_make_an_id_and_case_is_folded() {
        let id: S2Id = "649DEF34F8BE52C8B66281AF98AE884C09AEF38B".parse().expect("valid");
        assert_eq!(id.as_str(), "649def34f8be52c8b66281af98ae884c09aef38b");
        for bad in ["", "649def34", &"g".repeat(40), &"a".repeat(41)] {
            assert!(bad.parse::<S2Id>().is_err(), "{bad}");
        }
        let json = serde_json::to_string(&id).expect("serialize");
        assert_eq!(serde_json::from_str::<S2Id>(&json).expect("back"), id);
        assert!(serde_json::from_str::<S2Id>("\"nope\"").is_err());
    }
}
