//! A paper's similar-papers list as the store keeps it: a JSON text.

use std::sync::Arc;

/// Each member's list of similar papers, as [`super::Store::save_analysis_apart`]
/// stores it: kept by id in an analysis, or by node in a render.
pub trait SimilarLists: Sync {
    /// The paper's list as stored (`[]` for a paper with none).
    fn json_of(&self, paper_id: &str) -> String;
}

impl<S: std::hash::BuildHasher + Sync> SimilarLists for std::collections::HashMap<String, Vec<(Arc<str>, f64)>, S> {
    fn json_of(&self, paper_id: &str) -> String {
        let list = self.get(paper_id).map_or(&[][..], Vec::as_slice);
        similar_json(list.iter().map(|(id, score)| (&**id, *score)), list.len())
    }
}

/// A similar-papers list of `len` entries as stored: `[["id", score], …]`.
pub fn similar_json<'a>(list: impl IntoIterator<Item = (&'a str, f64)>, len: usize) -> String {
    // Written here, not by serializing a list of pairs: a million of them at 100,000
    // papers, on the way to the paper notes. The same text serde gives (ids that need
    // escaping, which S2's never do, and the scores go through it).
    let mut out = Vec::with_capacity(2 + len * 64);
    out.push(b'[');
    for (i, (id, score)) in list.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.push(b'[');
        if id.bytes().all(|b| b.is_ascii_alphanumeric()) {
            out.push(b'"');
            out.extend_from_slice(id.as_bytes());
            out.push(b'"');
        } else if serde_json::to_writer(&mut out, id).is_err() {
            return "[]".to_owned();
        }
        out.push(b',');
        if serde_json::to_writer(&mut out, &score).is_err() {
            return "[]".to_owned();
        }
        out.push(b']');
    }
    out.push(b']');
    String::from_utf8(out).unwrap_or_else(|_| "[]".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn similar_lists_are_stored_as_serde_writes_them() {
        let serde = |list: &[(Arc<str>, f64)]| {
            let plain: Vec<(&str, f64)> = list.iter().map(|(id, s)| (&**id, *s)).collect();
            serde_json::to_string(&plain).expect("serialize")
        };
        let lists: Vec<Vec<(Arc<str>, f64)>> = vec![
            vec![],
            vec![("649def34f8be52c8b66281af98ae884c09aef38b".into(), 0.5)],
            vec![
                ("a1".into(), 1.0),
                ("b2".into(), 0.123_456_789),
                ("with \"quote\" and \\".into(), 1e-7),
                ("é".into(), 0.0),
            ],
        ];
        for list in &lists {
            let text = similar_json(list.iter().map(|(id, s)| (&**id, *s)), list.len());
            assert_eq!(text, serde(list));
            let back: Vec<(String, f64)> = serde_json::from_str(&text).expect("parse");
            assert_eq!(back.len(), list.len());
        }
    }
}
