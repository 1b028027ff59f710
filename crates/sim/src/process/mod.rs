//! Price processes.
