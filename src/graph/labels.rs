//! Cluster labels: the terms of its members' titles and abstracts that set it apart from
//! the rest of the crawl (TF-IDF: the share of its members using a term, times the log of
//! how rare the term is in the crawl), stopwords and numbers left out.

use std::collections::HashMap;

/// Terms in a label.
pub const LABEL_TERMS: usize = 3;
/// A term must appear in at least this many of a cluster's members to label it.
const MIN_MEMBERS: u32 = 2;

/// English function words and the filler of abstracts: never distinctive.
const STOPWORDS: &str = "
    about above across after again against all also among and any are around based because been
    before being below between both but can could does doing down during each either few for
    from further had has have having here how however into its itself just many more most much
    must new not now off once only other our ours out over own same should since some such than
    that the their them then there these they this those through thus too under until upon use
    used using very was way well were what when where whether which while who whom why will
    with within without would yet you your paper propose proposed present method approach
    result show shown study work problem existing first one two three several various different
    given provide via toward towards novel simple
";

/// [`STOPWORDS`] as a set: every word of every abstract is looked up.
static STOPWORD_SET: std::sync::LazyLock<std::collections::HashSet<&'static str, hashbrown::DefaultHashBuilder>> =
    std::sync::LazyLock::new(|| STOPWORDS.split_whitespace().collect());

/// Terms interned to numbers, and each member's distinct terms.
#[derive(Debug, Default)]
pub struct Texts {
    terms: Vec<String>,
    /// Hashed with foldhash: every word of 100,000 abstracts is looked up (SipHash was
    /// a tenth of tokenising them).
    index: HashMap<String, u32, hashbrown::DefaultHashBuilder>,
    /// Each member's distinct terms, sorted (indexed like the members).
    pub of: Vec<Vec<u32>>,
}

impl Texts {
    /// Room for `members` texts, each empty until [`Texts::set`].
    pub fn new(members: usize) -> Self {
        Self {
            of: vec![Vec::new(); members],
            ..Self::default()
        }
    }

    /// Tokenises the title and abstract of paper `id` if it is a member of `graph`
    /// (these texts are `graph`'s members').
    pub fn read_row(&mut self, graph: &super::CrawlGraph, id: &str, title: &str, abstract_text: Option<&str>) {
        if let Some(i) = graph.node(id)
            && graph.is_member(i)
        {
            self.set(i as usize, title, abstract_text);
        }
    }

    /// Tokenises member `i`'s title and abstract.
    pub fn set(&mut self, i: usize, title: &str, abstract_text: Option<&str>) {
        let mut ids: Vec<u32> = Vec::new();
        let mut term = String::new();
        for text in std::iter::once(title).chain(abstract_text) {
            for word in text.split(|c: char| !c.is_alphanumeric()) {
                if normalise_into(word, &mut term) {
                    let id = match self.index.get(term.as_str()) {
                        Some(&id) => id,
                        None => {
                            let id = self.terms.len() as u32;
                            self.terms.push(term.clone());
                            self.index.insert(term.clone(), id);
                            id
                        }
                    };
                    ids.push(id);
                }
            }
        }
        ids.sort_unstable();
        ids.dedup();
        if let Some(slot) = self.of.get_mut(i) {
            *slot = ids;
        }
    }

    /// The text of term `t`.
    pub fn term(&self, t: u32) -> &str {
        &self.terms[t as usize]
    }
}

/// A word as a term: lower case, a plural `s` dropped; `None` for stopwords, numbers and
/// words of fewer than three letters.
#[cfg(test)]
fn normalise(word: &str) -> Option<String> {
    let mut term = String::new();
    normalise_into(word, &mut term).then_some(term)
}

/// [`normalise`] into `term` (reused: most words are seen before), false when the word is
/// no term.
fn normalise_into(word: &str, term: &mut String) -> bool {
    if word.chars().count() < 3 || word.chars().all(char::is_numeric) {
        return false;
    }
    term.clear();
    if word.is_ascii() {
        term.extend(word.bytes().map(|b| char::from(b.to_ascii_lowercase())));
    } else {
        term.push_str(&word.to_lowercase());
    }
    if term.len() > 4 && term.ends_with('s') && !term.ends_with("ss") && !term.ends_with("us") && !term.ends_with("is")
    {
        term.pop();
    }
    !STOPWORD_SET.contains(term.as_str())
}

/// The most distinctive terms of each cluster (members as indexes into `texts.of`), best
/// first, ties by the term's text.
pub fn distinctive(texts: &Texts, clusters: &[Vec<u32>]) -> Vec<Vec<String>> {
    let n = texts.of.len().max(1) as f64;
    let mut df = vec![0u32; texts.terms.len()];
    for list in &texts.of {
        for &t in list {
            df[t as usize] += 1;
        }
    }
    let mut cf = vec![0u32; texts.terms.len()];
    let mut used: Vec<u32> = Vec::new();
    clusters
        .iter()
        .map(|members| {
            for &m in members {
                for &t in texts.of.get(m as usize).map(Vec::as_slice).unwrap_or_default() {
                    if cf[t as usize] == 0 {
                        used.push(t);
                    }
                    cf[t as usize] += 1;
                }
            }
            let size = members.len().max(1) as f64;
            let mut scored: Vec<(f64, &str)> = used
                .iter()
                .map(|&t| (t, cf[t as usize]))
                .filter(|&(_, c)| c >= MIN_MEMBERS)
                .map(|(t, c)| {
                    let idf = (n / f64::from(df[t as usize].max(1))).ln();
                    (f64::from(c) / size * idf, texts.term(t))
                })
                .filter(|&(score, _)| score > 0.0)
                .collect();
            for &t in &used {
                cf[t as usize] = 0;
            }
            used.clear();
            scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1)));
            scored
                .into_iter()
                .take(LABEL_TERMS)
                .map(|(_, t)| t.to_owned())
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_cluster_is_labelled_by_its_own_vocabulary_not_the_shared_words() {
        let docs = [
            (
                "Protein folding with deep networks",
                "We study protein structure and folding kinetics.",
            ),
            ("Folding of protein chains", "Protein structure prediction for folding."),
            (
                "Protein structure networks",
                "Deep folding models of protein structure.",
            ),
            (
                "Galaxy rotation curves in deep surveys",
                "Dark matter halos shape galaxy rotation.",
            ),
            (
                "Dark matter and galaxy halos",
                "Rotation of galaxy discs in dark matter halos.",
            ),
            (
                "Halos of dark galaxies",
                "Galaxy rotation and dark matter in deep fields.",
            ),
        ];
        let mut texts = Texts::new(docs.len());
        for (i, (t, a)) in docs.iter().enumerate() {
            texts.set(i, t, Some(a));
        }
        let labels = distinctive(&texts, &[vec![0, 1, 2], vec![3, 4, 5]]);
        assert_eq!(labels[0].len(), LABEL_TERMS);
        assert!(labels[0].contains(&"protein".to_owned()), "{labels:?}");
        assert!(labels[1].contains(&"galaxy".to_owned()), "{labels:?}");
        assert!(
            labels
                .iter()
                .flatten()
                .all(|t| t != "deep" && t != "the" && t != "with"),
            "{labels:?}"
        );
    }

    #[test]
    fn plurals_fold_stopwords_and_numbers_drop() {
        assert_eq!(normalise("Networks").as_deref(), Some("network"));
        assert_eq!(normalise("analysis").as_deref(), Some("analysis"));
        assert_eq!(normalise("the"), None);
        assert_eq!(normalise("2017"), None);
        assert_eq!(normalise("of"), None);
    }

    #[test]
    fn members_without_text_give_an_empty_label() {
        let texts = Texts::new(3);
        assert_eq!(distinctive(&texts, &[vec![0, 1, 2]]), [Vec::<String>::new()]);
    }
}
