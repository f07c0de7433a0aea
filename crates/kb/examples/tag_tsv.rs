//! Prints the tagger's occurrences for UTF-8 text files in the gold TSV format
//! `start<TAB>len<TAB>concept_id<TAB>surface` (offsets in chars).
//!
//! Usage: `tag_tsv [--concepts concepts.json] FILE...` — with several files,
//! each block is preceded by `# FILE`. Used by
//! `tests/fixtures/gold/refresh.sh` to propose candidates for annotation.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use qiantang_kb::{seed, Concept, Tagger};

fn main() {
    let mut args = std::env::args().skip(1).peekable();
    let mut concepts: Option<Vec<Concept>> = None;
    let mut files = Vec::new();
    while let Some(a) = args.next() {
        if a == "--concepts" {
            let p = args.next().expect("--concepts FILE");
            concepts = Some(serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap());
        } else {
            files.push(a);
        }
    }
    let concepts = concepts.unwrap_or_else(|| seed::load().expect("seed").concepts);
    let tagger = Tagger::new(&concepts);
    for f in &files {
        let text = std::fs::read_to_string(f).expect("read UTF-8 text");
        let chars: Vec<char> = text.chars().collect();
        if files.len() > 1 {
            println!("# {f}");
        }
        for o in tagger.tag(&text) {
            let surface: String = chars[o.start..o.start + o.len].iter().collect();
            println!("{}\t{}\t{}\t{}", o.start, o.len, o.concept, surface);
        }
    }
}
