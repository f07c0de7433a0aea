//! Integration tests of `qiantang-l10n` against the real corpus in
//! `shared/corpus` (read-only).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod adapt;
mod epub;
mod qa;
mod segment;
mod tmx;

use qiantang_works::import::{parse_novel, ImportOptions};
use qiantang_works::model::NewChapter;

/// The shared corpus folder.
pub const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus/");

/// Reads a corpus file.
pub fn corpus(rel: &str) -> Vec<u8> {
    std::fs::read(format!("{CORPUS}{rel}")).unwrap_or_else(|e| panic!("corpus file {rel}: {e}"))
}

/// The chapters of 济公全传 as the works importer stores them.
pub fn jigong() -> Vec<NewChapter> {
    parse_novel(
        "jigong_quanzhuan.txt",
        &corpus("novels_zh/jigong_quanzhuan.txt"),
        &ImportOptions::default(),
    )
    .unwrap()
    .chapters
}
