#![doc = include_str!("../README.md")]

pub mod assess;
pub mod committee;
pub mod consensus;
pub mod dispersion;
pub mod governance;
pub mod oracle;
pub mod restaking;
pub mod slashing;
pub mod vector;

pub use assess::{AttackAssessment, AttackOptions, assess};
pub use vector::{CostItem, CostKind, PfcBasis, Vector, VectorKind, Verdict, judge};
