#![doc = include_str!("../README.md")]

pub mod committee;
pub mod dispersion;
pub mod governance;
pub mod vector;

pub use vector::{CostItem, CostKind, PfcBasis, Vector, VectorKind, Verdict, judge};
