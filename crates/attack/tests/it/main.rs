//! Integration tests of bulwark-attack.
