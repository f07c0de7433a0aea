//! Merkle tree tests.
//!
//! Vectors: the RFC 6962 reference tree of 8 leaves, its roots for sizes 1..8
//! and its inclusion and consistency proofs, as published in
//! transparency-dev/merkle `proof/verify_test.go` (originally from the
//! certificate-transparency reference implementation's merkle tree tests), and
//! the hasher vectors of transparency-dev/merkle `rfc6962/rfc6962_test.go`.

use qiantang_ledger::merkle::{
    consistency_proof, consistency_proof_len, empty_root, inclusion_proof, inclusion_proof_len,
    leaf_hash, node_hash, root, root_from_leaf_hashes, verify_consistency, verify_inclusion,
    ConsistencyError, Hash, InclusionError, MemoryTree, ProofGenError, SliceReader,
};
use sha2::{Digest, Sha256};

use crate::{h, Rng};

/// transparency-dev/merkle proof/verify_test.go `leaves` (hex entry data).
const LEAVES: [&str; 8] = [
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
];

/// transparency-dev/merkle proof/verify_test.go `roots`: root of sizes 1..=8.
const ROOTS: [&str; 8] = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];

/// transparency-dev/merkle proof/verify_test.go `inclusionProofs`:
/// (1-based leaf number, tree size, proof).
fn inclusion_vectors() -> Vec<(u64, u64, Vec<Hash>)> {
    vec![
        (1, 1, vec![]),
        (
            1,
            8,
            vec![
                h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
                h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
                h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
            ],
        ),
        (
            6,
            8,
            vec![
                h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
                h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
                h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
            ],
        ),
        (
            3,
            3,
            vec![h(
                "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
            )],
        ),
        (
            2,
            5,
            vec![
                h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
                h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
                h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
            ],
        ),
    ]
}

/// transparency-dev/merkle proof/verify_test.go `consistencyProofs`:
/// (size1, size2, proof).
fn consistency_vectors() -> Vec<(u64, u64, Vec<Hash>)> {
    vec![
        (1, 1, vec![]),
        (
            1,
            8,
            vec![
                h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
                h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
                h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
            ],
        ),
        (
            6,
            8,
            vec![
                h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
                h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
                h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
            ],
        ),
        (
            2,
            5,
            vec![
                h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
                h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
            ],
        ),
        (
            6,
            7,
            vec![
                h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
                h("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"),
                h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
            ],
        ),
    ]
}

fn leaf_hashes() -> Vec<Hash> {
    LEAVES
        .iter()
        .map(|l| leaf_hash(&hex::decode(l).unwrap()))
        .collect()
}

fn memory_tree(leaves: &[Hash]) -> MemoryTree {
    let mut t = MemoryTree::new();
    for l in leaves {
        t.push_leaf_hash(*l);
    }
    t
}

#[test]
fn hasher_vectors_rfc6962_test_go() {
    // transparency-dev/merkle rfc6962/rfc6962_test.go TestRFC6962Hasher.
    assert_eq!(
        empty_root(),
        h("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    );
    assert_eq!(
        leaf_hash(b""),
        h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d")
    );
    assert_eq!(
        leaf_hash(b"L123456"),
        h("395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56")
    );
    // HashChildren("N123", "N456") hashes 0x01 ‖ "N123" ‖ "N456"; node_hash takes
    // 32-byte children, so check the construction with the same bytes by hand.
    let mut d = Sha256::new();
    d.update([0x01]);
    d.update(b"N123N456");
    assert_eq!(
        <[u8; 32]>::from(d.finalize()),
        h("aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb")
    );
    let (a, b) = (leaf_hash(b"a"), leaf_hash(b"b"));
    let mut d = Sha256::new();
    d.update([0x01]);
    d.update(a);
    d.update(b);
    assert_eq!(node_hash(&a, &b), <[u8; 32]>::from(d.finalize()));
    assert_ne!(node_hash(&a, &b), node_hash(&b, &a));
}

#[test]
fn reference_tree_roots() {
    let leaves = leaf_hashes();
    assert_eq!(root_from_leaf_hashes(&[]), empty_root());
    let tree = memory_tree(&leaves);
    for n in 1..=8usize {
        assert_eq!(
            root_from_leaf_hashes(&leaves[..n]),
            h(ROOTS[n - 1]),
            "size {n}"
        );
        assert_eq!(
            root(&SliceReader(&leaves), n as u64).unwrap(),
            h(ROOTS[n - 1]),
            "size {n}"
        );
        assert_eq!(tree.root(n as u64).unwrap(), h(ROOTS[n - 1]), "size {n}");
    }
    assert!(matches!(
        tree.root(9),
        Err(ProofGenError::SizeTooLarge {
            size: 9,
            available: 8
        })
    ));
}

#[test]
fn reference_tree_inclusion_proofs() {
    let leaves = leaf_hashes();
    let tree = memory_tree(&leaves);
    for (leaf, size, want) in inclusion_vectors() {
        let index = leaf - 1;
        let got = inclusion_proof(&SliceReader(&leaves[..size as usize]), index, size).unwrap();
        assert_eq!(got, want, "slice: leaf {leaf} size {size}");
        let got = inclusion_proof(&tree, index, size).unwrap();
        assert_eq!(got, want, "tiled: leaf {leaf} size {size}");
        let r = h(ROOTS[size as usize - 1]);
        verify_inclusion(index, size, &leaves[index as usize], &want, &r).unwrap();
        for (desc, res) in corrupt_inclusion(index, size, &leaves[index as usize], &want, &r) {
            assert!(
                res.is_err(),
                "corrupted inclusion proof accepted: {desc} (leaf {leaf}, size {size})"
            );
        }
    }
}

/// The probes of transparency-dev/merkle `corruptInclusionProof`.
fn corrupt_inclusion(
    index: u64,
    size: u64,
    leaf: &Hash,
    proof: &[Hash],
    r: &Hash,
) -> Vec<(String, Result<(), InclusionError>)> {
    let some = h("abacaba000000000000000000000000000000000000000000060061e00123456");
    let mut out = vec![
        (
            "index - 1".into(),
            verify_inclusion(index.wrapping_sub(1), size, leaf, proof, r),
        ),
        (
            "index + 1".into(),
            verify_inclusion(index + 1, size, leaf, proof, r),
        ),
        (
            "index ^ 2".into(),
            verify_inclusion(index ^ 2, size, leaf, proof, r),
        ),
        (
            "size * 2".into(),
            verify_inclusion(index, size * 2, leaf, proof, r),
        ),
        (
            "size / 2".into(),
            verify_inclusion(index, size / 2, leaf, proof, r),
        ),
        (
            "wrong leaf".into(),
            verify_inclusion(index, size, &leaf_hash(b"WrongLeaf"), proof, r),
        ),
        (
            "empty root".into(),
            verify_inclusion(index, size, leaf, proof, &empty_root()),
        ),
        (
            "random root".into(),
            verify_inclusion(index, size, leaf, proof, &some),
        ),
    ];
    let mut trailing = proof.to_vec();
    trailing.push(*r);
    out.push((
        "trailing root".into(),
        verify_inclusion(index, size, leaf, &trailing, r),
    ));
    let mut preceding = vec![*r];
    preceding.extend_from_slice(proof);
    out.push((
        "preceding root".into(),
        verify_inclusion(index, size, leaf, &preceding, r),
    ));
    for i in 0..proof.len() {
        let mut p = proof.to_vec();
        p[i][0] ^= 8;
        out.push((
            format!("modified proof[{i}] bit 3"),
            verify_inclusion(index, size, leaf, &p, r),
        ));
    }
    if !proof.is_empty() {
        out.push((
            "removed component".into(),
            verify_inclusion(index, size, leaf, &proof[..proof.len() - 1], r),
        ));
    }
    if proof.len() > 1 {
        let mut p = vec![proof[0], some];
        p.extend_from_slice(&proof[1..]);
        out.push((
            "inserted component".into(),
            verify_inclusion(index, size, leaf, &p, r),
        ));
    }
    out
}

#[test]
fn reference_tree_consistency_proofs() {
    let leaves = leaf_hashes();
    let tree = memory_tree(&leaves);
    for (s1, s2, want) in consistency_vectors() {
        let got = consistency_proof(&SliceReader(&leaves[..s2 as usize]), s1, s2).unwrap();
        assert_eq!(got, want, "slice: {s1} -> {s2}");
        let got = consistency_proof(&tree, s1, s2).unwrap();
        assert_eq!(got, want, "tiled: {s1} -> {s2}");
        let (r1, r2) = (h(ROOTS[s1 as usize - 1]), h(ROOTS[s2 as usize - 1]));
        verify_consistency(s1, s2, &r1, &r2, &want).unwrap();
        if !want.is_empty() {
            for (desc, res) in corrupt_consistency(s1, s2, &r1, &r2, &want) {
                assert!(
                    res.is_err(),
                    "corrupted consistency proof accepted: {desc} ({s1} -> {s2})"
                );
            }
        }
    }
}

/// The probes of transparency-dev/merkle `corruptConsistencyProof`.
fn corrupt_consistency(
    s1: u64,
    s2: u64,
    r1: &Hash,
    r2: &Hash,
    proof: &[Hash],
) -> Vec<(String, Result<(), ConsistencyError>)> {
    let wrong = leaf_hash(b"WrongRoot");
    let mut out = vec![
        (
            "size1 - 1".into(),
            verify_consistency(s1 - 1, s2, r1, r2, proof),
        ),
        (
            "size1 + 1".into(),
            verify_consistency(s1 + 1, s2, r1, r2, proof),
        ),
        (
            "size1 ^ 2".into(),
            verify_consistency(s1 ^ 2, s2, r1, r2, proof),
        ),
        (
            "size2 * 2".into(),
            verify_consistency(s1, s2 * 2, r1, r2, proof),
        ),
        (
            "size2 / 2".into(),
            verify_consistency(s1, s2 / 2, r1, r2, proof),
        ),
        (
            "wrong root1".into(),
            verify_consistency(s1, s2, &wrong, r2, proof),
        ),
        (
            "wrong root2".into(),
            verify_consistency(s1, s2, r1, &wrong, proof),
        ),
        (
            "swapped roots".into(),
            verify_consistency(s1, s2, r2, r1, proof),
        ),
        (
            "empty proof".into(),
            verify_consistency(s1, s2, r1, r2, &[]),
        ),
    ];
    for (name, extra) in [("root1", r1), ("root2", r2)] {
        let mut p = proof.to_vec();
        p.push(*extra);
        out.push((
            format!("trailing {name}"),
            verify_consistency(s1, s2, r1, r2, &p),
        ));
        let mut p = vec![*extra];
        p.extend_from_slice(proof);
        out.push((
            format!("preceding {name}"),
            verify_consistency(s1, s2, r1, r2, &p),
        ));
    }
    let mut p = vec![proof[0]];
    p.extend_from_slice(proof);
    out.push((
        "preceding proof[0]".into(),
        verify_consistency(s1, s2, r1, r2, &p),
    ));
    out.push((
        "truncated proof".into(),
        verify_consistency(s1, s2, r1, r2, &proof[..proof.len() - 1]),
    ));
    for i in 0..proof.len() {
        let mut p = proof.to_vec();
        p[i][0] ^= 16;
        out.push((
            format!("modified proof[{i}] bit 4"),
            verify_consistency(s1, s2, r1, r2, &p),
        ));
    }
    out
}

#[test]
fn verification_errors_name_the_failed_check() {
    let leaves = leaf_hashes();
    let r8 = h(ROOTS[7]);
    let proof = inclusion_proof(&SliceReader(&leaves), 5, 8).unwrap();
    assert_eq!(
        verify_inclusion(8, 8, &leaves[5], &proof, &r8),
        Err(InclusionError::IndexOutOfRange { index: 8, size: 8 })
    );
    assert_eq!(
        verify_inclusion(5, 8, &leaves[5], &proof[..2], &r8),
        Err(InclusionError::WrongProofLength {
            expected: 3,
            got: 2
        })
    );
    assert!(matches!(
        verify_inclusion(5, 8, &leaves[4], &proof, &r8),
        Err(InclusionError::RootMismatch { expected, .. }) if expected == r8
    ));

    let (r6, r7) = (h(ROOTS[5]), h(ROOTS[6]));
    let cp = consistency_proof(&SliceReader(&leaves), 6, 8).unwrap();
    assert_eq!(
        verify_consistency(8, 6, &r8, &r6, &cp),
        Err(ConsistencyError::OldSizeExceedsNewSize {
            old_size: 8,
            new_size: 6
        })
    );
    assert_eq!(
        verify_consistency(6, 6, &r6, &r6, &cp),
        Err(ConsistencyError::ProofNotEmpty {
            old_size: 6,
            new_size: 6,
            got: 3
        })
    );
    assert_eq!(
        verify_consistency(0, 8, &r6, &r8, &cp),
        Err(ConsistencyError::ProofNotEmpty {
            old_size: 0,
            new_size: 8,
            got: 3
        })
    );
    assert_eq!(
        verify_consistency(6, 6, &r6, &r7, &[]),
        Err(ConsistencyError::EqualSizeRootsDiffer { size: 6 })
    );
    assert_eq!(
        verify_consistency(6, 8, &r6, &r8, &cp[1..]),
        Err(ConsistencyError::WrongProofLength {
            expected: 3,
            got: 2
        })
    );
    assert!(matches!(
        verify_consistency(6, 8, &r7, &r8, &cp),
        Err(ConsistencyError::OldRootMismatch { .. })
    ));
    assert!(matches!(
        verify_consistency(6, 8, &r6, &r7, &cp),
        Err(ConsistencyError::NewRootMismatch { .. })
    ));
    // Sizes that are always consistent (transparency-dev TestVerifyConsistency).
    verify_consistency(0, 0, &r6, &r6, &[]).unwrap();
    verify_consistency(0, 1, &r6, &r7, &[]).unwrap();
    verify_consistency(1, 1, &r7, &r7, &[]).unwrap();

    assert!(matches!(
        inclusion_proof(&SliceReader(&leaves), 8, 8),
        Err(ProofGenError::IndexOutOfRange { index: 8, size: 8 })
    ));
    assert!(matches!(
        consistency_proof(&SliceReader(&leaves), 7, 6),
        Err(ProofGenError::OldSizeExceedsNewSize {
            old_size: 7,
            new_size: 6
        })
    ));
    let small = memory_tree(&leaves[..3]);
    assert!(matches!(
        inclusion_proof(&small, 0, 5),
        Err(ProofGenError::Read(_))
    ));
}

// ---- naive implementation, transcribed from RFC 6962 §2.1 / RFC 9162 §2.1 ----

fn naive_k(n: usize) -> usize {
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

fn naive_mth(d: &[Vec<u8>]) -> Hash {
    match d.len() {
        0 => Sha256::digest([]).into(),
        1 => {
            let mut x = vec![0u8];
            x.extend_from_slice(&d[0]);
            Sha256::digest(&x).into()
        }
        n => {
            let k = naive_k(n);
            let mut x = vec![1u8];
            x.extend_from_slice(&naive_mth(&d[..k]));
            x.extend_from_slice(&naive_mth(&d[k..]));
            Sha256::digest(&x).into()
        }
    }
}

fn naive_path(m: usize, d: &[Vec<u8>]) -> Vec<Hash> {
    let n = d.len();
    if n <= 1 {
        return vec![];
    }
    let k = naive_k(n);
    if m < k {
        let mut p = naive_path(m, &d[..k]);
        p.push(naive_mth(&d[k..]));
        p
    } else {
        let mut p = naive_path(m - k, &d[k..]);
        p.push(naive_mth(&d[..k]));
        p
    }
}

fn naive_subproof(m: usize, d: &[Vec<u8>], b: bool) -> Vec<Hash> {
    let n = d.len();
    if m == n {
        return if b { vec![] } else { vec![naive_mth(d)] };
    }
    let k = naive_k(n);
    if m <= k {
        let mut p = naive_subproof(m, &d[..k], b);
        p.push(naive_mth(&d[k..]));
        p
    } else {
        let mut p = naive_subproof(m - k, &d[k..], false);
        p.push(naive_mth(&d[..k]));
        p
    }
}

#[test]
fn property_random_trees_match_naive_rfc_definitions() {
    let mut rng = Rng::new(0x5eed_6962);
    let mut data: Vec<Vec<u8>> = Vec::new();
    let mut tree = MemoryTree::new();
    let mut hashes = Vec::new();
    for i in 0..300u32 {
        let len = rng.below(20) as usize;
        let mut d: Vec<u8> = (0..len).map(|_| rng.next_u64() as u8).collect();
        d.extend_from_slice(&i.to_be_bytes());
        hashes.push(leaf_hash(&d));
        assert_eq!(tree.push(&d), u64::from(i));
        data.push(d);
    }
    let mut sizes: Vec<usize> = (1..=40).collect();
    sizes.extend([63, 64, 65, 127, 128, 129, 255, 256, 257, 300]);
    for _ in 0..30 {
        sizes.push(1 + rng.below(300) as usize);
    }
    for &n in &sizes {
        let d = &data[..n];
        let r = naive_mth(d);
        assert_eq!(root_from_leaf_hashes(&hashes[..n]), r, "root n={n}");
        assert_eq!(tree.root(n as u64).unwrap(), r, "tiled root n={n}");
        // Inclusion: a few indices per size (all of them for small sizes).
        let idxs: Vec<usize> = if n <= 40 {
            (0..n).collect()
        } else {
            (0..6)
                .map(|_| rng.below(n as u64) as usize)
                .chain([0, n - 1])
                .collect()
        };
        for m in idxs {
            let want = naive_path(m, d);
            let slice = inclusion_proof(&SliceReader(&hashes[..n]), m as u64, n as u64).unwrap();
            let tiled = inclusion_proof(&tree, m as u64, n as u64).unwrap();
            assert_eq!(slice, want, "inclusion slice m={m} n={n}");
            assert_eq!(tiled, want, "inclusion tiled m={m} n={n}");
            assert_eq!(want.len(), inclusion_proof_len(m as u64, n as u64));
            verify_inclusion(m as u64, n as u64, &hashes[m], &want, &r).unwrap();
            if !want.is_empty() {
                let mut bad = want.clone();
                let j = rng.below(bad.len() as u64) as usize;
                bad[j][rng.below(32) as usize] ^= 1 << rng.below(8);
                assert!(matches!(
                    verify_inclusion(m as u64, n as u64, &hashes[m], &bad, &r),
                    Err(InclusionError::RootMismatch { .. })
                ));
            }
            let other = (m + 1) % n;
            if other != m {
                assert!(verify_inclusion(other as u64, n as u64, &hashes[m], &want, &r).is_err());
            }
        }
        // Consistency from a few older sizes.
        let olds: Vec<usize> = if n <= 40 {
            (0..=n).collect()
        } else {
            (0..6)
                .map(|_| rng.below(n as u64 + 1) as usize)
                .chain([1, n - 1, n])
                .collect()
        };
        for m in olds {
            let want = if m == 0 {
                vec![]
            } else {
                naive_subproof(m, d, true)
            };
            let slice = consistency_proof(&SliceReader(&hashes[..n]), m as u64, n as u64).unwrap();
            let tiled = consistency_proof(&tree, m as u64, n as u64).unwrap();
            assert_eq!(slice, want, "consistency slice {m}->{n}");
            assert_eq!(tiled, want, "consistency tiled {m}->{n}");
            let r1 = naive_mth(&d[..m]);
            verify_consistency(m as u64, n as u64, &r1, &r, &want).unwrap();
            if m > 0 && m < n {
                assert_eq!(want.len(), consistency_proof_len(m as u64, n as u64));
                let mut bad = want.clone();
                let j = rng.below(bad.len() as u64) as usize;
                bad[j][rng.below(32) as usize] ^= 1 << rng.below(8);
                assert!(
                    verify_consistency(m as u64, n as u64, &r1, &r, &bad).is_err(),
                    "bit flip {m}->{n}"
                );
                let fake_old = naive_mth(&data[1..=m]);
                assert!(verify_consistency(m as u64, n as u64, &fake_old, &r, &want).is_err());
            }
        }
    }
}
