#![doc = include_str!("../README.md")]

pub mod book;
pub mod engine;
pub mod liquidation;
pub mod oracle;
pub mod process;
pub mod run;
pub mod simulate;
pub mod stats;
pub mod venue;
pub mod world;
