//! "Did you mean …?" for a refused id: the accepted form it is closest to, found by
//! repairing the slips people make when pasting or typing an id.

use super::{PREFIXES, PaperId, by_prefix, forms, parse_form};

/// The "did you mean …?" clause for a refused input (already trimmed), when one
/// accepted form is close.
pub(super) fn suggest(s: &str) -> Option<String> {
    if s.is_empty() {
        return None;
    }
    let mean = |id: PaperId| format!("did you mean {id}?");
    if let Some(id) = without_scheme(s) {
        return Some(mean(id));
    }
    if let Some(id) = without_whitespace(s) {
        return Some(mean(id));
    }
    if s.bytes().all(|b| b.is_ascii_hexdigit()) && (36..=44).contains(&s.len()) {
        return Some(format!(
            "did you mean a Semantic Scholar id? Those have 40 hex digits, this has {}.",
            s.len()
        ));
    }
    if let Some(id) = misspelt_prefix(s) {
        return Some(mean(id));
    }
    if let Some(id) = slug_and_sha(s) {
        return Some(mean(id));
    }
    if let Some(n) = forms::number(s) {
        return Some(format!("did you mean CorpusId:{n} or PMID:{n}?"));
    }
    None
}

/// A link pasted without its scheme: `doi.org/10.1/x`, `arxiv.org/abs/…`.
fn without_scheme(s: &str) -> Option<PaperId> {
    let host = s.split('/').next()?;
    let tld = host.rsplit('.').next()?;
    if !host.contains('.') || tld.len() < 2 || !tld.bytes().all(|b| b.is_ascii_alphabetic()) {
        return None;
    }
    parse_form(&format!("https://{s}"))
}

/// An id with stray whitespace in it: `10.1234 /abc`, `1706. 03762`.
fn without_whitespace(s: &str) -> Option<PaperId> {
    if !s.contains(char::is_whitespace) {
        return None;
    }
    let joined: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    parse_form(&joined)
}

/// A known prefix glued to the id, joined by the wrong mark, or misspelt:
/// `ARXIV1706.03762`, `arxiv 1706.03762`, `CorpusID 215416146`, `ARXVI:1706.03762`.
fn misspelt_prefix(s: &str) -> Option<PaperId> {
    let word_len = s.bytes().take_while(u8::is_ascii_alphabetic).count();
    let word = s[..word_len].to_ascii_lowercase();
    let rest = s[word_len..].trim_start_matches(|c: char| c.is_whitespace() || ":=-_#/.,;".contains(c));
    if word.len() < 3 || rest.is_empty() {
        return None;
    }
    let mut best: Option<(usize, PaperId)> = None;
    for prefix in PREFIXES {
        let distance = edit_distance(&word, prefix);
        // One slip in a short prefix, two in a long one; none where almost any value
        // would fit (an ACL id), so the guess is not a wild one.
        let allowed = match prefix {
            "acl" => 0,
            p if p.len() <= 4 => 1,
            _ => 2,
        };
        if distance <= allowed
            && best.as_ref().is_none_or(|(d, _)| distance < *d)
            && let Some(id) = by_prefix(prefix, rest)
        {
            best = Some((distance, id));
        }
    }
    best.map(|(_, id)| id)
}

/// A Semantic Scholar page path without its host: `attention-is-all-you-need/204e…`.
fn slug_and_sha(s: &str) -> Option<PaperId> {
    let last = s.rsplit('/').next()?;
    (s.contains('/') && forms::is_s2_sha(last)).then(|| PaperId::S2(last.to_ascii_lowercase()))
}

/// Optimal-string-alignment distance: insertions, deletions, substitutions and swaps
/// of two neighbours each cost one (`arxvi` → `arxiv` is one swap).
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    d[0] = (0..=b.len()).collect();
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1).min(d[i][j - 1] + 1).min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::edit_distance;

    #[test]
    fn swaps_cost_one() {
        assert_eq!(edit_distance("arxvi", "arxiv"), 1);
        assert_eq!(edit_distance("arxiv", "arxiv"), 0);
        assert_eq!(edit_distance("axriv", "arxiv"), 1);
        assert_eq!(edit_distance("corpsid", "corpusid"), 1);
        assert_eq!(edit_distance("doi", "pmid"), 3);
        assert_eq!(edit_distance("", "url"), 3);
    }
}
