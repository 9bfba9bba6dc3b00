//! Paper identifiers as Semantic Scholar accepts them, parsed once at the boundary.
//!
//! A user may name a paper by its 40-hex S2 id, `CorpusId:`, `DOI:` (or a bare DOI),
//! `ARXIV:`, `MAG:`, `ACL:`, `PMID:`, `PMCID:` or `URL:`. Anything else is refused with
//! a message that lists the accepted forms, before anything is written.

mod s2id;

use std::fmt;
use std::str::FromStr;

pub use s2id::{BadS2Id, S2Id};

/// The accepted forms, for error messages and `--help`.
pub const ACCEPTED_FORMS: &str = "a 40-hex S2 paper id, CorpusId:215416146, DOI:10.18653/v1/N18-3011 \
(or a bare DOI), ARXIV:1706.03762, MAG:112218234, ACL:W12-3903, PMID:19872477, PMCID:2323736 \
or URL:https://arxiv.org/abs/2106.15928";

/// A paper id in one of the forms the S2 Graph API accepts.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PaperId {
    /// The 40-hex S2 paper id (stored lower-case).
    S2(String),
    /// `CorpusId:<n>`.
    Corpus(u64),
    /// `DOI:10.x/…`.
    Doi(String),
    /// `ARXIV:<id>` (new `2106.15928` or old `hep-th/9901001` style, optional version).
    Arxiv(String),
    /// `MAG:<n>`.
    Mag(u64),
    /// `ACL:<anthology id>`.
    Acl(String),
    /// `PMID:<n>`.
    Pmid(u64),
    /// `PMCID:<n>` (a leading `PMC` is accepted and dropped).
    Pmcid(u64),
    /// `URL:<http(s) url>` of a page S2 knows (arXiv, ACL, ACM, bioRxiv, S2 itself…).
    Url(String),
}

/// A string that is not a paper id in any accepted form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unrecognised paper id {input:?}: use {ACCEPTED_FORMS}")]
pub struct ParseIdError {
    input: String,
}

impl PaperId {
    /// The id as the API expects it in a path or a batch body.
    pub fn api_form(&self) -> String {
        match self {
            Self::S2(sha) => sha.clone(),
            Self::Corpus(n) => format!("CorpusId:{n}"),
            Self::Doi(doi) => format!("DOI:{doi}"),
            Self::Arxiv(id) => format!("ARXIV:{id}"),
            Self::Mag(n) => format!("MAG:{n}"),
            Self::Acl(id) => format!("ACL:{id}"),
            Self::Pmid(n) => format!("PMID:{n}"),
            Self::Pmcid(n) => format!("PMCID:{n}"),
            Self::Url(url) => format!("URL:{url}"),
        }
    }

    /// The S2 sha when the id already is one.
    pub fn as_s2(&self) -> Option<&str> {
        match self {
            Self::S2(sha) => Some(sha),
            _ => None,
        }
    }
}

impl fmt::Display for PaperId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.api_form())
    }
}

impl FromStr for PaperId {
    type Err = ParseIdError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let err = || ParseIdError {
            input: input.to_owned(),
        };
        let s = input.trim();
        if is_s2_sha(s) {
            return Ok(Self::S2(s.to_ascii_lowercase()));
        }
        if looks_like_doi(s) {
            return Ok(Self::Doi(s.to_owned()));
        }
        if s.starts_with("https://") || s.starts_with("http://") {
            return parse_url(s).ok_or_else(err);
        }
        let (prefix, rest) = s.split_once(':').ok_or_else(err)?;
        let rest = rest.trim();
        let parsed = match prefix.to_ascii_lowercase().as_str() {
            "corpusid" => rest.parse().ok().map(Self::Corpus),
            "doi" => looks_like_doi(rest).then(|| Self::Doi(rest.to_owned())),
            "arxiv" => is_arxiv(rest).then(|| Self::Arxiv(rest.to_owned())),
            "mag" => rest.parse().ok().map(Self::Mag),
            "acl" => is_acl(rest).then(|| Self::Acl(rest.to_owned())),
            "pmid" => rest.parse().ok().map(Self::Pmid),
            "pmcid" => {
                let digits = rest.strip_prefix("PMC").unwrap_or(rest);
                digits.parse().ok().map(Self::Pmcid)
            }
            "url" => parse_url(rest),
            _ => None,
        };
        parsed.ok_or_else(err)
    }
}

/// `2106.15928v2` → `2106.15928`.
pub fn strip_arxiv_version(id: &str) -> &str {
    match id.rfind('v') {
        Some(i) if i > 0 && i + 1 < id.len() && id[i + 1..].bytes().all(|b| b.is_ascii_digit()) => &id[..i],
        _ => id,
    }
}

fn is_s2_sha(s: &str) -> bool {
    s.len() == 40 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// `10.<registrant>/<suffix>`: the registrant is digits (with dots), the suffix is non-empty.
fn looks_like_doi(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("10.") else {
        return false;
    };
    let Some((registrant, suffix)) = rest.split_once('/') else {
        return false;
    };
    !registrant.is_empty()
        && registrant.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && !suffix.trim().is_empty()
        && !s.chars().any(char::is_whitespace)
}

/// New style `YYMM.NNNN(N)` or old style `archive(.SUB)/YYMMNNN`, each with an optional `vN`.
fn is_arxiv(s: &str) -> bool {
    let base = match s.rfind('v') {
        Some(i) if i + 1 < s.len() && s[i + 1..].bytes().all(|b| b.is_ascii_digit()) => &s[..i],
        _ => s,
    };
    if let Some((yymm, num)) = base.split_once('.')
        && yymm.len() == 4
        && yymm.bytes().all(|b| b.is_ascii_digit())
        && (4..=5).contains(&num.len())
        && num.bytes().all(|b| b.is_ascii_digit())
    {
        return true;
    }
    if let Some((archive, num)) = base.split_once('/') {
        return !archive.is_empty()
            && archive
                .bytes()
                .all(|b| b.is_ascii_alphabetic() || b == b'-' || b == b'.')
            && num.len() == 7
            && num.bytes().all(|b| b.is_ascii_digit());
    }
    false
}

/// ACL Anthology ids: `P19-1001`, `W12-3903`, `2020.acl-main.447`.
fn is_acl(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes().any(|b| b.is_ascii_digit())
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
}

fn parse_url(s: &str) -> Option<PaperId> {
    let url = url::Url::parse(s).ok()?;
    (matches!(url.scheme(), "http" | "https") && url.host_str().is_some()).then(|| PaperId::Url(url.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> PaperId {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn every_accepted_form_parses_to_its_api_form() {
        let cases = [
            (
                "649DEF34F8BE52C8B66281AF98AE884C09AEF38B",
                "649def34f8be52c8b66281af98ae884c09aef38b",
            ),
            ("CorpusId:215416146", "CorpusId:215416146"),
            ("CorpusID:14514057", "CorpusId:14514057"),
            ("corpusid:1", "CorpusId:1"),
            ("DOI:10.18653/v1/N18-3011", "DOI:10.18653/v1/N18-3011"),
            ("10.1093/mind/lix.236.433", "DOI:10.1093/mind/lix.236.433"),
            ("ARXIV:1706.03762", "ARXIV:1706.03762"),
            ("arxiv:2106.15928v2", "ARXIV:2106.15928v2"),
            ("ARXIV:hep-th/9901001", "ARXIV:hep-th/9901001"),
            ("MAG:112218234", "MAG:112218234"),
            ("ACL:W12-3903", "ACL:W12-3903"),
            ("ACL:2020.acl-main.447", "ACL:2020.acl-main.447"),
            ("PMID:19872477", "PMID:19872477"),
            ("PMCID:2323736", "PMCID:2323736"),
            ("PMCID:PMC2323736", "PMCID:2323736"),
            (
                "URL:https://arxiv.org/abs/2106.15928",
                "URL:https://arxiv.org/abs/2106.15928",
            ),
            (
                "https://www.semanticscholar.org/paper/abc",
                "URL:https://www.semanticscholar.org/paper/abc",
            ),
        ];
        for (input, api) in cases {
            assert_eq!(parse(input).api_form(), api, "{input}");
        }
    }

    #[test]
    fn malformed_ids_are_refused_with_the_accepted_forms() {
        for bad in [
            "",
            "attention",
            "ARXIV:attention",
            "ARXIV:1706.3",
            "CorpusId:abc",
            "DOI:11.1/x",
            "DOI:10.1234",
            "10.1234/",
            "PMID:12a",
            "ISBN:123",
            "649def34f8be52c8b66281af98ae884c09aef38",
            "URL:ftp://example.org/x",
            "ACL:",
        ] {
            let err = bad.parse::<PaperId>().expect_err(bad).to_string();
            assert!(err.contains(&format!("{bad:?}")), "{err}");
            assert!(err.contains("ARXIV:1706.03762"), "{err}");
        }
    }

    #[test]
    fn arxiv_versions_are_stripped() {
        assert_eq!(strip_arxiv_version("2106.15928v2"), "2106.15928");
        assert_eq!(strip_arxiv_version("1706.03762"), "1706.03762");
        assert_eq!(strip_arxiv_version("hep-th/9901001v1"), "hep-th/9901001");
        assert_eq!(strip_arxiv_version("solv-int/9901001"), "solv-int/9901001");
    }
}
