//! A synthetic citation corpus for the fake Semantic Scholar: deterministic ids,
//! titles, years, authors, external ids, and references to earlier papers, with citing
//! lists and counts that agree with each other (as S2's do).

use std::collections::HashMap;

use sha2::{Digest, Sha256};

/// One paper of the corpus.
#[derive(Debug, Clone, Default)]
pub struct FakePaper {
    /// 40-hex id.
    pub id: String,
    /// Corpus id.
    pub corpus_id: i64,
    /// Title.
    pub title: String,
    /// Year.
    pub year: Option<i64>,
    /// Abstract.
    pub abstract_text: Option<String>,
    /// TLDR.
    pub tldr: Option<String>,
    /// Venue.
    pub venue: Option<String>,
    /// DOI.
    pub doi: Option<String>,
    /// arXiv id.
    pub arxiv: Option<String>,
    /// Open-access PDF URL.
    pub pdf_url: Option<String>,
    /// Fields of study.
    pub fields: Vec<String>,
    /// (author id, name).
    pub authors: Vec<(Option<String>, String)>,
    /// References: an index into the corpus, or `None` for an unresolved entry.
    pub references: Vec<Option<usize>>,
    /// Extra citations S2 counts but does not list (to simulate counts beyond reach).
    pub extra_citation_count: i64,
    /// Answer `references: null` in batch calls (forces paging of `/references`).
    pub null_nested_references: bool,
    /// Listed by others, but a batch call answers `null` for it (S2 lost the record).
    pub hidden: bool,
    /// A batch call answers a record that does not parse.
    pub malformed: bool,
    /// Its `/references` and `/citations` pages answer 404 (S2 lists it but will not page it).
    pub unpageable: bool,
    /// Its `/references` and `/citations` pages answer 200 with a body cut short.
    pub unreadable_lists: bool,
    /// Fields of the S2 record that replace the generated ones (`journal`,
    /// `publicationTypes`, `venue`, `title`…), as S2 would send them.
    pub record: serde_json::Map<String, serde_json::Value>,
}

/// A corpus: papers plus who cites whom.
#[derive(Debug, Clone, Default)]
pub struct Corpus {
    papers: Vec<FakePaper>,
    citers: Vec<Vec<usize>>,
    lookup: HashMap<String, usize>,
}

/// A deterministic 40-hex id.
pub fn fake_id(label: &str) -> String {
    let digest = Sha256::digest(label.as_bytes());
    crate::hex::hex(&digest[..20])
}

const FIELDS: [&str; 6] = [
    "Computer Science",
    "Medicine",
    "Biology",
    "Physics",
    "Mathematics",
    "Linguistics",
];
const SURNAMES: [&str; 12] = [
    "Vaswani",
    "Shazeer",
    "Parmar",
    "Lo",
    "Wang",
    "Turing",
    "Dean",
    "Ghemawat",
    "van der Berg",
    "Nguyen",
    "Okafor",
    "Müller",
];
const GIVEN: [&str; 8] = ["Ada", "Alan", "Grace", "Kyle", "Lucy", "Noam", "Chen", "Amara"];

/// The name of synthetic author `a`: the first 96 from fixed lists, then invented surnames.
fn author_name(a: usize) -> String {
    let given = GIVEN[a % GIVEN.len()];
    if a < 96 {
        return format!("{given} {}", SURNAMES[a % SURNAMES.len()]);
    }
    const SYLLABLES: [&str; 10] = ["ka", "lo", "mi", "ra", "ten", "vo", "zu", "bel", "dor", "fin"];
    let mut surname = String::new();
    let mut rest = a;
    while rest > 0 {
        surname.push_str(SYLLABLES[rest % 10]);
        rest /= 10;
    }
    let mut chars = surname.chars();
    let capitalised: String = chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default();
    format!("{given} {capitalised}")
}

impl Corpus {
    /// An empty corpus to add papers to.
    pub fn new() -> Self {
        Self::default()
    }

    /// `n` papers; paper `i` cites `refs` distinct earlier papers (fewer at the start),
    /// chosen with a fixed seed, so every run builds the same corpus.
    pub fn synthetic(n: usize, refs: usize, seed: u64) -> Self {
        let mut rng = fastrand::Rng::with_seed(seed);
        let mut corpus = Self::new();
        for i in 0..n {
            let mut cited: Vec<usize> = Vec::new();
            let want = refs.min(i);
            while cited.len() < want {
                let j = rng.usize(0..i);
                if !cited.contains(&j) {
                    cited.push(j);
                }
            }
            let mut paper = Self::generated(i, n, &mut rng);
            paper.references = cited.into_iter().map(Some).collect();
            if i % 7 == 3 {
                paper.references.push(None); // an unresolved reference
            }
            corpus.push(paper);
        }
        corpus
    }

    fn generated(i: usize, n: usize, rng: &mut fastrand::Rng) -> FakePaper {
        let year = 1990 + (i * 35 / n.max(1)) as i64;
        // About one author per three papers, as in real fields; small corpora share 96.
        let pool = (n / 3).max(96);
        let authors: Vec<(Option<String>, String)> = (0..=(i % 4))
            .map(|k| {
                let a = (i * 7 + k * 3) % pool;
                (Some(format!("{}", 1000 + a)), author_name(a))
            })
            .collect();
        FakePaper {
            id: fake_id(&format!("paper-{i}")),
            corpus_id: 10_000 + i as i64,
            title: format!("Synthetic Study {i} of Topic {}", i % 97),
            year: Some(year),
            abstract_text: Some(format!(
                "Progress on topic {t} remains limited because existing methods are costly to train and hard to \
                 evaluate. We propose method {i}, a simple approach based on shared representations for topic {t}. \
                 Experiments on three benchmarks show that it improves results by {}% over strong baselines. \
                 However, it does not handle very long inputs, which we leave to future work.",
                rng.u32(1..50),
                t = i % 97,
            )),
            tldr: i
                .is_multiple_of(2)
                .then(|| format!("Paper {i} improves topic {}.", i % 97)),
            venue: Some(["NeurIPS", "ACL", "Nature", "arXiv"][i % 4].to_owned()),
            doi: i.is_multiple_of(3).then(|| format!("10.5555/fake.{i}")),
            arxiv: (i % 2 == 1).then(|| format!("{:02}{:02}.{:05}", (year % 100), 1 + i % 12, i)),
            pdf_url: None,
            fields: vec![FIELDS[i % FIELDS.len()].to_owned()],
            authors,
            ..FakePaper::default()
        }
    }

    /// Adds a paper (its references must point to papers already in the corpus) and
    /// returns its index.
    pub fn push(&mut self, paper: FakePaper) -> usize {
        let idx = self.papers.len();
        for r in paper.references.iter().flatten() {
            if let Some(list) = self.citers.get_mut(*r) {
                list.push(idx);
            }
        }
        self.lookup.insert(paper.id.clone(), idx);
        self.lookup.insert(format!("corpusid:{}", paper.corpus_id), idx);
        if let Some(doi) = &paper.doi {
            self.lookup.insert(format!("doi:{}", doi.to_lowercase()), idx);
        }
        if let Some(arxiv) = &paper.arxiv {
            self.lookup.insert(format!("arxiv:{}", arxiv.to_lowercase()), idx);
        }
        self.papers.push(paper);
        self.citers.push(Vec::new());
        idx
    }

    /// A simple paper with the given title and references, for hand-built corpora.
    pub fn add(&mut self, label: &str, title: &str, year: i64, references: &[usize]) -> usize {
        self.push(FakePaper {
            id: fake_id(label),
            corpus_id: 50_000 + self.papers.len() as i64,
            title: title.to_owned(),
            year: Some(year),
            authors: vec![(Some(format!("{label}-a")), format!("Ada {label}"))],
            references: references.iter().copied().map(Some).collect(),
            fields: vec!["Computer Science".to_owned()],
            ..FakePaper::default()
        })
    }

    /// Resolves any id form the API accepts (sha, CorpusId:, DOI:, bare DOI, ARXIV:).
    pub fn resolve(&self, id: &str) -> Option<usize> {
        let id = id.trim();
        if let Some(&i) = self.lookup.get(&id.to_ascii_lowercase()) {
            return Some(i);
        }
        let (prefix, rest) = id.split_once(':').unwrap_or(("doi", id));
        let rest = match prefix.to_ascii_lowercase().as_str() {
            "arxiv" => rest.split('v').next().unwrap_or(rest).to_owned(),
            _ => rest.to_owned(),
        };
        self.lookup
            .get(&format!("{}:{}", prefix.to_ascii_lowercase(), rest.to_lowercase()))
            .copied()
    }

    /// The paper at `idx`.
    pub fn paper(&self, idx: usize) -> &FakePaper {
        &self.papers[idx]
    }

    /// The paper at `idx`, to change.
    pub fn paper_mut(&mut self, idx: usize) -> &mut FakePaper {
        &mut self.papers[idx]
    }

    /// Papers citing `idx`, newest first (as S2 lists them).
    pub fn citers(&self, idx: usize) -> Vec<usize> {
        let mut list = self.citers[idx].clone();
        list.reverse();
        list
    }

    /// Number of papers.
    pub fn len(&self) -> usize {
        self.papers.len()
    }

    /// Whether the corpus is empty.
    pub fn is_empty(&self) -> bool {
        self.papers.is_empty()
    }

    /// Citation count as S2 reports it.
    pub fn citation_count(&self, idx: usize) -> i64 {
        self.citers[idx].len() as i64 + self.papers[idx].extra_citation_count
    }

    /// Papers `range` as one stored batch (records, authors and reference edges), as a
    /// crawl would store them: for filling a store without the API (benchmarks).
    pub fn stored_batch(&self, range: std::ops::Range<usize>) -> crate::store::FetchedBatch {
        let mut batch = crate::store::FetchedBatch::default();
        for idx in range {
            let p = &self.papers[idx];
            batch.papers.push(crate::store::PaperRecord {
                paper_id: p.id.clone(),
                corpus_id: Some(p.corpus_id),
                doi: p.doi.clone(),
                arxiv: p.arxiv.clone(),
                external_ids: "{}".to_owned(),
                title: p.title.clone(),
                abstract_text: p.abstract_text.clone(),
                tldr: p.tldr.clone(),
                venue: p.venue.clone(),
                year: p.year,
                publication_date: p.year.map(|y| format!("{y}-06-01")),
                citation_count: Some(self.citation_count(idx)),
                reference_count: Some(p.references.len() as i64),
                fields_of_study: p.fields.clone(),
                publication_types: vec!["JournalArticle".to_owned()],
                authors: p.authors.clone(),
                ..crate::store::PaperRecord::default()
            });
            for r in p.references.iter().flatten() {
                batch.edges.push(crate::store::EdgeRow {
                    citing: p.id.clone(),
                    cited: self.papers[*r].id.clone(),
                    is_influential: None,
                });
            }
        }
        batch
    }

    /// The papers reachable from `seed` within `depth` steps along references (the
    /// expected members of an unbudgeted references crawl), including the seed.
    pub fn reachable(&self, seed: usize, depth: usize) -> Vec<usize> {
        let mut seen = std::collections::HashSet::from([seed]);
        let mut out = vec![seed];
        let mut frontier = vec![seed];
        for _ in 0..depth {
            let mut next = Vec::new();
            for &p in &frontier {
                for r in self.papers[p].references.iter().flatten() {
                    if seen.insert(*r) {
                        out.push(*r);
                        next.push(*r);
                    }
                }
            }
            frontier = next;
        }
        out
    }
}
