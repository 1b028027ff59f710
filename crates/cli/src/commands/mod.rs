//! One module per command.

pub(crate) mod assess;
pub(crate) mod attack;
pub(crate) mod dispersion;
pub(crate) mod simulate;
pub(crate) mod validate;
