//! Integration tests of bulwark-sim.
