//! Verifiers that must agree byte for byte with the systems they check: Safe
//! multi-signature transactions and OpenZeppelin's TimelockController, Wormhole VAAs,
//! Tendermint light-client headers, Merkle inclusion proofs and slashing evidence.
//!
//! Every verifier separates three outcomes: valid, invalid (well-formed but failing a
//! rule, with the rule named) and malformed (bytes that do not parse, with the offset).

pub mod merkle;
pub mod safe;
pub mod slashing;
pub mod tendermint;
pub mod timelock;
pub mod wormhole;

mod json;

pub use json::DocumentError;
