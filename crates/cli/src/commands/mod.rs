//! One module per command.

pub(crate) mod assess;
pub(crate) mod validate;
