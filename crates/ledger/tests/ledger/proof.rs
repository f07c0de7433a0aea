//! tlog-proof tests: the C2SP `tlog-proof.md` example (format only: its
//! signatures are elided with `[...]` in the spec), and end-to-end proofs
//! over a real tree with tamper tests, each rejected with its own variant.

use qiantang_ledger::checkpoint::Checkpoint;
use qiantang_ledger::cosig::cosign;
use qiantang_ledger::merkle::{inclusion_proof, leaf_hash, InclusionError, MemoryTree};
use qiantang_ledger::note::{KeyType, NoteError, SignerKey, VerifierKey};
use qiantang_ledger::proof::{verify_proof, Leaf, ProofError, ProofParseError, TlogProof};

/// C2SP tlog-proof.md example, verbatim (signatures elided by the spec).
const SPEC_EXAMPLE: &str = "c2sp.org/tlog-proof@v1
extra YWdlLXYxLjIuMS1kYXJ3aW4tYXJtNjQudGFyLmd6kYXJ3aW4tYXJ
index 73894
gSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQ=
B95lDa8R83lS8n0eG+o0buTxRKQTYFi//1U8anccXmA=
EKNzoDWG8LGC0Yp9o+sv3qllpMP9uHQ9B20KNL+Q1zs=
RoopEkOdqkYqMB4MJXrbt/hMjOxsVn0IrWjpz1ZMMes=
AHCioX9nLjsrse6YhjRRmk1WUEirVOLLRoOQ6vfO5vk=

example.com/fancylog
109482
sFodV/vSp5O8n9a8QpW6PRY97tfOSW5bsc2Xl/EQi08=

— example.com/fancylog hI2DJw[...]1roloI=
— witness1.example mJirIklj[...]qY9v2B/5bg==
— witness2.example TnKKVHLX[...]xwYwrSjgow==
— witness3.example S4X82uH5[...]3oEcROGLFQ==
";

#[test]
fn spec_example_format() {
    let p = TlogProof::parse(SPEC_EXAMPLE.as_bytes()).unwrap();
    assert_eq!(
        p.extra.as_deref().map(|e| &e[..10]),
        Some(&b"age-v1.2.1"[..])
    );
    assert_eq!(p.index, 73894);
    assert_eq!(p.inclusion.len(), 5);
    assert!(p.checkpoint.starts_with("example.com/fancylog\n109482\n"));
    assert_eq!(p.to_text(), SPEC_EXAMPLE);
    // Its elided signatures are not base64: the checkpoint note is rejected.
    let log = SignerKey::from_seed("example.com/fancylog", KeyType::Ed25519, &[1; 32]).unwrap();
    assert!(matches!(
        verify_proof(&p, Leaf::Data(b"x"), &log.verifier_key(), &[], 0),
        Err(ProofError::CheckpointNoteMalformed(
            NoteError::MalformedSignatureLine { line: 1, .. }
        ))
    ));
}

#[test]
fn parse_errors() {
    // The error cases of transparency-dev/merkle proof/tlog_proof_test.go, precise here.
    let cases: Vec<(String, ProofParseError)> = vec![
        (
            "wrong-header\nindex 0\n\ncheckpoint\n".into(),
            ProofParseError::MissingHeader,
        ),
        (
            "c2sp.org/tlog-proof@v1\nextra !!notbase64!!\nindex 0\n\ncheckpoint\n".into(),
            ProofParseError::InvalidExtra,
        ),
        (
            "c2sp.org/tlog-proof@v1\n\n\ncheckpoint\n".into(),
            ProofParseError::MissingIndex,
        ),
        (
            "c2sp.org/tlog-proof@v1\nindex notanumber\n\ncheckpoint\n".into(),
            ProofParseError::InvalidIndex("notanumber".into()),
        ),
        (
            "c2sp.org/tlog-proof@v1\nindex -5\n\ncheckpoint\n".into(),
            ProofParseError::InvalidIndex("-5".into()),
        ),
        (
            "c2sp.org/tlog-proof@v1\nindex 05\n\ncheckpoint\n".into(),
            ProofParseError::InvalidIndex("05".into()),
        ),
        (
            "c2sp.org/tlog-proof@v1\nindex 0\n!!notbase64!!\n\ncheckpoint\n".into(),
            ProofParseError::InvalidHash { line: 1 },
        ),
        (
            format!(
                "c2sp.org/tlog-proof@v1\nindex 0\n{}\n\ncheckpoint\n",
                "A".repeat(86) + "=="
            ),
            ProofParseError::InvalidHash { line: 1 },
        ),
        (
            "c2sp.org/tlog-proof@v1\nindex 0\n".into(),
            ProofParseError::MissingCheckpoint,
        ),
        (
            "c2sp.org/tlog-proof@v2\nindex 0\n\ncheckpoint\n".into(),
            ProofParseError::MissingHeader,
        ),
    ];
    for (text, want) in cases {
        assert_eq!(TlogProof::parse(text.as_bytes()), Err(want), "{text:?}");
    }
    assert_eq!(TlogProof::parse(b"\xff"), Err(ProofParseError::NotUtf8));
}

struct Fixture {
    entries: Vec<Vec<u8>>,
    log: SignerKey,
    witnesses: Vec<SignerKey>,
    proof: TlogProof,
}

const ORIGIN: &str = "qiantang.example/deposits";
const INDEX: u64 = 13;

/// A 37-entry log, a checkpoint cosigned by witnesses 0 and 1 (of 3), and
/// the proof for entry 13.
fn fixture() -> Fixture {
    let entries: Vec<Vec<u8>> = (0..37u32)
        .map(|i| format!("deposit #{i}: sha256=…").into_bytes())
        .collect();
    let mut tree = MemoryTree::new();
    for e in &entries {
        tree.push(e);
    }
    let log = SignerKey::from_seed(ORIGIN, KeyType::Ed25519, &[11; 32]).unwrap();
    let witnesses: Vec<SignerKey> = (0..3u8)
        .map(|i| {
            SignerKey::from_seed(
                &format!("witness{i}.example"),
                KeyType::CosignatureV1,
                &[20 + i; 32],
            )
            .unwrap()
        })
        .collect();
    let cp = Checkpoint {
        origin: ORIGIN.into(),
        size: tree.size(),
        root: tree.root(tree.size()).unwrap(),
        extensions: vec![],
    };
    let mut note = cp.sign(&log).unwrap();
    for (i, w) in witnesses.iter().take(2).enumerate() {
        note.signatures
            .push(cosign(&note.text, 1_750_000_000 + i as u64 * 7, w).unwrap());
    }
    let proof = TlogProof {
        extra: None,
        index: INDEX,
        inclusion: inclusion_proof(&tree, INDEX, tree.size()).unwrap(),
        checkpoint: note.to_text(),
    };
    Fixture {
        entries,
        log,
        witnesses,
        proof,
    }
}

impl Fixture {
    fn wkeys(&self) -> Vec<VerifierKey> {
        self.witnesses.iter().map(SignerKey::verifier_key).collect()
    }
    fn verify(
        &self,
        p: &TlogProof,
        threshold: usize,
    ) -> Result<qiantang_ledger::VerifiedProof, ProofError> {
        verify_proof(
            p,
            Leaf::Data(&self.entries[INDEX as usize]),
            &self.log.verifier_key(),
            &self.wkeys(),
            threshold,
        )
    }
}

#[test]
fn valid_proof_round_trips_and_verifies() {
    let f = fixture();
    let text = f.proof.to_text();
    let parsed = TlogProof::parse(text.as_bytes()).unwrap();
    assert_eq!(parsed, f.proof);
    let v = f.verify(&parsed, 2).unwrap();
    assert_eq!(v.index, INDEX);
    assert_eq!(v.checkpoint.size, 37);
    assert_eq!(v.leaf_hash, leaf_hash(&f.entries[INDEX as usize]));
    let names: Vec<&str> = v.cosignatures.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, vec!["witness0.example", "witness1.example"]);
    assert_eq!(v.earliest_cosignature, Some(1_750_000_000));
    // By leaf hash too, with extra data, and with a 0-of-3 policy.
    let mut with_extra = parsed.clone();
    with_extra.extra = Some(b"receipt metadata".to_vec());
    let with_extra = TlogProof::parse(with_extra.to_text().as_bytes()).unwrap();
    let lh = leaf_hash(&f.entries[INDEX as usize]);
    let v = verify_proof(
        &with_extra,
        Leaf::Hash(&lh),
        &f.log.verifier_key(),
        &f.wkeys(),
        0,
    )
    .unwrap();
    assert_eq!(v.extra.as_deref(), Some(&b"receipt metadata"[..]));
    // Witnesses outside the policy are ignored, not errors.
    verify_proof(
        &parsed,
        Leaf::Hash(&lh),
        &f.log.verifier_key(),
        &f.wkeys()[..1],
        1,
    )
    .unwrap();
}

#[test]
fn tampering_is_rejected_with_the_precise_reason() {
    let f = fixture();
    let p = &f.proof;

    // A changed byte in the deposited file.
    let mut data = f.entries[INDEX as usize].clone();
    data[0] ^= 1;
    assert!(matches!(
        verify_proof(p, Leaf::Data(&data), &f.log.verifier_key(), &f.wkeys(), 2),
        Err(ProofError::Inclusion(InclusionError::RootMismatch { .. }))
    ));

    // One byte of any proof hash.
    for i in 0..p.inclusion.len() {
        for byte in [0, 17, 31] {
            let mut t = p.clone();
            t.inclusion[i][byte] ^= 0x40;
            assert!(
                matches!(
                    f.verify(&t, 2),
                    Err(ProofError::Inclusion(InclusionError::RootMismatch { .. }))
                ),
                "hash {i} byte {byte}"
            );
        }
    }
    // A missing proof hash, a wrong index, an index beyond the tree.
    let mut t = p.clone();
    t.inclusion.pop();
    assert!(matches!(
        f.verify(&t, 2),
        Err(ProofError::Inclusion(
            InclusionError::WrongProofLength { .. }
        ))
    ));
    let mut t = p.clone();
    t.index = INDEX + 1;
    assert!(matches!(
        f.verify(&t, 2),
        Err(ProofError::Inclusion(InclusionError::RootMismatch { .. }))
    ));
    let mut t = p.clone();
    t.index = 37;
    assert!(matches!(
        f.verify(&t, 2),
        Err(ProofError::Inclusion(
            InclusionError::IndexOutOfRange { .. }
        ))
    ));

    // One byte of the checkpoint text (size digit, root character, origin).
    for (from, to) in [("\n37\n", "\n38\n"), (ORIGIN, "qiantang.example/deposita")] {
        let t = TlogProof {
            checkpoint: p.checkpoint.replacen(from, to, 1),
            ..p.clone()
        };
        assert_eq!(
            f.verify(&t, 2),
            Err(ProofError::LogSignatureInvalid),
            "{from}"
        );
    }
    let root_line = p.checkpoint.lines().nth(2).unwrap();
    let mut bad_root = root_line.as_bytes().to_vec();
    bad_root[5] = if bad_root[5] == b'A' { b'B' } else { b'A' };
    let t = TlogProof {
        checkpoint: p
            .checkpoint
            .replacen(root_line, std::str::from_utf8(&bad_root).unwrap(), 1),
        ..p.clone()
    };
    assert_eq!(f.verify(&t, 2), Err(ProofError::LogSignatureInvalid));

    // One byte of the log's signature.
    let mut note = qiantang_ledger::SignedNote::parse(p.checkpoint.as_bytes()).unwrap();
    note.signatures[0].signature[10] ^= 1;
    let t = TlogProof {
        checkpoint: note.to_text(),
        ..p.clone()
    };
    assert_eq!(f.verify(&t, 2), Err(ProofError::LogSignatureInvalid));

    // One byte of a cosignature (signature part, then timestamp part).
    for byte in [3, 40] {
        let mut note = qiantang_ledger::SignedNote::parse(p.checkpoint.as_bytes()).unwrap();
        note.signatures[2].signature[byte] ^= 1;
        let t = TlogProof {
            checkpoint: note.to_text(),
            ..p.clone()
        };
        assert_eq!(
            f.verify(&t, 2),
            Err(ProofError::CosignatureInvalid {
                name: "witness1.example".into(),
                key_id: f.witnesses[1].key_id()
            })
        );
    }
    // A duplicated cosignature line.
    let mut note = qiantang_ledger::SignedNote::parse(p.checkpoint.as_bytes()).unwrap();
    note.signatures.push(note.signatures[1].clone());
    let t = TlogProof {
        checkpoint: note.to_text(),
        ..p.clone()
    };
    assert!(matches!(
        f.verify(&t, 2),
        Err(ProofError::CosignatureDuplicated { .. })
    ));

    // Swap the log key: another key under the same name has another key ID.
    let other = SignerKey::from_seed(ORIGIN, KeyType::Ed25519, &[99; 32])
        .unwrap()
        .verifier_key();
    assert_eq!(
        verify_proof(
            p,
            Leaf::Data(&f.entries[INDEX as usize]),
            &other,
            &f.wkeys(),
            2
        ),
        Err(ProofError::LogSignatureMissing {
            name: ORIGIN.into(),
            key_id: other.key_id()
        })
    );

    // Policy not met: 3-of-3 with two cosignatures.
    assert_eq!(
        f.verify(p, 3),
        Err(ProofError::InsufficientCosignatures {
            required: 3,
            valid: 2
        })
    );
    // Policy misconfigured.
    assert!(matches!(
        verify_proof(p, Leaf::Data(b""), &f.log.verifier_key(), &f.wkeys(), 4),
        Err(ProofError::InvalidPolicy(_))
    ));
    assert!(matches!(
        verify_proof(p, Leaf::Data(b""), &f.wkeys()[0], &f.wkeys(), 1),
        Err(ProofError::InvalidPolicy(_))
    ));
    assert!(matches!(
        verify_proof(
            p,
            Leaf::Data(b""),
            &f.log.verifier_key(),
            &[f.log.verifier_key()],
            1
        ),
        Err(ProofError::InvalidPolicy(_))
    ));

    // A checkpoint signed by a log key whose name is not the origin.
    let misnamed = SignerKey::from_seed("other.example/log", KeyType::Ed25519, &[5; 32]).unwrap();
    let text = qiantang_ledger::SignedNote::parse(p.checkpoint.as_bytes())
        .unwrap()
        .text;
    let resigned = qiantang_ledger::note::sign_note(&text, &[&misnamed]).unwrap();
    let t = TlogProof {
        checkpoint: resigned.to_text(),
        ..p.clone()
    };
    assert_eq!(
        verify_proof(
            &t,
            Leaf::Data(&f.entries[INDEX as usize]),
            &misnamed.verifier_key(),
            &[],
            0
        ),
        Err(ProofError::OriginMismatch {
            expected: "other.example/log".into(),
            found: ORIGIN.into()
        })
    );

    // A signed note whose text is not a checkpoint.
    let junk = qiantang_ledger::note::sign_note("not a checkpoint\n", &[&f.log]).unwrap();
    let t = TlogProof {
        checkpoint: junk.to_text(),
        ..p.clone()
    };
    assert!(matches!(
        f.verify(&t, 0),
        Err(ProofError::CheckpointMalformed(_))
    ));
}
