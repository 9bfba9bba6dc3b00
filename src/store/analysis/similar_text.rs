//! A paper's similar-papers list as the store keeps it, in `analysis_papers.similar_papers`.
//!
//! Most lists are by position: `#` then `position:millionths` for each entry, space
//! separated, where the position is the paper's among the crawl's analysed papers in id
//! order (the rows saved with it, all at once) and the score is in millionths, as the
//! analysis rounds it. That is a quarter of the JSON of ids and scores every list was
//! before (54 MB at 100,000 papers, written and parsed on a render's path). A list that
//! form cannot hold exactly (a paper not among the rows, a score not a whole number of
//! millionths) is stored as that JSON, `[["id", score], …]`, and lists stored that way
//! by earlier versions are read as they are.

use std::fmt::Write as _;
use std::sync::Arc;

/// A similar-papers list as stored, `position` giving a paper's place among the rows
/// saved with it.
pub(super) fn similar_text(list: &[(Arc<str>, f64)], position: impl Fn(&str) -> Option<usize>) -> String {
    if list.is_empty() {
        return "[]".to_owned();
    }
    let mut out = String::with_capacity(1 + list.len() * 14);
    out.push('#');
    for (i, (id, score)) in list.iter().enumerate() {
        let (Some(place), Some(millionths)) = (position(id), millionths(*score)) else {
            return similar_json(list);
        };
        if i > 0 {
            out.push(' ');
        }
        // Writing to a String cannot fail.
        let _ = write!(out, "{place}:{millionths}");
    }
    out
}

/// A score as a whole number of millionths, when that gives it back to the bit.
fn millionths(score: f64) -> Option<i64> {
    let scaled = (score * 1e6).round();
    let whole = (scaled.is_finite() && scaled.abs() < 1e15).then_some(scaled as i64)?;
    ((whole as f64 / 1e6).to_bits() == score.to_bits()).then_some(whole)
}

/// A stored similar-papers list read back: `ids` are the ids of the rows saved with it,
/// in order (a position names one of them; a JSON list's ids are shared with them where
/// they are among them).
pub(super) fn similar_list(text: &str, ids: &[Arc<str>]) -> Result<Vec<(Arc<str>, f64)>, String> {
    if let Some(entries) = text.strip_prefix('#') {
        return entries
            .split(' ')
            .map(|entry| {
                let (place, millionths) = entry
                    .split_once(':')
                    .ok_or_else(|| format!("{entry:?} is not position:millionths"))?;
                let place: usize = place.parse().map_err(|_| format!("{entry:?} has no position"))?;
                let millionths: i64 = millionths.parse().map_err(|_| format!("{entry:?} has no score"))?;
                let id = ids
                    .get(place)
                    .ok_or_else(|| format!("position {place} is past the {} papers analysed", ids.len()))?;
                Ok((Arc::clone(id), millionths as f64 / 1e6))
            })
            .collect();
    }
    if text == "[]" {
        return Ok(Vec::new());
    }
    let listed: Vec<(String, f64)> = serde_json::from_str(text).map_err(|e| e.to_string())?;
    Ok(listed
        .into_iter()
        .map(|(id, score)| {
            let shared = ids
                .binary_search_by(|known| (**known).cmp(id.as_str()))
                .map(|at| Arc::clone(&ids[at]))
                .unwrap_or_else(|_| Arc::from(id));
            (shared, score)
        })
        .collect())
}

/// A similar-papers list as JSON: `[["id", score], …]`.
fn similar_json(list: &[(Arc<str>, f64)]) -> String {
    let plain: Vec<(&str, f64)> = list.iter().map(|(id, s)| (&**id, *s)).collect();
    serde_json::to_string(&plain).unwrap_or_else(|_| "[]".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(list: &[&str]) -> Vec<Arc<str>> {
        list.iter().map(|&s| Arc::from(s)).collect()
    }

    #[test]
    fn lists_of_analysed_papers_with_rounded_scores_are_stored_by_position_and_read_back_to_the_bit() {
        let rows = ids(&["a1", "b2", "c3", "d4"]);
        let at = |id: &str| rows.iter().position(|r| &**r == id);
        let list: Vec<(Arc<str>, f64)> = vec![
            (Arc::from("d4"), 1.0),
            (Arc::from("a1"), (0.123_456_789f64 * 1e6).round() / 1e6),
            (Arc::from("c3"), 0.0),
            (Arc::from("b2"), f64::from(0.3f32 * 1e6).round() / 1e6),
        ];
        let text = similar_text(&list, at);
        assert!(text.starts_with("#3:1000000 0:123457 2:0 1:"), "{text}");
        let back = similar_list(&text, &rows).expect("read back");
        assert_eq!(back.len(), list.len());
        for ((id, score), (back_id, back_score)) in list.iter().zip(&back) {
            assert_eq!(id, back_id);
            assert_eq!(score.to_bits(), back_score.to_bits(), "{score} came back {back_score}");
            // The id is the row's own, not a copy.
            assert!(rows.iter().any(|r| Arc::ptr_eq(r, back_id)));
        }
        assert_eq!(similar_text(&[], at), "[]");
        assert_eq!(similar_list("[]", &rows), Ok(Vec::new()));
    }

    #[test]
    fn lists_the_positions_cannot_hold_are_json_as_before_and_both_forms_read_back() {
        let rows = ids(&["a1", "b2"]);
        let at = |id: &str| rows.iter().position(|r| &**r == id);
        let outsider: Vec<(Arc<str>, f64)> = vec![(Arc::from("a1"), 0.5), (Arc::from("zz \"q\""), 0.25)];
        let unrounded: Vec<(Arc<str>, f64)> = vec![(Arc::from("b2"), 0.123_456_789)];
        for list in [&outsider, &unrounded] {
            let text = similar_text(list, at);
            assert!(text.starts_with('['), "{text}");
            let back = similar_list(&text, &rows).expect("read back");
            assert_eq!(&back, list);
        }
        // As an earlier version stored it: the known id comes back shared.
        let back = similar_list(r#"[["b2",0.087039],["x9",0.5]]"#, &rows).expect("read back");
        assert!(Arc::ptr_eq(&back[0].0, &rows[1]));
        assert_eq!((&*back[1].0, back[1].1), ("x9", 0.5));
    }

    #[test]
    fn damaged_lists_are_errors_not_guesses() {
        let rows = ids(&["a1"]);
        for text in ["#1:5", "#0", "#x:1", "#0:y", "[[\"a1\""] {
            assert!(similar_list(text, &rows).is_err(), "{text}");
        }
    }
}
