//! The rows of the paper graph as refnet reads and writes them: a fetched paper's record,
//! a stub known from another paper's list, an edge, a stored paper, a candidate for a
//! crawl's next level, and a whole fetched batch.

/// A paper's full record, ready to store.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PaperRecord {
    /// 40-hex S2 id.
    pub paper_id: String,
    /// Corpus id.
    pub corpus_id: Option<i64>,
    /// Lower-cased DOI.
    pub doi: Option<String>,
    /// arXiv id without version.
    pub arxiv: Option<String>,
    /// External ids as a JSON object.
    pub external_ids: String,
    /// Title (empty when S2 has none).
    pub title: String,
    /// Abstract.
    pub abstract_text: Option<String>,
    /// S2 TLDR.
    pub tldr: Option<String>,
    /// Venue.
    pub venue: Option<String>,
    /// Year.
    pub year: Option<i64>,
    /// `YYYY-MM-DD`.
    pub publication_date: Option<String>,
    /// Journal name.
    pub journal: Option<String>,
    /// Journal volume.
    pub journal_volume: Option<String>,
    /// Journal pages.
    pub journal_pages: Option<String>,
    /// Citation count.
    pub citation_count: Option<i64>,
    /// Reference count.
    pub reference_count: Option<i64>,
    /// Influential citation count.
    pub influential_citation_count: Option<i64>,
    /// Fields of study.
    pub fields_of_study: Vec<String>,
    /// Publication types.
    pub publication_types: Vec<String>,
    /// Open-access PDF URL.
    pub pdf_url: Option<String>,
    /// Whether S2 knows an open-access version.
    pub is_open_access: Option<bool>,
    /// More references exist than the API lets anyone list.
    pub references_truncated: bool,
    /// More citations exist than the API lets anyone list.
    pub citations_truncated: bool,
    /// Authors in order: (S2 author id, name).
    pub authors: Vec<(Option<String>, String)>,
}

/// A paper known only from another paper's list: enough to rank and name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StubRecord {
    /// 40-hex S2 id.
    pub paper_id: String,
    /// Title.
    pub title: Option<String>,
    /// Year.
    pub year: Option<i64>,
    /// Citation count.
    pub citation_count: Option<i64>,
}

/// One citation edge.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct EdgeRow {
    /// The citing paper.
    pub citing: String,
    /// The cited paper.
    pub cited: String,
    /// S2's influential flag, when known.
    pub is_influential: Option<bool>,
}

/// A title, or a stand-in naming the id when there is none.
pub fn title_or_id(title: &str, paper_id: &str) -> String {
    let t = title.trim();
    if t.is_empty() {
        format!("Untitled paper {paper_id}")
    } else {
        t.to_owned()
    }
}

/// A paper as stored; read from a JSON array of its values in field order (see
/// `store::bulk`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Deserialize)]
pub struct StoredPaper {
    /// 40-hex S2 id.
    pub paper_id: String,
    /// Corpus id.
    pub corpus_id: Option<i64>,
    /// Lower-cased DOI.
    pub doi: Option<String>,
    /// arXiv id.
    pub arxiv: Option<String>,
    /// External ids (JSON object).
    pub external_ids: String,
    /// Title.
    pub title: String,
    /// Abstract.
    pub abstract_text: Option<String>,
    /// S2 TLDR.
    pub tldr: Option<String>,
    /// Venue.
    pub venue: Option<String>,
    /// Year.
    pub year: Option<i64>,
    /// `YYYY-MM-DD`.
    pub publication_date: Option<String>,
    /// Journal name.
    pub journal: Option<String>,
    /// Journal volume.
    pub journal_volume: Option<String>,
    /// Journal pages.
    pub journal_pages: Option<String>,
    /// Citation count.
    pub citation_count: Option<i64>,
    /// Reference count.
    pub reference_count: Option<i64>,
    /// Influential citation count.
    pub influential_citation_count: Option<i64>,
    /// Fields of study (JSON list).
    pub fields_of_study: String,
    /// Publication types (JSON list).
    pub publication_types: String,
    /// Open-access PDF URL.
    pub pdf_url: Option<String>,
    /// Open access flag.
    #[serde(deserialize_with = "super::bulk::sql_opt_bool")]
    pub is_open_access: Option<bool>,
    /// References list cut by the API's reach.
    #[serde(deserialize_with = "super::bulk::sql_bool")]
    pub references_truncated: bool,
    /// Citations list cut by the API's reach.
    #[serde(deserialize_with = "super::bulk::sql_bool")]
    pub citations_truncated: bool,
    /// Last full fetch (unix seconds); `None` for stubs.
    pub fetched_at: Option<i64>,
    /// Last listing of its citing papers.
    pub citations_fetched_at: Option<i64>,
    /// Where the abstract came from: `semantic_scholar`, `openalex`, or `None` (none).
    pub abstract_source: Option<String>,
    /// `openalex` when the PDF link came from OpenAlex.
    pub pdf_source: Option<String>,
    /// `openalex` when the venue came from OpenAlex.
    pub venue_source: Option<String>,
}

impl StoredPaper {
    /// The title to show: S2's, or a stand-in naming the id.
    pub fn display_title(&self) -> String {
        title_or_id(&self.title, &self.paper_id)
    }

    /// Fields of study as a list (an unreadable value reads as none).
    pub fn fields(&self) -> Vec<String> {
        serde_json::from_str(&self.fields_of_study).unwrap_or_default()
    }

    /// Publication types as a list (`JournalArticle`, `Conference`, …).
    pub fn types(&self) -> Vec<String> {
        serde_json::from_str(&self.publication_types).unwrap_or_default()
    }
}

/// A paper that could join a crawl's next level, with what its priority needs.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Candidate {
    /// 40-hex S2 id.
    pub paper_id: String,
    /// Citation count, if known.
    pub citation_count: Option<i64>,
    /// Year, if known.
    pub year: Option<i64>,
}

/// Everything one batch call brought back, written in one transaction.
#[derive(Debug, Clone, Default)]
pub struct FetchedBatch {
    /// Full records.
    pub papers: Vec<PaperRecord>,
    /// Papers seen only in lists.
    pub stubs: Vec<StubRecord>,
    /// Edges.
    pub edges: Vec<EdgeRow>,
    /// Papers whose citing papers were listed in this batch.
    pub citations_listed: Vec<String>,
    /// Ids the API answered `null` (or unreadably) for, with the reason.
    pub missing: Vec<(String, String)>,
    /// References S2 could not resolve, by citing paper (each paper's whole list: it
    /// replaces what was stored for that paper).
    pub unresolved: Vec<(String, Vec<UnresolvedRef>)>,
}

/// A reference S2 lists without a paper id: what S2 says of it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UnresolvedRef {
    /// Its title as cited.
    pub title: String,
    /// Its year, when S2 gives one.
    pub year: Option<i64>,
}
