//! Which discovered papers join the next level: the priority formula and the budget.
//! Pure functions, so the order and the cut are tested without I/O.

use crate::store::Candidate;

/// Priority 0–10 of a discovered paper: 5, plus 1/2/3 for citation counts over
/// 10/100/1000, plus 1/2 for years from 2015/2020, capped at 10. Unknown counts and
/// years add nothing.
pub fn priority(citation_count: Option<i64>, year: Option<i64>) -> i64 {
    let citations = match citation_count.unwrap_or(0) {
        c if c > 1000 => 3,
        c if c > 100 => 2,
        c if c > 10 => 1,
        _ => 0,
    };
    let recency = match year.unwrap_or(0) {
        y if y >= 2020 => 2,
        y if y >= 2015 => 1,
        _ => 0,
    };
    (5 + citations + recency).min(10)
}

/// The outcome of ranking a level's candidates against the budget.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    /// (paper id, priority), highest priority first.
    pub admitted: Vec<(String, i64)>,
    /// (paper id, priority) of the papers the budget left out.
    pub left_out: Vec<(String, i64)>,
}

/// Ranks candidates (priority, then citation count, then id, so the cut is the same on
/// every run) and admits at most `room` of them (`None` = no budget).
pub fn select(candidates: &[Candidate], room: Option<usize>) -> Selection {
    let mut ranked: Vec<(&Candidate, i64)> = candidates
        .iter()
        .map(|c| (c, priority(c.citation_count, c.year)))
        .collect();
    ranked.sort_by(|(a, pa), (b, pb)| {
        pb.cmp(pa)
            .then_with(|| b.citation_count.unwrap_or(0).cmp(&a.citation_count.unwrap_or(0)))
            .then_with(|| a.paper_id.cmp(&b.paper_id))
    });
    let keep = room.unwrap_or(usize::MAX).min(ranked.len());
    let mut out = Selection::default();
    for (i, (c, p)) in ranked.into_iter().enumerate() {
        let entry = (c.paper_id.clone(), p);
        if i < keep {
            out.admitted.push(entry);
        } else {
            out.left_out.push(entry);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cand(id: &str, cc: Option<i64>, year: Option<i64>) -> Candidate {
        Candidate {
            paper_id: id.to_owned(),
            citation_count: cc,
            year,
        }
    }

    #[test]
    fn priority_follows_the_design_formula() {
        assert_eq!(priority(None, None), 5);
        assert_eq!(priority(Some(10), Some(2014)), 5);
        assert_eq!(priority(Some(11), Some(2015)), 7);
        assert_eq!(priority(Some(101), Some(2019)), 8);
        assert_eq!(priority(Some(1001), Some(2019)), 9);
        assert_eq!(priority(Some(1001), Some(2020)), 10);
        assert_eq!(priority(Some(1_000_000), Some(2030)), 10);
    }

    #[test]
    fn higher_priority_is_admitted_first_and_the_rest_is_left_out() {
        let cands = vec![
            cand("a", Some(5), Some(2000)),    // 5
            cand("b", Some(5000), Some(2021)), // 10
            cand("c", Some(50), Some(2016)),   // 7
            cand("d", Some(60), Some(2016)),   // 7, more cited than c
        ];
        let s = select(&cands, Some(2));
        assert_eq!(s.admitted, vec![("b".to_owned(), 10), ("d".to_owned(), 7)]);
        assert_eq!(s.left_out, vec![("c".to_owned(), 7), ("a".to_owned(), 5)]);
        let all = select(&cands, None);
        assert_eq!(all.admitted.len(), 4);
        assert!(all.left_out.is_empty());
        let none = select(&cands, Some(0));
        assert!(none.admitted.is_empty());
        assert_eq!(none.left_out.len(), 4);
    }

    #[test]
    fn ties_are_broken_by_id_so_every_run_cuts_the_same() {
        let cands = vec![
            cand("z", Some(1), None),
            cand("m", Some(1), None),
            cand("a", Some(1), None),
        ];
        let s = select(&cands, Some(1));
        assert_eq!(s.admitted, vec![("a".to_owned(), 5)]);
    }
}
