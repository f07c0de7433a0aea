//! Signed-note tests.
//!
//! Vectors: the PeterNeumann / EnochRoot keys, text and signatures of the
//! reference implementation's tests, golang.org/x/mod/sumdb/note
//! `note_test.go` (TestNewVerifier, TestNewSigner, TestSign, TestOpen), and
//! the example note of C2SP `signed-note.md` (whose key is not published, so
//! it is parsed, not verified).

use qiantang_ledger::note::{
    key_id, sign_note, KeyError, KeyType, NoteError, NoteSignature, SignatureLineProblem,
    SignedNote, SignerKey, VerifierKey, MAX_SIGNATURES,
};

const PETER_VKEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
const PETER_SKEY: &str =
    "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
const ENOCH_VKEY: &str = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
const TEXT: &str = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const PETER_SIG: &str =
    "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
const ENOCH_SIG: &str =
    "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";

fn peter() -> VerifierKey {
    VerifierKey::parse(PETER_VKEY).unwrap()
}
fn enoch() -> VerifierKey {
    VerifierKey::parse(ENOCH_VKEY).unwrap()
}
fn note(s: &str) -> Result<SignedNote, NoteError> {
    SignedNote::parse(s.as_bytes())
}

#[test]
fn verifier_key_parse_and_format() {
    let v = peter();
    assert_eq!(v.name(), "PeterNeumann");
    assert_eq!(v.key_id(), 0xc74f20a3);
    assert_eq!(v.key_type(), KeyType::Ed25519);
    assert_eq!(
        key_id("PeterNeumann", KeyType::Ed25519, &v.public_key()),
        0xc74f20a3
    );
    assert_eq!(v.to_string(), PETER_VKEY);
    assert_eq!(enoch().to_string(), ENOCH_VKEY);
}

#[test]
fn verifier_key_manglings_rejected() {
    // note_test.go TestNewVerifier: every proper substring and every
    // single-byte increment must be rejected.
    let b = PETER_VKEY.as_bytes();
    for i in 0..=b.len() {
        for j in i + 1..=b.len() {
            if i != 0 || j != b.len() {
                let s = String::from_utf8_lossy(&b[i..j]);
                assert!(VerifierKey::parse(&s).is_err(), "accepted {s:?}");
            }
        }
    }
    for i in 0..b.len() {
        let mut m = b.to_vec();
        m[i] += 1;
        let s = String::from_utf8_lossy(&m);
        assert!(VerifierKey::parse(&s).is_err(), "accepted {s:?}");
    }
    // Wrong-length key with adjusted key hash; unknown algorithm with adjusted hash.
    // (Go's lenient base64 decodes it to 37 bytes; strict base64 already
    // refuses its non-zero trailing bits.)
    assert!(VerifierKey::parse(
        "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY=="
    )
    .is_err());
    assert_eq!(
        VerifierKey::parse("PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"),
        Err(KeyError::UnsupportedType(0x65))
    );
    // Precise errors.
    assert!(matches!(
        VerifierKey::parse("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"),
        Err(KeyError::KeyIdMismatch {
            stated: 0xc74f20a4,
            computed: 0xc74f20a3
        })
    ));
    assert!(matches!(
        VerifierKey::parse("PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"),
        Err(KeyError::InvalidKeyId(_))
    ));
    assert!(matches!(
        VerifierKey::parse("Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"),
        Err(KeyError::InvalidName(_))
    ));
    assert!(matches!(
        VerifierKey::parse("PeterNeumann"),
        Err(KeyError::Malformed { .. })
    ));
}

#[test]
fn signer_key_parse_format_and_manglings() {
    let s = SignerKey::parse(PETER_SKEY).unwrap();
    assert_eq!(s.name(), "PeterNeumann");
    assert_eq!(s.key_id(), 0xc74f20a3);
    assert_eq!(s.verifier_key(), peter());
    assert_eq!(s.to_private_text(), PETER_SKEY);
    assert!(!format!("{s:?}").contains("AYEKFALV"));
    // note_test.go TestNewSigner manglings.
    let b = PETER_SKEY.as_bytes();
    for i in 0..=b.len() {
        for j in i + 1..=b.len() {
            if i != 0 || j != b.len() {
                let t = String::from_utf8_lossy(&b[i..j]);
                assert!(SignerKey::parse(&t).is_err(), "accepted {t:?}");
            }
        }
    }
    for i in 0..b.len() {
        let mut m = b.to_vec();
        m[i] += 1;
        let t = String::from_utf8_lossy(&m);
        assert!(SignerKey::parse(&t).is_err(), "accepted {t:?}");
    }
}

#[test]
fn sign_reproduces_reference_note() {
    // note_test.go TestSign: Ed25519 is deterministic, so the note must match byte for byte.
    let s = SignerKey::parse(PETER_SKEY).unwrap();
    let n = sign_note(TEXT, &[&s]).unwrap();
    assert_eq!(n.to_text(), format!("{TEXT}\n{PETER_SIG}"));
    assert_eq!(
        sign_note("abc", &[&s]),
        Err(NoteError::TextNotNewlineTerminated)
    );
    assert!(matches!(
        sign_note("a\x01b\n", &[&s]),
        Err(NoteError::ControlCharacter { byte: 1, offset: 1 })
    ));
    assert_eq!(sign_note(TEXT, &[]), Err(NoteError::NoSignatures));
    let cosigner = SignerKey::from_seed("w", KeyType::CosignatureV1, &[7; 32]).unwrap();
    assert!(matches!(
        sign_note(TEXT, &[&cosigner]),
        Err(NoteError::Key(KeyError::WrongType { .. }))
    ));
}

#[test]
fn open_reports_known_and_unknown_signers() {
    // note_test.go TestOpen.
    let both = format!("{TEXT}\n{PETER_SIG}{ENOCH_SIG}");
    let n = note(&both).unwrap();
    assert_eq!(n.text, TEXT);
    let v = n.verify(&[peter()]).unwrap();
    assert_eq!(v.verified.len(), 1);
    assert_eq!(
        (
            v.verified[0].name.as_str(),
            v.verified[0].key_id,
            v.verified[0].key_index
        ),
        ("PeterNeumann", 0xc74f20a3, 0)
    );
    assert_eq!(v.verified[0].timestamp, None);
    assert_eq!(v.unknown.len(), 1);
    assert_eq!(
        (v.unknown[0].name.as_str(), v.unknown[0].key_id),
        ("EnochRoot", 0xaf0cfe78)
    );

    let v = n.verify(&[enoch(), peter()]).unwrap();
    let who: Vec<(usize, &str)> = v
        .verified
        .iter()
        .map(|s| (s.key_index, s.name.as_str()))
        .collect();
    assert_eq!(who, vec![(1, "PeterNeumann"), (0, "EnochRoot")]);
    assert!(v.unknown.is_empty());

    assert_eq!(n.verify(&[]), Err(NoteError::NoKnownSignature));
    assert_eq!(n.verify_known(&[]).unwrap().unknown.len(), 2);

    // Duplicated verifier.
    let e = note(&format!("{TEXT}\n{ENOCH_SIG}")).unwrap();
    assert_eq!(
        e.verify(&[enoch(), peter(), enoch()]),
        Err(NoteError::AmbiguousKey {
            name: "EnochRoot".into(),
            key_id: 0xaf0cfe78
        })
    );
    // Unused duplicated verifier.
    note(&format!("{TEXT}\n{PETER_SIG}"))
        .unwrap()
        .verify(&[enoch(), peter(), enoch()])
        .unwrap();

    // Invalid signature (4 base64 chars inserted, as in note_test.go).
    let bad = format!("{TEXT}\n{}ABCD{}", &PETER_SIG[..60], &PETER_SIG[60..]);
    assert_eq!(
        note(&bad).unwrap().verify(&[peter()]),
        Err(NoteError::InvalidSignature {
            name: "PeterNeumann".into(),
            key_id: 0xc74f20a3
        })
    );
    // Same key id and name, different key: still InvalidSignature is impossible
    // to construct without a collision; a same-name other key is just unknown.
    let other = SignerKey::from_seed("PeterNeumann", KeyType::Ed25519, &[9; 32])
        .unwrap()
        .verifier_key();
    assert_eq!(n.verify(&[other]), Err(NoteError::NoKnownSignature));

    // Tampered text.
    let tampered = both.replace("cryptography", "cryptographY");
    assert!(matches!(
        note(&tampered).unwrap().verify(&[peter()]),
        Err(NoteError::InvalidSignature { .. })
    ));

    // Stricter than the reference: a known key signing twice is rejected;
    // duplicated unknown signatures are ignored.
    let dup = format!("{TEXT}\n{PETER_SIG}{PETER_SIG}{ENOCH_SIG}{ENOCH_SIG}");
    assert_eq!(
        note(&dup).unwrap().verify(&[peter()]),
        Err(NoteError::DuplicateSignature {
            name: "PeterNeumann".into(),
            key_id: 0xc74f20a3
        })
    );
    let dup_unknown = format!("{TEXT}\n{PETER_SIG}{ENOCH_SIG}{ENOCH_SIG}");
    assert_eq!(
        note(&dup_unknown)
            .unwrap()
            .verify(&[peter()])
            .unwrap()
            .unknown
            .len(),
        2
    );
}

#[test]
fn malformed_notes_rejected_precisely() {
    // note_test.go TestOpen badMsgs, each with its precise error here.
    let mangled_sig = format!("{TEXT}\n— Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n");
    let line = |line, problem| NoteError::MalformedSignatureLine { line, problem };
    let cases: Vec<(Vec<u8>, NoteError)> = vec![
        (TEXT.into(), NoteError::MissingSeparator),
        (format!("{TEXT}\n").into(), NoteError::NoSignatures),
        (
            format!("{TEXT}\n{}", &PETER_SIG[..PETER_SIG.len() - 1]).into(),
            NoteError::UnterminatedSignatureLine,
        ),
        (
            format!("\x01{TEXT}\n{PETER_SIG}").into(),
            NoteError::ControlCharacter { byte: 1, offset: 0 },
        ),
        (
            [
                b"\xff".as_slice(),
                format!("{TEXT}\n{PETER_SIG}").as_bytes(),
            ]
            .concat(),
            NoteError::NotUtf8,
        ),
        // "Bad Name": the name is "Bad", then "Name x08go…" is not base64.
        (
            mangled_sig.into(),
            line(1, SignatureLineProblem::InvalidBase64),
        ),
        (
            format!("{TEXT}\n{PETER_SIG}Unexpected line.\n").into(),
            line(2, SignatureLineProblem::MissingEmDash),
        ),
        (
            format!("{TEXT}\n— PeterNeumann\n").into(),
            line(1, SignatureLineProblem::MissingSpace),
        ),
        (
            format!("{TEXT}\n— a+b AAAAAAAA\n").into(),
            line(1, SignatureLineProblem::InvalidKeyName),
        ),
        (
            format!("{TEXT}\n—  AAAAAAAA\n").into(),
            line(1, SignatureLineProblem::InvalidKeyName),
        ),
        (
            format!("{TEXT}\n— k AAAA\n").into(),
            line(1, SignatureLineProblem::TooShort),
        ),
        (
            format!("{TEXT}\n- k AAAAAAAA\n").into(),
            line(1, SignatureLineProblem::MissingEmDash),
        ),
        (
            format!("{TEXT}\n{}", PETER_SIG.repeat(MAX_SIGNATURES + 1)).into(),
            NoteError::TooManySignatures {
                max: MAX_SIGNATURES,
            },
        ),
    ];
    for (msg, want) in cases {
        assert_eq!(
            SignedNote::parse(&msg),
            Err(want),
            "{}",
            String::from_utf8_lossy(&msg)
        );
    }
    // Exactly MAX_SIGNATURES lines parse (the spec requires accepting ≥ 16).
    assert_eq!(
        note(&format!("{TEXT}\n{}", PETER_SIG.repeat(MAX_SIGNATURES)))
            .unwrap()
            .signatures
            .len(),
        MAX_SIGNATURES
    );
}

#[test]
fn spec_example_note_parses() {
    // C2SP signed-note.md, the example at the top (key not published).
    let example = "Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\ned è subito sera.\n\n— quasimodo.example/salvatore NnugSzTjtVAewIS+Z/iJhUPeFDkO/5QQ2i5ddnGITLlC+EhfLW9oJKONrMouFSQU0xMcXxj99ihAQwaqP3ZekRwNtIc=\n";
    let n = note(example).unwrap();
    // The text keeps its inner empty line: the *last* blank line separates.
    assert_eq!(n.text, "Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\ned è subito sera.\n");
    assert_eq!(n.signatures.len(), 1);
    assert_eq!(n.signatures[0].name, "quasimodo.example/salvatore");
    assert_eq!(n.signatures[0].key_id, 0x367ba04b);
    assert_eq!(n.signatures[0].signature.len(), 64);
    assert_eq!(n.to_text(), example);
    assert_eq!(n.verify(&[peter()]), Err(NoteError::NoKnownSignature));
}

#[test]
fn generated_keys_round_trip() {
    let s = SignerKey::from_seed("qiantang.example/log", KeyType::Ed25519, &[42; 32]).unwrap();
    let v = VerifierKey::parse(&s.verifier_key().to_string()).unwrap();
    assert_eq!(v, s.verifier_key());
    assert_eq!(
        SignerKey::parse(&s.to_private_text()).unwrap().key_id(),
        s.key_id()
    );
    let n = sign_note("版权存证\n", &[&s]).unwrap();
    let parsed = SignedNote::parse(n.to_text().as_bytes()).unwrap();
    assert_eq!(parsed, n);
    parsed.verify(&[v]).unwrap();
    assert!(matches!(
        SignerKey::from_seed("a b", KeyType::Ed25519, &[0; 32]),
        Err(KeyError::InvalidName(_))
    ));
    // A small-order public key is refused.
    let mut identity = [0u8; 32];
    identity[0] = 1;
    assert_eq!(
        VerifierKey::new("x", KeyType::Ed25519, &identity),
        Err(KeyError::InvalidPublicKey)
    );
    let sig = NoteSignature {
        name: "k".into(),
        key_id: 1,
        signature: vec![0; 64],
    };
    assert!(sig.to_line().starts_with("— k AAAAA"));
}
