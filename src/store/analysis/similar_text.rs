//! A paper's similar-papers list as the store keeps it: a JSON text.

use std::sync::Arc;

/// A similar-papers list as stored: `[["id", score], …]`.
pub(super) fn similar_json(list: &[(Arc<str>, f64)]) -> String {
    // Written here, not by serializing a list of pairs: a million of them at 100,000
    // papers, on the way to the paper notes. The same text serde gives (ids that need
    // escaping, which S2's never do, and the scores go through it).
    let mut out = Vec::with_capacity(2 + list.len() * 64);
    out.push(b'[');
    for (i, (id, score)) in list.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.push(b'[');
        if id.bytes().all(|b| b.is_ascii_alphanumeric()) {
            out.push(b'"');
            out.extend_from_slice(id.as_bytes());
            out.push(b'"');
        } else if serde_json::to_writer(&mut out, &**id).is_err() {
            return "[]".to_owned();
        }
        out.push(b',');
        if serde_json::to_writer(&mut out, score).is_err() {
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
            let text = similar_json(list);
            assert_eq!(text, serde(list));
            let back: Vec<(String, f64)> = serde_json::from_str(&text).expect("parse");
            assert_eq!(back.len(), list.len());
        }
    }
}
