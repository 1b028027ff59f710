//! Integration tests of bulwark-attack.

mod consensus;
mod dispersion;
mod oracle;
mod restaking;
