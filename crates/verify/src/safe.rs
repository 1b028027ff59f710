//! Safe multi-signature transactions: the SafeTx EIP-712 hash for Safe 1.0.0 to 1.4.1 and
//! the signature check of `checkNSignatures`, reimplemented from the rules of
//! safe-global/safe-smart-account `contracts/Safe.sol`.
//!
//! A [`Multisig`] holds what a Safe stores (owners, threshold, address, chain, version).
//! [`Multisig::verify`] hashes a [`SafeTransaction`], walks the first `threshold`
//! signatures exactly as the contract does and returns an [`Approval`] naming the owners
//! who approved. Signatures that only the chain can check (EIP-1271 contract signatures,
//! `v = 0`, and pre-approved hashes, `v = 1`) are reported as such, never assumed valid.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use alloy_primitives::{Address, B256, Bytes, Signature, U256, address, b256, keccak256};
use serde::{Deserialize, Serialize};

/// keccak256 of `SafeTx(address to,uint256 value,bytes data,uint8 operation,uint256 safeTxGas,
/// uint256 baseGas,uint256 gasPrice,address gasToken,address refundReceiver,uint256 nonce)`,
/// Safe 1.0.0 and later.
pub const SAFE_TX_TYPEHASH: B256 = b256!("bb8310d486368db6bd6f849402fdd73ad53d316b5a4b2644ad6efe0f941286d8");
/// keccak256 of `EIP712Domain(uint256 chainId,address verifyingContract)`, Safe 1.3.0 and later.
pub const DOMAIN_TYPEHASH: B256 = b256!("47e79534a245952e8b16893a336b85a3d9ea9fa8c573f3d803afb92a79469218");
/// keccak256 of `EIP712Domain(address verifyingContract)`, Safe 1.2.0 and earlier.
pub const DOMAIN_TYPEHASH_LEGACY: B256 = b256!("035aff83d86937d35b32e04f0ddc6ff469290eef2f1b692d8a815c89404d4749");
/// The head of the owners linked list in Safe storage; never a valid owner.
pub const SENTINEL_OWNERS: Address = address!("0000000000000000000000000000000000000001");
/// Bytes of one static signature item `r ‖ s ‖ v`.
pub const SIGNATURE_LEN: usize = 65;

/// The secp256k1 group order n: `ecrecover` returns zero unless `0 < r, s < n`.
const SECP256K1_N: U256 =
    U256::from_be_bytes(b256!("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141").0);

/// Why a Safe or its signatures were rejected. Each variant names the Safe error code the
/// contract would revert with (see [`SafeError::code`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SafeError {
    /// A threshold of zero: the Safe is not set up (`GS001` / `GS202`).
    #[error("threshold is 0 (GS001)")]
    ThresholdZero,
    /// More required signatures than owners (`GS201`).
    #[error("threshold {threshold} exceeds the {owners} owners (GS201)")]
    ThresholdAboveOwners {
        /// The threshold given.
        threshold: usize,
        /// The number of owners.
        owners: usize,
    },
    /// An owner that Safe's `setupOwners` refuses: zero, the sentinel or the Safe itself (`GS203`).
    #[error("owner {owner} is not allowed: zero, sentinel 0x1 or the Safe itself (GS203)")]
    InvalidOwner {
        /// The refused address.
        owner: Address,
    },
    /// An owner listed twice (`GS204`).
    #[error("owner {owner} is listed twice (GS204)")]
    DuplicateOwner {
        /// The repeated address.
        owner: Address,
    },
    /// Fewer bytes than `threshold` static signature items (`GS020`).
    #[error("signatures are {len} bytes; {threshold} signatures need at least {needed} (GS020)")]
    SignaturesTooShort {
        /// Length of the blob.
        len: usize,
        /// The threshold.
        threshold: usize,
        /// `threshold * 65`.
        needed: usize,
    },
    /// A contract signature whose data offset points inside the static part (`GS021`).
    #[error("signature {position}: contract signature offset {offset} lies inside the static part (< {min}) (GS021)")]
    ContractSignatureInsideStaticPart {
        /// Index of the signature item.
        position: usize,
        /// The offset, from `s`.
        offset: U256,
        /// `threshold * 65`.
        min: usize,
    },
    /// A contract signature whose length word lies past the end (`GS022`).
    #[error("signature {position}: contract signature length word at {offset} is past the end ({len} bytes) (GS022)")]
    ContractSignatureOutOfBounds {
        /// Index of the signature item.
        position: usize,
        /// The offset, from `s`.
        offset: U256,
        /// Length of the blob.
        len: usize,
    },
    /// A contract signature whose data runs past the end (`GS023`).
    #[error(
        "signature {position}: contract signature of {data_len} bytes at {offset} runs past the end ({len} bytes) (GS023)"
    )]
    ContractSignatureDataOutOfBounds {
        /// Index of the signature item.
        position: usize,
        /// The offset, from `s`.
        offset: U256,
        /// The declared data length.
        data_len: U256,
        /// Length of the blob.
        len: usize,
    },
    /// `ecrecover` would return the zero address (bad `v`, `r` or `s`, or no point) (`GS026`).
    #[error("signature {position}: v = {v} does not recover an address (GS026)")]
    Unrecoverable {
        /// Index of the signature item.
        position: usize,
        /// The `v` byte.
        v: u8,
    },
    /// The same owner signed twice (`GS026`: owners must be strictly ascending).
    #[error("signature {position}: owner {owner} signed twice (GS026)")]
    DuplicateSigner {
        /// Index of the signature item.
        position: usize,
        /// The owner.
        owner: Address,
    },
    /// Signers out of order (`GS026`: strictly ascending as uint160).
    #[error("signature {position}: signer {signer} is not above the previous signer {previous} (GS026)")]
    NotAscending {
        /// Index of the signature item.
        position: usize,
        /// The signer.
        signer: Address,
        /// The signer before it.
        previous: Address,
    },
    /// A signer who is not an owner (`GS026`).
    #[error("signature {position}: signer {signer} is not an owner (GS026)")]
    NotOwner {
        /// Index of the signature item.
        position: usize,
        /// The recovered or declared signer.
        signer: Address,
    },
}

impl SafeError {
    /// The revert code Safe 1.3.0+ uses for the same rule (`docs/error_codes.md`).
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::ThresholdZero => "GS001",
            Self::ThresholdAboveOwners { .. } => "GS201",
            Self::InvalidOwner { .. } => "GS203",
            Self::DuplicateOwner { .. } => "GS204",
            Self::SignaturesTooShort { .. } => "GS020",
            Self::ContractSignatureInsideStaticPart { .. } => "GS021",
            Self::ContractSignatureOutOfBounds { .. } => "GS022",
            Self::ContractSignatureDataOutOfBounds { .. } => "GS023",
            Self::Unrecoverable { .. }
            | Self::DuplicateSigner { .. }
            | Self::NotAscending { .. }
            | Self::NotOwner { .. } => "GS026",
        }
    }
}

/// The Safe contract versions whose SafeTx hash this module reproduces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum SafeVersion {
    /// GnosisSafe 1.0.0: `baseGas` type, domain without chainId.
    #[serde(rename = "1.0.0")]
    V1_0_0,
    /// GnosisSafe 1.1.1: as 1.0.0.
    #[serde(rename = "1.1.1")]
    V1_1_1,
    /// GnosisSafe 1.2.0: as 1.0.0.
    #[serde(rename = "1.2.0")]
    V1_2_0,
    /// GnosisSafe 1.3.0: the domain gains `chainId`.
    #[serde(rename = "1.3.0")]
    V1_3_0,
    /// Safe 1.4.1: as 1.3.0.
    #[serde(rename = "1.4.1")]
    V1_4_1,
}

impl SafeVersion {
    /// Every supported version, oldest first.
    pub const ALL: [Self; 5] = [Self::V1_0_0, Self::V1_1_1, Self::V1_2_0, Self::V1_3_0, Self::V1_4_1];

    /// Whether the EIP-712 domain of this version includes `chainId` (1.3.0 and later).
    #[must_use]
    pub fn domain_has_chain_id(self) -> bool {
        self >= Self::V1_3_0
    }

    /// The version string, e.g. `1.3.0`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::V1_0_0 => "1.0.0",
            Self::V1_1_1 => "1.1.1",
            Self::V1_2_0 => "1.2.0",
            Self::V1_3_0 => "1.3.0",
            Self::V1_4_1 => "1.4.1",
        }
    }
}

impl fmt::Display for SafeVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A version string that is not one of [`SafeVersion::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unsupported Safe version {0:?}; expected one of 1.0.0, 1.1.1, 1.2.0, 1.3.0, 1.4.1")]
pub struct UnknownSafeVersion(pub String);

impl FromStr for SafeVersion {
    type Err = UnknownSafeVersion;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|v| v.as_str() == s).ok_or_else(|| UnknownSafeVersion(s.to_string()))
    }
}

/// `operation` of a SafeTx.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
#[non_exhaustive]
pub enum Operation {
    /// 0: CALL.
    Call,
    /// 1: DELEGATECALL, which runs the target's code with the Safe's storage.
    DelegateCall,
}

impl TryFrom<u8> for Operation {
    type Error = String;

    fn try_from(v: u8) -> Result<Self, Self::Error> {
        match v {
            0 => Ok(Self::Call),
            1 => Ok(Self::DelegateCall),
            other => Err(format!("operation must be 0 (call) or 1 (delegatecall), not {other}")),
        }
    }
}

impl From<Operation> for u8 {
    fn from(op: Operation) -> Self {
        match op {
            Operation::Call => 0,
            Operation::DelegateCall => 1,
        }
    }
}

/// The fields of a Safe transaction that its owners sign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SafeTransaction {
    /// Destination.
    pub to: Address,
    /// Wei sent.
    pub value: U256,
    /// Call data.
    pub data: Bytes,
    /// CALL or DELEGATECALL.
    pub operation: Operation,
    /// Gas for the inner call (`safeTxGas`).
    pub safe_tx_gas: U256,
    /// Gas paid for outside the inner call (`baseGas`, `dataGas` before 1.0.0).
    pub base_gas: U256,
    /// Gas price for the refund; 0 for none.
    pub gas_price: U256,
    /// Refund token; zero for ether.
    pub gas_token: Address,
    /// Refund receiver; zero for `tx.origin`.
    pub refund_receiver: Address,
    /// The Safe's nonce: replay protection.
    pub nonce: U256,
}

impl SafeTransaction {
    /// The EIP-712 struct hash: `keccak256(SAFE_TX_TYPEHASH ‖ to ‖ value ‖ keccak256(data) ‖
    /// operation ‖ safeTxGas ‖ baseGas ‖ gasPrice ‖ gasToken ‖ refundReceiver ‖ nonce)`.
    #[must_use]
    pub fn struct_hash(&self) -> B256 {
        let mut words = Vec::with_capacity(11 * 32);
        words.extend_from_slice(SAFE_TX_TYPEHASH.as_slice());
        words.extend_from_slice(address_word(self.to).as_slice());
        words.extend_from_slice(&self.value.to_be_bytes::<32>());
        words.extend_from_slice(keccak256(&self.data).as_slice());
        words.extend_from_slice(&U256::from(u8::from(self.operation)).to_be_bytes::<32>());
        words.extend_from_slice(&self.safe_tx_gas.to_be_bytes::<32>());
        words.extend_from_slice(&self.base_gas.to_be_bytes::<32>());
        words.extend_from_slice(&self.gas_price.to_be_bytes::<32>());
        words.extend_from_slice(address_word(self.gas_token).as_slice());
        words.extend_from_slice(address_word(self.refund_receiver).as_slice());
        words.extend_from_slice(&self.nonce.to_be_bytes::<32>());
        keccak256(&words)
    }
}

/// An address left-padded to a 32-byte ABI word.
fn address_word(a: Address) -> B256 {
    a.into_word()
}

/// The EIP-712 domain separator of a Safe: `keccak256(typehash ‖ [chainId] ‖ safe)`, with
/// no name or version field; chainId only from 1.3.0 on.
#[must_use]
pub fn domain_separator(version: SafeVersion, chain_id: u64, safe: Address) -> B256 {
    let mut buf = Vec::with_capacity(96);
    if version.domain_has_chain_id() {
        buf.extend_from_slice(DOMAIN_TYPEHASH.as_slice());
        buf.extend_from_slice(&U256::from(chain_id).to_be_bytes::<32>());
    } else {
        buf.extend_from_slice(DOMAIN_TYPEHASH_LEGACY.as_slice());
    }
    buf.extend_from_slice(address_word(safe).as_slice());
    keccak256(&buf)
}

/// `safeTxHash = keccak256(0x19 ‖ 0x01 ‖ domainSeparator ‖ structHash)`: what owners sign.
#[must_use]
pub fn safe_tx_hash(version: SafeVersion, chain_id: u64, safe: Address, tx: &SafeTransaction) -> B256 {
    let mut buf = [0u8; 66];
    buf[0] = 0x19;
    buf[1] = 0x01;
    buf[2..34].copy_from_slice(domain_separator(version, chain_id, safe).as_slice());
    buf[34..66].copy_from_slice(tx.struct_hash().as_slice());
    keccak256(buf)
}

/// `keccak256("\x19Ethereum Signed Message:\n32" ‖ hash)`: what an `eth_sign` signer signs.
#[must_use]
pub fn eth_signed_message_hash(hash: B256) -> B256 {
    let mut buf = Vec::with_capacity(60);
    buf.extend_from_slice(b"\x19Ethereum Signed Message:\n32");
    buf.extend_from_slice(hash.as_slice());
    keccak256(&buf)
}

/// The EVM `ecrecover` precompile: the signer of `hash`, or `None` where the precompile
/// returns nothing (v not 27/28, r or s outside `[1, n)`, or no curve point). High `s`
/// is accepted, as the precompile does.
#[must_use]
pub fn ecrecover(hash: B256, v: u8, r: U256, s: U256) -> Option<Address> {
    let parity = match v {
        27 => false,
        28 => true,
        _ => return None,
    };
    if r.is_zero() || s.is_zero() || r >= SECP256K1_N || s >= SECP256K1_N {
        return None;
    }
    Signature::new(r, s, parity).recover_address_from_prehash(&hash).ok()
}

/// How an owner's approval was given, from the `v` byte of its signature item.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignatureKind {
    /// v = 27/28: ECDSA over the safeTxHash; verified here.
    Ecdsa,
    /// v > 30: ECDSA over the `eth_sign` prefixed hash, v − 4; verified here.
    EthSign,
    /// v = 1: the owner approved the hash on chain (`approveHash`) or is the executor.
    /// `verified` is true only when the owner is the executor given to [`Multisig::verify`];
    /// otherwise `approvedHashes[owner][hash]` must be read on chain.
    ApprovedHash {
        /// Whether the owner is the executor (no on-chain read needed).
        verified: bool,
    },
    /// v = 0: an EIP-1271 contract signature; the owner contract must be asked on chain.
    Contract {
        /// The signature bytes to pass to `isValidSignature`.
        signature: Bytes,
    },
}

/// One of the first `threshold` signature items, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedSignature {
    /// Index of the item in the blob.
    pub position: usize,
    /// The owner it stands for.
    pub owner: Address,
    /// How it approves.
    pub kind: SignatureKind,
}

impl CheckedSignature {
    /// Whether this approval is proven off chain (ECDSA, eth_sign or the executor's own
    /// approval).
    #[must_use]
    pub fn is_verified(&self) -> bool {
        match self.kind {
            SignatureKind::Ecdsa | SignatureKind::EthSign => true,
            SignatureKind::ApprovedHash { verified } => verified,
            SignatureKind::Contract { .. } => false,
        }
    }
}

/// The result of a signature check that passed every rule Safe applies off chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Approval {
    /// The hash the owners approved.
    pub safe_tx_hash: B256,
    /// The first `threshold` signatures, in order.
    pub signatures: Vec<CheckedSignature>,
}

impl Approval {
    /// The approving owners, ascending.
    #[must_use]
    pub fn approvers(&self) -> Vec<Address> {
        self.signatures.iter().map(|s| s.owner).collect()
    }

    /// Whether every counted approval is proven off chain; false when a contract signature
    /// or an approved hash still needs an on-chain read.
    #[must_use]
    pub fn is_fully_verified(&self) -> bool {
        self.signatures.iter().all(CheckedSignature::is_verified)
    }

    /// The approvals that need an on-chain check.
    #[must_use]
    pub fn needs_on_chain_check(&self) -> Vec<&CheckedSignature> {
        self.signatures.iter().filter(|s| !s.is_verified()).collect()
    }
}

/// A Safe's signing configuration: what the contract stores and checks against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Multisig {
    safe: Address,
    chain_id: u64,
    version: SafeVersion,
    owners: BTreeSet<Address>,
    threshold: usize,
}

impl Multisig {
    /// A Safe with these owners and threshold, validated as `setupOwners` does.
    ///
    /// # Errors
    /// [`SafeError::ThresholdZero`], [`SafeError::ThresholdAboveOwners`],
    /// [`SafeError::InvalidOwner`] (zero, sentinel or the Safe itself) or
    /// [`SafeError::DuplicateOwner`].
    pub fn new(
        safe: Address,
        chain_id: u64,
        version: SafeVersion,
        owners: &[Address],
        threshold: usize,
    ) -> Result<Self, SafeError> {
        if threshold == 0 {
            return Err(SafeError::ThresholdZero);
        }
        if threshold > owners.len() {
            return Err(SafeError::ThresholdAboveOwners { threshold, owners: owners.len() });
        }
        let mut set = BTreeSet::new();
        for &owner in owners {
            if owner == Address::ZERO || owner == SENTINEL_OWNERS || owner == safe {
                return Err(SafeError::InvalidOwner { owner });
            }
            if !set.insert(owner) {
                return Err(SafeError::DuplicateOwner { owner });
            }
        }
        Ok(Self { safe, chain_id, version, owners: set, threshold })
    }

    /// The Safe's address (the EIP-712 verifying contract).
    #[must_use]
    pub fn safe(&self) -> Address {
        self.safe
    }

    /// The chain id (used in the domain from 1.3.0 on).
    #[must_use]
    pub fn chain_id(&self) -> u64 {
        self.chain_id
    }

    /// The contract version.
    #[must_use]
    pub fn version(&self) -> SafeVersion {
        self.version
    }

    /// The owners, ascending.
    pub fn owners(&self) -> impl Iterator<Item = Address> + '_ {
        self.owners.iter().copied()
    }

    /// Signatures required.
    #[must_use]
    pub fn threshold(&self) -> usize {
        self.threshold
    }

    /// Whether `a` is an owner.
    #[must_use]
    pub fn is_owner(&self, a: Address) -> bool {
        self.owners.contains(&a)
    }

    /// The domain separator of this Safe.
    #[must_use]
    pub fn domain_separator(&self) -> B256 {
        domain_separator(self.version, self.chain_id, self.safe)
    }

    /// The safeTxHash of `tx` for this Safe.
    #[must_use]
    pub fn safe_tx_hash(&self, tx: &SafeTransaction) -> B256 {
        safe_tx_hash(self.version, self.chain_id, self.safe, tx)
    }

    /// Hashes `tx` and checks `signatures` against it; see [`Multisig::check_signatures`].
    ///
    /// # Errors
    /// The first rule that fails, as [`Multisig::check_signatures`].
    pub fn verify(
        &self,
        tx: &SafeTransaction,
        signatures: &[u8],
        executor: Option<Address>,
    ) -> Result<Approval, SafeError> {
        self.check_signatures(self.safe_tx_hash(tx), signatures, executor)
    }

    /// Checks the first `threshold` signature items of `signatures` against `hash` as
    /// `checkNSignatures` does: `v = 0` contract signatures (offsets checked, EIP-1271
    /// left to the chain), `v = 1` approved hashes (proven only if the owner is
    /// `executor`), `v > 30` eth_sign, otherwise `ecrecover`; each signer must be an owner
    /// and strictly above the previous one. Extra items and trailing bytes are ignored,
    /// as the contract ignores them.
    ///
    /// # Errors
    /// The first rule that fails, in the contract's order, with its GS code.
    pub fn check_signatures(
        &self,
        hash: B256,
        signatures: &[u8],
        executor: Option<Address>,
    ) -> Result<Approval, SafeError> {
        let threshold = self.threshold;
        let needed = threshold * SIGNATURE_LEN;
        if signatures.len() < needed {
            return Err(SafeError::SignaturesTooShort { len: signatures.len(), threshold, needed });
        }
        let mut checked = Vec::with_capacity(threshold);
        let mut last = Address::ZERO;
        for position in 0..threshold {
            let item = &signatures[position * SIGNATURE_LEN..(position + 1) * SIGNATURE_LEN];
            let r = U256::from_be_slice(&item[0..32]);
            let s = U256::from_be_slice(&item[32..64]);
            let v = item[64];
            let (signer, kind) = match v {
                0 => {
                    let signature = contract_signature(signatures, position, s, needed)?;
                    (low_address(&item[0..32]), SignatureKind::Contract { signature })
                }
                1 => {
                    let owner = low_address(&item[0..32]);
                    (owner, SignatureKind::ApprovedHash { verified: executor == Some(owner) })
                }
                31..=u8::MAX => {
                    let signer = ecrecover(eth_signed_message_hash(hash), v - 4, r, s)
                        .ok_or(SafeError::Unrecoverable { position, v })?;
                    (signer, SignatureKind::EthSign)
                }
                _ => {
                    let signer = ecrecover(hash, v, r, s).ok_or(SafeError::Unrecoverable { position, v })?;
                    (signer, SignatureKind::Ecdsa)
                }
            };
            if signer == last && position > 0 {
                return Err(SafeError::DuplicateSigner { position, owner: signer });
            }
            if signer <= last {
                return Err(SafeError::NotAscending { position, signer, previous: last });
            }
            if !self.is_owner(signer) {
                return Err(SafeError::NotOwner { position, signer });
            }
            checked.push(CheckedSignature { position, owner: signer, kind });
            last = signer;
        }
        Ok(Approval { safe_tx_hash: hash, signatures: checked })
    }
}

/// A Safe transaction, its signatures and the Safe's configuration, as one JSON document
/// (what `bulwark verify safe-tx` reads). Numbers are decimal or `0x` hex strings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SafeTxRequest {
    /// The Safe's address.
    pub safe: Address,
    /// The chain id.
    pub chain_id: u64,
    /// The Safe contract version, e.g. `"1.3.0"`.
    pub version: SafeVersion,
    /// The owners.
    pub owners: Vec<Address>,
    /// Signatures required.
    pub threshold: usize,
    /// The transaction.
    pub tx: SafeTransaction,
    /// The signature blob as `execTransaction` receives it, `0x` hex.
    pub signatures: Bytes,
    /// The account that would call `execTransaction`, whose `v = 1` approval needs no
    /// on-chain read.
    #[serde(default)]
    pub executor: Option<Address>,
    /// The safeTxHash the signer was shown, to compare with the computed one.
    #[serde(default)]
    pub safe_tx_hash: Option<B256>,
}

/// `address(uint160(uint256(word)))`: the low 20 bytes of a 32-byte word.
fn low_address(word: &[u8]) -> Address {
    Address::from_slice(&word[12..32])
}

/// The dynamic part of a `v = 0` item: `s` is the offset of `len ‖ data`, checked as
/// `GS021`-`GS023` in the contract.
fn contract_signature(signatures: &[u8], position: usize, offset: U256, static_len: usize) -> Result<Bytes, SafeError> {
    let len = signatures.len();
    if offset < U256::from(static_len) {
        return Err(SafeError::ContractSignatureInsideStaticPart { position, offset, min: static_len });
    }
    let start = usize::try_from(offset)
        .ok()
        .filter(|o| o.checked_add(32).is_some_and(|end| end <= len))
        .ok_or(SafeError::ContractSignatureOutOfBounds { position, offset, len })?;
    let data_len = U256::from_be_slice(&signatures[start..start + 32]);
    let data_start = start + 32;
    let data_end = usize::try_from(data_len)
        .ok()
        .and_then(|l| data_start.checked_add(l))
        .filter(|&end| end <= len)
        .ok_or(SafeError::ContractSignatureDataOutOfBounds { position, offset, data_len, len })?;
    Ok(Bytes::copy_from_slice(&signatures[data_start..data_end]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typehashes_are_the_keccak_of_their_type_strings() {
        // Type strings: safe-global/safe-smart-account contracts/Safe.sol (REFERENCES 8.1).
        assert_eq!(
            keccak256(
                "SafeTx(address to,uint256 value,bytes data,uint8 operation,uint256 safeTxGas,uint256 baseGas,\
uint256 gasPrice,address gasToken,address refundReceiver,uint256 nonce)"
            ),
            SAFE_TX_TYPEHASH
        );
        assert_eq!(keccak256("EIP712Domain(uint256 chainId,address verifyingContract)"), DOMAIN_TYPEHASH);
        assert_eq!(keccak256("EIP712Domain(address verifyingContract)"), DOMAIN_TYPEHASH_LEGACY);
    }

    #[test]
    fn version_strings_round_trip() {
        for v in SafeVersion::ALL {
            assert_eq!(v.as_str().parse::<SafeVersion>(), Ok(v));
        }
        assert!("1.5.0".parse::<SafeVersion>().is_err());
    }
}
