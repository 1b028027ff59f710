//! The validated model of a protocol, one module per section of the spec.

pub mod asset;
pub mod consensus;
pub mod governance;
pub mod guard;
pub mod market;
pub mod oracle;
pub mod restaking;
pub mod scenario;
pub mod venue;
