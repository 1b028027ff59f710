//! Dispersion of stake.
