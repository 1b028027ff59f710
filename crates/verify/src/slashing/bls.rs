//! BLS12-381 signatures as Ethereum's consensus layer uses them (public keys in G1,
//! signatures in G2), through `blst`.

use blst::BLST_ERROR;
use blst::min_pk::{PublicKey, Signature};

/// The proof-of-possession ciphersuite of the consensus specs (`bls.Sign`, `bls.Verify`,
/// `bls.FastAggregateVerify`).
pub(crate) const DST: &[u8] = b"BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_";

/// A public key that passed `KeyValidate` (on the curve, in the subgroup, not the identity).
pub(crate) fn public_key(bytes: &[u8; 48]) -> Result<PublicKey, BLST_ERROR> {
    PublicKey::key_validate(bytes)
}

/// `bls.Verify(pk, message, signature)`.
pub(crate) fn verify(pk: &PublicKey, message: &[u8], signature: &[u8; 96]) -> bool {
    match Signature::sig_validate(signature, true) {
        Ok(sig) => sig.verify(true, message, DST, &[], pk, false) == BLST_ERROR::BLST_SUCCESS,
        Err(_) => false,
    }
}

/// `bls.FastAggregateVerify(pks, message, signature)`: one message signed by every key.
pub(crate) fn fast_aggregate_verify(pks: &[&PublicKey], message: &[u8], signature: &[u8; 96]) -> bool {
    if pks.is_empty() {
        return false;
    }
    match Signature::sig_validate(signature, true) {
        Ok(sig) => sig.fast_aggregate_verify(true, message, DST, pks) == BLST_ERROR::BLST_SUCCESS,
        Err(_) => false,
    }
}
