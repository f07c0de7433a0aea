//! C2SP tlog-tiles: path encoding (the spec's examples), partial tiles, entry
//! bundles, and a client recomputing roots and proofs from tiles.

use std::cell::RefCell;
use std::collections::HashMap;

use qiantang_ledger::merkle::{self, inclusion_proof, leaf_hash, verify_inclusion, MemoryTree};
use qiantang_ledger::tiles::{
    encode_index, entry_bundle, hash_tile_body, parse_entry_bundle, partial_tiles, tile_width,
    BundleError, TileId, TileKind, TilePathError, TileReadError, TileReader,
};

#[test]
fn index_encoding_matches_the_spec_example() {
    assert_eq!(encode_index(1_234_067), "x001/x234/067");
    assert_eq!(encode_index(0), "000");
    assert_eq!(encode_index(5), "005");
    assert_eq!(encode_index(1000), "x001/000");
    assert_eq!(TileId::hashes(0, 1_234_067).path(), "tile/0/x001/x234/067");
    let partial = TileId {
        kind: TileKind::Hashes(1),
        index: 1_234_067,
        width: 8,
    };
    assert_eq!(partial.path(), "tile/1/x001/x234/067.p/8");
    let bundle = TileId {
        kind: TileKind::Entries,
        index: 48,
        width: 112,
    };
    assert_eq!(bundle.path(), "tile/entries/048.p/112");
    for t in [
        TileId::hashes(0, 1_234_067),
        partial,
        bundle,
        TileId::hashes(63, u64::MAX),
    ] {
        assert_eq!(TileId::parse(&t.path()), Ok(t));
    }
}

#[test]
fn malformed_paths_are_refused() {
    use TilePathError as E;
    for (p, want) in [
        ("checkpoint", E::NotATilePath),
        ("tile/64/000", E::InvalidLevel("64".into())),
        ("tile/01/000", E::InvalidLevel("01".into())),
        ("tile/0/1234067", E::InvalidIndex("1234067".into())),
        ("tile/0/001/234", E::InvalidIndex("001/234".into())),
        ("tile/0/x000/001", E::InvalidIndex("x000/001".into())),
        ("tile/0/x001/x234", E::InvalidIndex("x001/x234".into())),
        ("tile/0/67", E::InvalidIndex("67".into())),
        ("tile/0/000.p/0", E::InvalidWidth("0".into())),
        ("tile/0/000.p/256", E::InvalidWidth("256".into())),
        ("tile/0/000.p/08", E::InvalidWidth("08".into())),
        ("tile/entries/x1/000", E::InvalidIndex("x1/000".into())),
    ] {
        assert_eq!(TileId::parse(p), Err(want), "{p}");
    }
}

#[test]
fn partial_tiles_of_the_spec_examples() {
    // "a tree of size 70,000 will be represented by 273 full level 0 tiles,
    // one partial level 0 tile of width 112, one full level 1 tile, one
    // partial level 1 tile of width 17, and one partial level 2 tile of width 1."
    let p = partial_tiles(70_000);
    let paths: Vec<String> = p.iter().map(TileId::path).collect();
    assert_eq!(
        paths,
        [
            "tile/0/273.p/112",
            "tile/1/001.p/17",
            "tile/2/000.p/1",
            "tile/entries/273.p/112"
        ]
    );
    assert!(TileId::hashes(0, 272).exists_in(70_000));
    assert!(!TileId::hashes(0, 273).exists_in(70_000));
    assert!(TileId::hashes(1, 0).exists_in(70_000));
    assert!(!TileId::hashes(1, 1).exists_in(70_000));
    for t in &p {
        assert!(t.exists_in(70_000), "{t}");
    }
    let wrong_width = TileId { width: 111, ..p[0] };
    assert!(!wrong_width.exists_in(70_000));
    // "a tree of size 256 will be represented by a full level 0 tile and a
    // partial level 1 tile of width 1."
    assert_eq!(
        partial_tiles(256)
            .iter()
            .map(TileId::path)
            .collect::<Vec<_>>(),
        ["tile/1/000.p/1"]
    );
    assert!(TileId::hashes(0, 0).exists_in(256));
    assert!(partial_tiles(0).is_empty());
    assert_eq!(tile_width(0, 273, 70_000), Some(112));
    assert_eq!(tile_width(0, 274, 70_000), None);
    assert_eq!(tile_width(2, 0, 70_000), Some(1));
}

#[test]
fn entry_bundles_round_trip() {
    let entries = [b"a".to_vec(), vec![], vec![7u8; 300]];
    let b = entry_bundle(&entries).unwrap();
    assert_eq!(&b[..3], &[0, 1, b'a']);
    assert_eq!(&b[3..5], &[0, 0]);
    assert_eq!(&b[5..7], &300u16.to_be_bytes());
    assert_eq!(parse_entry_bundle(&b).unwrap(), entries);
    assert_eq!(
        parse_entry_bundle(&b[..b.len() - 1]),
        Err(BundleError::Truncated { entry: 2 })
    );
    assert_eq!(
        entry_bundle(&[vec![0u8; 65_536]]),
        Err(BundleError::EntryTooLarge { entry: 0 })
    );
}

/// A log serving tiles from a MemoryTree; the client sees only tile bodies.
fn serve(tree: &MemoryTree, size: u64, t: &TileId) -> Option<Vec<u8>> {
    if !t.exists_in(size) || t.kind == TileKind::Entries {
        return None;
    }
    hash_tile_body(tree, *t).ok()
}

#[test]
fn client_recomputes_roots_and_proofs_from_tiles() {
    let mut tree = MemoryTree::new();
    let n = 70_000u64;
    for i in 0..n {
        tree.push(format!("entry {i}").as_bytes());
    }
    for size in [
        1, 2, 255, 256, 257, 511, 512, 65_535, 65_536, 65_537, 69_999, 70_000,
    ] {
        let fetched = RefCell::new(HashMap::new());
        let reader = TileReader::new(size, |t: &TileId| {
            *fetched.borrow_mut().entry(t.path()).or_insert(0) += 1;
            serve(&tree, size, t)
        });
        let root = merkle::root(&reader, size).unwrap();
        assert_eq!(root, tree.root(size).unwrap(), "size {size}");
        // Every tile fetched exists for that size (no arbitrary partial tiles).
        for p in fetched.borrow().keys() {
            assert!(TileId::parse(p).unwrap().exists_in(size), "{p} for {size}");
        }
        let index = size / 3;
        let proof = inclusion_proof(&reader, index, size).unwrap();
        let leaf = leaf_hash(format!("entry {index}").as_bytes());
        verify_inclusion(index, size, &leaf, &proof, &root).unwrap();
    }
    // A level-0 tile body is the leaf hashes; a level-1 hash is the MTH of a full tile.
    let t0 = hash_tile_body(&tree, TileId::hashes(0, 1)).unwrap();
    assert_eq!(&t0[..32], &leaf_hash(b"entry 256"));
    let t1 = hash_tile_body(&tree, TileId::hashes(1, 0)).unwrap();
    assert_eq!(
        &t1[32..64],
        &merkle::root_from_leaf_hashes(
            &t0.chunks(32)
                .map(|c| c.try_into().unwrap())
                .collect::<Vec<_>>()
        )
    );
    // Tiles the server does not have: a precise error.
    let reader = TileReader::new(1000, |_: &TileId| None);
    let e = merkle::root(&reader, 1000).unwrap_err().to_string();
    assert!(e.contains("tile/1/000.p/3 is unavailable"), "{e}");
    let short = TileReader::new(300, |_: &TileId| Some(vec![0u8; 31]));
    assert!(matches!(
        merkle::root(&short, 300),
        Err(merkle::ProofGenError::Read(
            TileReadError::WrongLength { .. }
        ))
    ));
}
