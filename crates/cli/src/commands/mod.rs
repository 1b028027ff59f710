//! One module per command.

pub(crate) mod assess;
pub(crate) mod attack;
pub(crate) mod backtest;
pub(crate) mod dispersion;
pub(crate) mod recommend;
pub(crate) mod serve;
pub(crate) mod simulate;
pub(crate) mod sweep;
pub(crate) mod validate;
pub(crate) mod verify;
