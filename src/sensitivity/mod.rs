//! Uncertainty and sensitivity analysis of an index: the rules' `uncertainty` block, each
//! replication evaluated by the [`kernel`] compiled from the plans ([`uncertainty`], and the
//! Sobol indices of [`sobol`]).

pub mod audit;
pub mod indices;
pub mod kernel;
pub mod sobol;
pub mod uncertainty;

use crate::check::Program;
use crate::plan::{FactorKind, Plan, UncertaintyPlan};

/// Compiles every scheme other than `default` that a `choose scheme` line lists, once each.
pub fn scheme_plans(program: &Program, unc: &UncertaintyPlan) -> Result<Vec<Plan>, crate::Error> {
    let mut schemes: Vec<Plan> = Vec::new();
    for f in &unc.factors {
        if let FactorKind::ChooseScheme { options } = &f.kind {
            for name in options {
                if name != "default" && !schemes.iter().any(|p| p.scheme == *name) {
                    schemes.push(crate::check::compile(program, name)?.0);
                }
            }
        }
    }
    Ok(schemes)
}
