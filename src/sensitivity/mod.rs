//! Uncertainty and sensitivity analysis of an index: the rules' `uncertainty` block, each
//! replication evaluated by the [`kernel`] compiled from the plans ([`uncertainty`], and the
//! Sobol indices of [`sobol`]).

pub mod audit;
pub mod indices;
pub mod kernel;
pub mod sobol;
pub mod uncertainty;

use crate::plan::{FactorKind, UncertaintyPlan};

/// The schemes the `choose scheme` lines of an uncertainty block list, in order of first
/// mention (`default` included when listed).
pub fn chosen_schemes(unc: &UncertaintyPlan) -> Vec<&str> {
    let mut names: Vec<&str> = Vec::new();
    for f in &unc.factors {
        if let FactorKind::ChooseScheme { options } = &f.kind {
            for name in options {
                if !names.contains(&name.as_str()) {
                    names.push(name);
                }
            }
        }
    }
    names
}
