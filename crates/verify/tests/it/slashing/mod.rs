//! Slashing evidence and slashing protection.

mod cometbft;
mod ethereum;
mod interchange;

use proptest::prelude::*;

use bulwark_verify::slashing::{cometbft as cmt, detect, ethereum as eth, interchange::Interchange};

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Every parser turns arbitrary bytes into a value or an error, never a panic.
    #[test]
    fn parsers_survive_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = detect(&bytes);
        let _ = eth::verify_json(&bytes);
        let _ = cmt::verify_json(&bytes);
        let _ = Interchange::parse(&bytes);
    }

    /// The same for JSON-shaped text, which gets further into the parsers.
    #[test]
    fn parsers_survive_arbitrary_json(s in r#"\{("[a-z_]{1,12}":("[0-9a-fx]{0,10}"|[0-9]{1,4}|\[\]|\{\}|null),?){0,6}\}"#) {
        let _ = detect(s.as_bytes());
        let _ = eth::verify_json(s.as_bytes());
        let _ = cmt::verify_json(s.as_bytes());
        let _ = Interchange::parse(s.as_bytes());
    }
}
