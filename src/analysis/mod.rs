//! Analyses of evaluated results, computed and never formatted: coherence statistics
//! (reliability, principal components, sampling adequacy: OECD/JRC Handbook, COINr
//! `get_stats`, `get_corr`, `get_cronbach`, `get_PCA`), comparisons of schemes and the
//! decomposition of a score change, orientation, a unit's profile, the indicators' importance
//! and the stability of the top N under each weight. Each returns a `Serialize` value that
//! `report/` renders.

pub mod alpha;
pub mod coherence;
pub mod compare;
pub mod importance;
pub mod kmo;
pub mod orientation;
pub mod pca;
pub mod profile;
pub mod stability;
pub mod survey;

pub use coherence::{coherence, Coherence};

use crate::plan::{NodeId, Plan};
use serde::Serialize;

/// A node below the index as the per-node analyses list it: id, label, kind, parent, depth
/// and its weight within the parent.
#[derive(Debug, Clone, Serialize)]
pub struct NodeRef {
    pub id: String,
    pub label: Option<String>,
    /// `group` or `indicator`.
    pub kind: &'static str,
    pub parent: String,
    pub depth: u32,
    /// The weight within the parent used in this period.
    pub weight: f64,
}

impl NodeRef {
    /// `id` (not the index itself) with `weight`, its weight within the parent.
    pub fn new(plan: &Plan, id: NodeId, weight: f64) -> NodeRef {
        let node = plan.node(id);
        let parent = node.parent.expect("a node below the index has a parent");
        NodeRef {
            id: node.id.clone(),
            label: node.label.clone(),
            kind: if node.is_indicator() {
                "indicator"
            } else {
                "group"
            },
            parent: plan.node(parent).id.clone(),
            depth: node.depth,
            weight,
        }
    }
}

/// The complete cases of `columns` (all the same length): rows where every column is present,
/// as one vector per column.
///
/// # Missing values
/// A row with NaN in any column is dropped; columns of unequal length give no rows.
pub fn complete_cases(columns: &[&[f64]]) -> Vec<Vec<f64>> {
    let n = columns.first().map_or(0, |c| c.len());
    if columns.iter().any(|c| c.len() != n) {
        return vec![Vec::new(); columns.len()];
    }
    let keep: Vec<usize> = (0..n)
        .filter(|&i| columns.iter().all(|c| !c[i].is_nan()))
        .collect();
    columns
        .iter()
        .map(|c| keep.iter().map(|&i| c[i]).collect())
        .collect()
}

/// The Pearson correlation matrix of complete columns (no NaN); `None` when there are fewer
/// than 2 rows or a column is constant (its correlations are undefined).
pub fn correlation_matrix(columns: &[Vec<f64>]) -> Option<nalgebra::DMatrix<f64>> {
    let p = columns.len();
    if columns.first().is_none_or(|c| c.len() < 2) {
        return None;
    }
    let mut r = nalgebra::DMatrix::identity(p, p);
    for i in 0..p {
        for j in 0..i {
            let v = crate::methods::stats::pearson(&columns[i], &columns[j]);
            if v.is_nan() {
                return None;
            }
            r[(i, j)] = v;
            r[(j, i)] = v;
        }
    }
    if p == 1 && crate::methods::stats::variance(&columns[0]) == 0.0 {
        return None;
    }
    Some(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn complete_cases_drop_rows_with_any_missing_value() {
        let a = [1.0, f64::NAN, 3.0, 4.0];
        let b = [5.0, 6.0, f64::NAN, 8.0];
        assert_eq!(
            complete_cases(&[&a, &b]),
            vec![vec![1.0, 4.0], vec![5.0, 8.0]]
        );
    }

    #[test]
    fn correlation_matrix_is_undefined_for_constant_columns() {
        assert!(correlation_matrix(&[vec![1.0, 1.0, 1.0], vec![1.0, 2.0, 3.0]]).is_none());
        let r = correlation_matrix(&[vec![1.0, 2.0, 3.0], vec![3.0, 2.0, 1.0]]).unwrap();
        assert_eq!(r[(0, 1)], -1.0);
    }
}
pub mod checked;
