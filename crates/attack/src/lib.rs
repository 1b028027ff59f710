#![doc = include_str!("../README.md")]

pub mod dispersion;
pub mod vector;

pub use vector::{CostItem, CostKind, PfcBasis, Vector, VectorKind, Verdict, judge};
