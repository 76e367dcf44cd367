//! Uncertainty and sensitivity analysis of an index: the rules' `uncertainty` block run as a
//! Monte Carlo over modified plans, each evaluated by the ordinary evaluator.

pub mod importance;
pub mod stability;
pub mod uncertainty;
