//! Paper identifiers in every form a user pastes, parsed once at the boundary into
//! [`PaperId`].
//!
//! Accepted: the forms the S2 Graph API takes (40-hex S2 id, `CorpusId:`, `DOI:` or a bare
//! DOI, `ARXIV:`, `MAG:`, `ACL:`, `PMID:`, `PMCID:`, `URL:`), and what people copy from
//! their browser or reference manager: `https://doi.org/…` and `doi:…` (percent-decoded,
//! trailing punctuation trimmed), arXiv abstract and PDF links and bare arXiv ids (new
//! and old style, any version), Semantic Scholar, PubMed, PMC and Europe PMC links, and
//! OpenAlex work ids and links. Anything else is refused with the accepted forms and,
//! when one form is close, a "did you mean …?" (`suggest`).
//!
//! - `forms`: the shape of each kind of id (pure string checks).
//! - `urls`: links → ids, by host.
//! - `suggest`: the closest accepted form for a refused input.

mod forms;
mod s2id;
mod suggest;
mod urls;

use std::fmt;
use std::str::FromStr;

pub use forms::strip_arxiv_version;
pub use s2id::{BadS2Id, S2Id};

/// The accepted forms, one line, for error messages and `--help`.
pub const ACCEPTED_FORMS: &str = "a DOI (10.1093/mind/lix.236.433, DOI:…, https://doi.org/…), an arXiv id \
(1706.03762, ARXIV:1706.03762, hep-th/9901001, https://arxiv.org/abs/…), a Semantic Scholar id or link \
(40 hex digits, CorpusId:215416146, https://www.semanticscholar.org/paper/…), PMID:19872477 or a PubMed link, \
PMCID:PMC2323736 or a PMC link, MAG:112218234, ACL:W12-3903, an OpenAlex work (W2741809807, \
https://openalex.org/W…), or another paper's URL (URL:https://…)";

/// A paper id, in one of the forms refnet can look up.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PaperId {
    /// The 40-hex S2 paper id (stored lower-case).
    S2(String),
    /// `CorpusId:<n>`.
    Corpus(u64),
    /// `DOI:10.x/…` (as written, percent-decoded).
    Doi(String),
    /// `ARXIV:<id>`, new (`2106.15928`) or old (`hep-th/9901001`) style, without its
    /// version: S2 knows only the bare id.
    Arxiv(String),
    /// `MAG:<n>`.
    Mag(u64),
    /// `ACL:<anthology id>`.
    Acl(String),
    /// `PMID:<n>`.
    Pmid(u64),
    /// `PMCID:<n>` (a leading `PMC` is accepted and dropped).
    Pmcid(u64),
    /// `URL:<http(s) url>` of a page S2 knows (ACL, ACM, bioRxiv…).
    Url(String),
    /// An OpenAlex work id (`W2741809807`). Semantic Scholar cannot resolve it: it is
    /// looked up through OpenAlex, when that source is on.
    OpenAlex(String),
}

/// A string that is not a paper id in any accepted form. Its message is one line: the
/// input, a "did you mean …?" when one form is close, and the accepted forms.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ParseIdError {
    input: String,
    suggestion: Option<String>,
}

impl ParseIdError {
    /// The input as given.
    pub fn input(&self) -> &str {
        &self.input
    }

    /// The "did you mean …?" clause, when one accepted form is close.
    pub fn suggestion(&self) -> Option<&str> {
        self.suggestion.as_deref()
    }
}

impl fmt::Display for ParseIdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unrecognised paper id {:?}: ", self.input)?;
        match &self.suggestion {
            Some(hint) => write!(f, "{hint} Accepted: {ACCEPTED_FORMS}"),
            None => write!(f, "use {ACCEPTED_FORMS}"),
        }
    }
}

/// An id Semantic Scholar cannot resolve (an OpenAlex work id).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{0} is an OpenAlex work id, which Semantic Scholar cannot look up: give the paper's DOI or arXiv id instead, or turn OpenAlex on (REFNET_OPENALEX_MAILTO or REFNET_OPENALEX_KEY)"
)]
pub struct NotInS2(pub String);

impl PaperId {
    /// The id as the S2 API expects it in a path or a batch body; an error for ids only
    /// OpenAlex can resolve (see [`PaperId::needs_openalex`]).
    pub fn api_form(&self) -> Result<String, NotInS2> {
        Ok(match self {
            Self::S2(sha) => sha.clone(),
            Self::Corpus(n) => format!("CorpusId:{n}"),
            Self::Doi(doi) => format!("DOI:{doi}"),
            Self::Arxiv(id) => format!("ARXIV:{id}"),
            Self::Mag(n) => format!("MAG:{n}"),
            Self::Acl(id) => format!("ACL:{id}"),
            Self::Pmid(n) => format!("PMID:{n}"),
            Self::Pmcid(n) => format!("PMCID:{n}"),
            Self::Url(url) => format!("URL:{url}"),
            Self::OpenAlex(w) => return Err(NotInS2(w.clone())),
        })
    }

    /// Whether only OpenAlex can resolve this id (S2 cannot).
    pub fn needs_openalex(&self) -> bool {
        matches!(self, Self::OpenAlex(_))
    }

    /// The OpenAlex work id (`W2741809807`) when the id is one.
    pub fn as_openalex(&self) -> Option<&str> {
        match self {
            Self::OpenAlex(w) => Some(w),
            _ => None,
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

/// The S2 API form, or `OpenAlex:W…` (which parses back) for an OpenAlex work.
impl fmt::Display for PaperId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.api_form() {
            Ok(api) => f.write_str(&api),
            Err(NotInS2(w)) => write!(f, "OpenAlex:{w}"),
        }
    }
}

impl FromStr for PaperId {
    type Err = ParseIdError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let s = forms::trim_paste(input);
        parse_form(s).ok_or_else(|| ParseIdError {
            input: input.to_owned(),
            suggestion: suggest::suggest(s),
        })
    }
}

/// An id in any accepted form (`s` already trimmed of what copy-paste adds).
fn parse_form(s: &str) -> Option<PaperId> {
    if forms::has_http_scheme(s) {
        return urls::parse(s);
    }
    if forms::is_s2_sha(s) {
        return Some(PaperId::S2(s.to_ascii_lowercase()));
    }
    if let Some(doi) = forms::doi(s) {
        return Some(PaperId::Doi(doi));
    }
    if let Some(id) = forms::arxiv_id(s) {
        return Some(PaperId::Arxiv(id));
    }
    if let Some(w) = forms::openalex_work(s) {
        return Some(PaperId::OpenAlex(w));
    }
    if let Some(n) = forms::pmc(s) {
        return Some(PaperId::Pmcid(n));
    }
    let (prefix, rest) = s.split_once(':')?;
    by_prefix(&prefix.trim().to_ascii_lowercase(), rest.trim())
}

/// The prefixes of the `PREFIX:value` forms, lower-case.
const PREFIXES: [&str; 10] = [
    "corpusid", "openalex", "arxiv", "pmcid", "pmid", "doi", "mag", "acl", "url", "pmc",
];

/// The id `rest` names under a (lower-case) prefix, if it has that prefix's shape.
fn by_prefix(prefix: &str, rest: &str) -> Option<PaperId> {
    match prefix {
        "corpusid" => forms::number(rest).map(PaperId::Corpus),
        "doi" => forms::doi(rest).map(PaperId::Doi),
        "arxiv" => forms::arxiv_id(rest).map(PaperId::Arxiv),
        "mag" => forms::number(rest).map(PaperId::Mag),
        "acl" => forms::is_acl(rest).then(|| PaperId::Acl(rest.to_owned())),
        "pmid" => forms::number(rest).map(PaperId::Pmid),
        "pmcid" | "pmc" => forms::pmc(rest).or_else(|| forms::number(rest)).map(PaperId::Pmcid),
        "url" => forms::has_http_scheme(rest).then(|| urls::parse(rest)).flatten(),
        "openalex" => forms::openalex_work(rest).map(PaperId::OpenAlex),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
