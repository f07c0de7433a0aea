use qiantang_l10n::segment::{segment_chapter, SegmentOptions};

fn balanced(s: &str, open: char, close: char) -> bool {
    s.chars().filter(|&c| c == open).count() == s.chars().filter(|&c| c == close).count()
}

/// Quotes properly nested, with no stray opener or closer.
fn well_formed(s: &str, open: char, close: char) -> bool {
    let mut depth = 0i32;
    for c in s.chars() {
        if c == open {
            depth += 1;
        } else if c == close {
            depth -= 1;
            if depth < 0 {
                return false;
            }
        }
    }
    depth == 0
}

#[test]
fn first_ten_chapters_of_jigong() {
    let chapters = crate::jigong();
    let mut total = 0;
    for ch in chapters.iter().take(10) {
        let chars: Vec<char> = ch.text.chars().collect();
        let segs = segment_chapter(ch.number, &ch.text, SegmentOptions::default());
        assert!(!segs.is_empty());
        let mut pos = 0usize;
        for (i, s) in segs.iter().enumerate() {
            assert_eq!(s.ordinal as usize, i);
            assert_eq!(s.chapter, ch.number);
            let n = s.source.chars().count();
            assert!(n > 0 && !s.source.trim().is_empty(), "empty segment {s:?}");
            let off = s.offset as usize;
            let slice: String = chars[off..off + n].iter().collect();
            assert_eq!(slice, s.source, "offset of {s:?}");
            // Whatever lies between segments is whitespace.
            assert!(off >= pos);
            assert!(
                chars[pos..off].iter().all(|c| c.is_whitespace()),
                "skipped text before {s:?}"
            );
            pos = off + n;
        }
        // Quotes balanced per segment: every matched pair of the chapter
        // (a stack per paragraph; stray quotes of the corpus ignored) lies
        // inside one segment.
        let seg_of = |p: usize| {
            segs.iter().position(|s| {
                (s.offset as usize..s.offset as usize + s.source.chars().count()).contains(&p)
            })
        };
        let mut pairs = 0;
        for (o, c) in [('“', '”'), ('「', '」'), ('『', '』')] {
            let mut stack = Vec::new();
            for (p, &x) in chars.iter().enumerate() {
                if x == '\n' {
                    stack.clear();
                } else if x == o {
                    stack.push(p);
                } else if x == c {
                    if let Some(q) = stack.pop() {
                        assert_eq!(
                            seg_of(q),
                            seg_of(p),
                            "quote {q}..{p} split in chapter {}",
                            ch.number
                        );
                        pairs += 1;
                    }
                }
            }
        }
        assert!(pairs > 0);
        // Segments from paragraphs without stray quotes are balanced too.
        for s in &segs {
            let para = ch.text.split('\n').find(|p| p.contains(&s.source)).unwrap();
            if well_formed(para, '“', '”') {
                assert!(
                    balanced(&s.source, '“', '”'),
                    "unbalanced quotes in {:?}",
                    s.source
                );
            }
        }
        assert!(chars[pos..].iter().all(|c| c.is_whitespace()));
        total += segs.len();
    }
    // Sanity: chapter 1 starts with "话说南宋自南渡以来，…" and segments are sentences.
    let first = segment_chapter(1, &chapters[0].text, SegmentOptions::default());
    assert!(first[0].source.starts_with("话说南宋自南渡以来"));
    assert!(first[0].source.ends_with('。'));
    assert!(total > 500, "only {total} segments in 10 chapters");
    let quoted = first
        .iter()
        .find(|s| s.source.starts_with("内中就有人说"))
        .unwrap();
    assert_eq!(
        quoted.source,
        "内中就有人说：“李善人不是真善人，要是真善人，怎么会没儿子？”"
    );
}
