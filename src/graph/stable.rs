//! Cluster ids that last: after a re-analysis (a refresh added papers, an edge changed)
//! each new cluster is matched to the previous run's by member overlap. A previous
//! cluster whose members mostly (more than half) landed in one new cluster hands it its
//! id and the label the user gave it; the rest get fresh ids, never reused.

use std::collections::HashMap;

/// A cluster of the previous run.
#[derive(Debug, Clone, PartialEq)]
pub struct Previous {
    /// Its id.
    pub id: i64,
    /// Its members' paper ids.
    pub members: Vec<String>,
    /// The label the user set, if any.
    pub user_label: Option<String>,
}

/// The id (and kept user label) of each new cluster.
#[derive(Debug, Clone, PartialEq)]
pub struct Assigned {
    /// The cluster's id.
    pub id: i64,
    /// The user's label, carried over.
    pub user_label: Option<String>,
}

/// Ids for `new` clusters (each a list of paper ids) given the previous run's; fresh ids
/// start at `next_id`. Returns the assignments and the next fresh id.
pub fn assign(new: &[Vec<&str>], previous: &[Previous], mut next_id: i64) -> (Vec<Assigned>, i64) {
    let mut was: HashMap<&str, usize> = HashMap::new();
    for (p, prev) in previous.iter().enumerate() {
        for m in &prev.members {
            was.insert(m.as_str(), p);
        }
    }
    // (overlap, new cluster, previous cluster) where most of the previous stayed together.
    let mut candidates: Vec<(usize, usize, usize)> = Vec::new();
    for (c, members) in new.iter().enumerate() {
        let mut overlap: HashMap<usize, usize> = HashMap::new();
        for m in members {
            if let Some(&p) = was.get(m) {
                *overlap.entry(p).or_default() += 1;
            }
        }
        for (p, o) in overlap {
            if 2 * o > previous[p].members.len() {
                candidates.push((o, c, p));
            }
        }
    }
    candidates.sort_by(|a, b| {
        b.0.cmp(&a.0)
            .then(a.1.cmp(&b.1))
            .then(previous[a.2].id.cmp(&previous[b.2].id))
    });
    let mut out: Vec<Option<Assigned>> = vec![None; new.len()];
    let mut taken = vec![false; previous.len()];
    for (_, c, p) in candidates {
        if out[c].is_none() && !taken[p] {
            taken[p] = true;
            out[c] = Some(Assigned {
                id: previous[p].id,
                user_label: previous[p].user_label.clone(),
            });
        }
    }
    next_id = next_id.max(previous.iter().map(|p| p.id + 1).max().unwrap_or(1));
    let out = out
        .into_iter()
        .map(|a| {
            a.unwrap_or_else(|| {
                next_id += 1;
                Assigned {
                    id: next_id - 1,
                    user_label: None,
                }
            })
        })
        .collect();
    (out, next_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prev(id: i64, members: &[&str], label: Option<&str>) -> Previous {
        Previous {
            id,
            members: members.iter().map(std::string::ToString::to_string).collect(),
            user_label: label.map(str::to_owned),
        }
    }

    #[test]
    fn a_cluster_that_mostly_stays_keeps_its_id_and_label_and_new_ones_get_fresh_ids() {
        let previous = [
            prev(4, &["a", "b", "c", "d"], Some("Mine")),
            prev(7, &["x", "y", "z"], None),
        ];
        // The first grew and lost one member; the second split; a new cluster appeared.
        let new = [
            vec!["a", "b", "c", "n1", "n2"],
            vec!["x", "q"],
            vec!["y", "z", "r"],
            vec!["s", "t", "u"],
        ];
        let (ids, next) = assign(&new, &previous, 8);
        assert_eq!(
            ids[0],
            Assigned {
                id: 4,
                user_label: Some("Mine".into())
            }
        );
        assert_eq!(ids[2].id, 7, "two of x, y, z stayed together");
        assert_eq!((ids[1].id, ids[3].id, next), (8, 9, 10));
        assert!(ids[1].user_label.is_none());
    }

    #[test]
    fn a_cluster_split_in_halves_hands_its_id_to_neither_and_ids_are_never_reused() {
        let previous = [prev(1, &["a", "b", "c", "d"], Some("Mine"))];
        let (ids, next) = assign(&[vec!["a", "b"], vec!["c", "d"]], &previous, 5);
        assert_eq!((ids[0].id, ids[1].id, next), (5, 6, 7));
        let (ids, _) = assign(&[vec!["a"]], &[], 1);
        assert_eq!(ids[0].id, 1);
    }
}
