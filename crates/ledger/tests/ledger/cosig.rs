//! Cosignature tests. Vectors: the example message and cosigned checkpoint of
//! C2SP `tlog-cosignature.md` (the witness key is not published: the example
//! cosignature is parsed — key ID, timestamp — but not verified).

use qiantang_ledger::checkpoint::Checkpoint;
use qiantang_ledger::cosig::{
    cosign, cosigned_message, parse_timestamped, CosigError, MAX_TIMESTAMP,
};
use qiantang_ledger::note::{KeyType, NoteError, SignedNote, SignerKey, VerifierKey};

/// C2SP tlog-cosignature.md, the example checkpoint with a cosignature.
const SPEC_EXAMPLE: &str = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n— example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n— witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==\n";

#[test]
fn spec_example_message_and_cosignature() {
    let note = SignedNote::parse(SPEC_EXAMPLE.as_bytes()).unwrap();
    // tlog-cosignature.md "Ed25519 signed message" example, verbatim.
    let want = "cosignature/v1\ntime 1679315147\nexample.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
    assert_eq!(cosigned_message(1679315147, &note.text), want.as_bytes());
    let w = &note.signatures[1];
    assert_eq!(w.name, "witness.example.com/w1");
    assert_eq!(w.key_id, 0x8d66cf3f);
    // The example's timestamp is the one in the example message.
    let (ts, _) = parse_timestamped(&w.signature).unwrap();
    assert_eq!(ts, 1679315147);
}

#[test]
fn cosign_and_verify() {
    let cp = Checkpoint {
        origin: "qiantang.example/log".into(),
        size: 3,
        root: [3; 32],
        extensions: vec![],
    };
    let text = cp.to_text().unwrap();
    let log = SignerKey::from_seed("qiantang.example/log", KeyType::Ed25519, &[1; 32]).unwrap();
    let w = SignerKey::from_seed("witness.example/hz", KeyType::CosignatureV1, &[2; 32]).unwrap();
    let wv = VerifierKey::parse(&w.verifier_key().to_string()).unwrap();
    assert_eq!(wv.key_type(), KeyType::CosignatureV1);
    assert!(
        wv.to_string().rsplit('+').next().unwrap().starts_with('B'),
        "type byte 0x04 encodes as base64 'B…': {wv}"
    );
    let mut note = cp.sign(&log).unwrap();
    let sig = cosign(&text, 1_700_000_000, &w).unwrap();
    assert_eq!(sig.signature.len(), 72);
    note.signatures.push(sig);
    let parsed = SignedNote::parse(note.to_text().as_bytes()).unwrap();
    let v = parsed.verify(&[log.verifier_key(), wv.clone()]).unwrap();
    assert_eq!(v.verified[0].timestamp, None);
    assert_eq!(v.verified[1].timestamp, Some(1_700_000_000));

    // The same key bytes as a 0x01 key have another key ID: the cosignature is unknown to it.
    let plain = VerifierKey::new(wv.name(), KeyType::Ed25519, &wv.public_key()).unwrap();
    assert_ne!(plain.key_id(), wv.key_id());
    assert_eq!(parsed.verify(&[plain]), Err(NoteError::NoKnownSignature));

    // Tamper with the timestamp: signature no longer verifies.
    let mut t = parsed.clone();
    t.signatures[1].signature[7] ^= 1;
    assert!(matches!(
        t.verify(std::slice::from_ref(&wv)),
        Err(NoteError::InvalidSignature { .. })
    ));
    // Truncated cosignature.
    let mut t = parsed.clone();
    t.signatures[1].signature.truncate(64);
    assert!(matches!(
        t.verify(&[wv]),
        Err(NoteError::InvalidSignature { .. })
    ));

    assert_eq!(
        cosign(&text, MAX_TIMESTAMP + 1, &w),
        Err(CosigError::TimestampTooLarge(MAX_TIMESTAMP + 1))
    );
    assert_eq!(
        cosign(&text, 1, &log),
        Err(CosigError::WrongKeyType(KeyType::Ed25519))
    );
    assert!(matches!(
        cosign("no newline", 1, &w),
        Err(CosigError::Text(_))
    ));
    assert_eq!(
        parse_timestamped(&[0; 71]),
        Err(CosigError::WrongLength(71))
    );
}
