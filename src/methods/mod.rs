//! Statistical methods as pure functions over slices: normalisation, treatment, imputation,
//! weights and aggregation. Each is unit-tested against an independent reference.
