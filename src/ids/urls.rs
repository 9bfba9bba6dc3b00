//! Links → ids, by host: a DOI, arXiv, Semantic Scholar, PubMed, PMC, Europe PMC or
//! OpenAlex link becomes the id it names (S2 does not resolve most of them as `URL:`);
//! any other http(s) link stays a `URL:` id, which S2 resolves for the sites it knows.

use super::{PaperId, forms};

/// The id a link names; `None` when it is not an http(s) URL, or is a DOI link
/// without a DOI.
pub(super) fn parse(s: &str) -> Option<PaperId> {
    let url = url::Url::parse(s).ok()?;
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    let host = url.host_str()?.to_ascii_lowercase();
    let host = host.strip_prefix("www.").unwrap_or(&host);
    let path = url.path();
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let named = match host {
        // A DOI link without a DOI names nothing S2 could find.
        "doi.org" | "dx.doi.org" => return forms::doi(path.trim_start_matches('/')).map(PaperId::Doi),
        "arxiv.org" | "export.arxiv.org" => arxiv(&segments),
        "semanticscholar.org" | "api.semanticscholar.org" => semantic_scholar(&segments),
        "pubmed.ncbi.nlm.nih.gov" => segments.first().and_then(|s| forms::number(s)).map(PaperId::Pmid),
        "ncbi.nlm.nih.gov" => ncbi(&segments),
        "pmc.ncbi.nlm.nih.gov" => match segments.as_slice() {
            ["articles", id, ..] => forms::pmc(id).map(PaperId::Pmcid),
            _ => None,
        },
        "europepmc.org" => match segments.as_slice() {
            ["article" | "abstract", "MED", n, ..] => forms::number(n).map(PaperId::Pmid),
            ["article" | "abstract", "PMC", id, ..] => forms::pmc(id).map(PaperId::Pmcid),
            _ => None,
        },
        "openalex.org" | "api.openalex.org" => match segments.as_slice() {
            [id] | ["works", id] => forms::openalex_work(id).map(PaperId::OpenAlex),
            _ => None,
        },
        _ => None,
    };
    Some(named.unwrap_or_else(|| PaperId::Url(url.to_string())))
}

/// `/abs/<id>`, `/pdf/<id>[.pdf]` (`<id>` may be old style, with a `/`), any version.
fn arxiv(segments: &[&str]) -> Option<PaperId> {
    let (kind, rest) = segments.split_first()?;
    if !matches!(*kind, "abs" | "pdf" | "html" | "format") {
        return None;
    }
    let joined = rest.join("/");
    let id = joined.strip_suffix(".pdf").unwrap_or(&joined);
    forms::arxiv_id(id).map(PaperId::Arxiv)
}

/// `/paper/<slug>/<sha>`, `/paper/<sha>`, `/paper/CorpusID:<n>`, `/CorpusID:<n>` (the
/// permalink), `/arxiv/<id>`, and the API's `/graph/v1/paper/<any id form>`.
fn semantic_scholar(segments: &[&str]) -> Option<PaperId> {
    if let Some(last) = segments.last()
        && forms::is_s2_sha(last)
    {
        return Some(PaperId::S2(last.to_ascii_lowercase()));
    }
    for segment in segments {
        if let Some((prefix, n)) = segment.split_once(':')
            && prefix.eq_ignore_ascii_case("corpusid")
        {
            return forms::number(n).map(PaperId::Corpus);
        }
    }
    if let Some(i) = segments.iter().position(|s| *s == "arxiv") {
        return forms::arxiv_id(&segments[i + 1..].join("/")).map(PaperId::Arxiv);
    }
    let i = segments.iter().position(|s| *s == "paper")?;
    let rest = segments[i + 1..].join("/");
    let decoded = percent_encoding::percent_decode_str(&rest).decode_utf8().ok()?;
    super::parse_form(&decoded).filter(|id| !matches!(id, PaperId::Url(_)))
}

/// `/pubmed/<n>` and `/pmc/articles/PMC<n>` on www.ncbi.nlm.nih.gov.
fn ncbi(segments: &[&str]) -> Option<PaperId> {
    match segments {
        ["pubmed", n, ..] => forms::number(n).map(PaperId::Pmid),
        ["pmc", "articles", id, ..] => forms::pmc(id).map(PaperId::Pmcid),
        _ => None,
    }
}
