#![doc = include_str!("../README.md")]

pub mod backtest;
pub mod book;
pub mod engine;
pub mod liquidation;
pub mod oracle;
pub mod process;
pub mod recommend;
pub mod run;
pub mod simulate;
pub mod sobol;
pub mod stats;
pub mod sweep;
pub mod venue;
pub mod world;
