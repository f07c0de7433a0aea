//! Checkpoint tests. Vector: the example checkpoint of C2SP
//! `tlog-checkpoint.md` (its log key is not published: parsed, not verified).

use qiantang_ledger::checkpoint::{Checkpoint, CheckpointError};
use qiantang_ledger::note::{KeyType, SignedNote, SignerKey};

/// C2SP tlog-checkpoint.md example.
const SPEC_EXAMPLE: &str = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n— example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n";

#[test]
fn spec_example_parses_and_round_trips() {
    let note = SignedNote::parse(SPEC_EXAMPLE.as_bytes()).unwrap();
    let cp = Checkpoint::parse(&note.text).unwrap();
    assert_eq!(cp.origin, "example.com/behind-the-sofa");
    assert_eq!(cp.size, 20852163);
    assert_eq!(
        hex::encode(cp.root),
        "0ac5186a91863e8e1d90c808014aa89bf5da8e3ee1d9f07630f0378f68f1ab62"
    );
    assert!(cp.extensions.is_empty());
    assert_eq!(cp.to_text().unwrap(), note.text);
    assert_eq!(cp.to_string(), note.text);
    // The log's key name matches the origin; key ID 0x033de0ae, 64-byte Ed25519 signature.
    assert_eq!(note.signatures[0].name, cp.origin);
    assert_eq!(note.signatures[0].key_id, 0x033de0ae);
    assert_eq!(note.signatures[0].signature.len(), 64);
}

#[test]
fn strict_parsing() {
    let root = "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=";
    let ok = |s: &str| Checkpoint::parse(s).unwrap();
    assert_eq!(ok(&format!("o\n0\n{root}\n")).size, 0);
    assert_eq!(
        ok(&format!("o\n18446744073709551615\n{root}\n")).size,
        u64::MAX
    );
    assert_eq!(
        ok(&format!("o\n1\n{root}\next one\next-two\n")).extensions,
        vec!["ext one", "ext-two"]
    );
    // Origins with spaces are only a SHOULD NOT: accepted.
    assert_eq!(ok(&format!("my log\n1\n{root}\n")).origin, "my log");

    let err = |s: &str| Checkpoint::parse(s).unwrap_err();
    assert_eq!(
        err(&format!("o\n1\n{root}")),
        CheckpointError::NotNewlineTerminated
    );
    assert_eq!(err("o\n1\n"), CheckpointError::TooFewLines(2));
    assert_eq!(err(&format!("\n1\n{root}\n")), CheckpointError::EmptyOrigin);
    for size in [
        "01",
        "+1",
        "-1",
        " 1",
        "1 ",
        "",
        "0x10",
        "18446744073709551616",
        "١",
    ] {
        assert_eq!(
            err(&format!("o\n{size}\n{root}\n")),
            CheckpointError::InvalidSize(size.into()),
            "{size:?}"
        );
    }
    for r in [
        "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I", // unpadded
        "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2J=", // non-canonical trailing bits
        "CsUYapGGPo4dkMgIAUqom_Xajj7h2fB2MPA3j2jxq2I=", // URL alphabet
        "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jx",    // 30 bytes
        "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2Ja", // 33 bytes
    ] {
        assert_eq!(
            err(&format!("o\n1\n{r}\n")),
            CheckpointError::InvalidRootHash(r.into()),
            "{r}"
        );
    }
    assert_eq!(
        err(&format!("o\n1\n{root}\n\next\n")),
        CheckpointError::EmptyExtensionLine { line: 4 }
    );
    assert_eq!(
        err(&format!("o\t\n1\n{root}\n")),
        CheckpointError::ControlCharacter { line: 1 }
    );
}

#[test]
fn format_validates_and_signs() {
    let mut cp = Checkpoint {
        origin: "qiantang.example/log".into(),
        size: 5,
        root: [7; 32],
        extensions: vec![],
    };
    let log = SignerKey::from_seed("qiantang.example/log", KeyType::Ed25519, &[1; 32]).unwrap();
    let note = cp.sign(&log).unwrap();
    let back = SignedNote::parse(note.to_text().as_bytes()).unwrap();
    back.verify(&[log.verifier_key()]).unwrap();
    assert_eq!(Checkpoint::parse(&back.text).unwrap(), cp);
    cp.extensions.push(String::new());
    assert_eq!(
        cp.to_text(),
        Err(CheckpointError::EmptyExtensionLine { line: 4 })
    );
    cp.extensions = vec!["a\nb".into()];
    assert_eq!(cp.to_text(), Err(CheckpointError::NewlineInField));
    cp.extensions.clear();
    cp.origin.clear();
    assert_eq!(cp.to_text(), Err(CheckpointError::EmptyOrigin));
}
