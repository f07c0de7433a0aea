//! The printable deposit certificate (存证证书): one self-contained HTML page
//! in Chinese and English with print CSS and an inline SVG QR code of the
//! verification URL `{public_url}/verify/{index}?h={sha256}`. To get a PDF,
//! print the page from a browser ("Save as PDF"), or headless:
//! `chromium --headless --print-to-pdf=cert.pdf cert.html`.

use qiantang_ledger::entry::DepositEntry;
use qrcode::render::svg;
use qrcode::QrCode;

use crate::files::utc_rfc3339;
use crate::receipt::Receipt;

fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

/// The verification URL printed and encoded in the QR code.
pub fn verification_url(public_url: &str, index: u64, sha256: &str) -> String {
    format!(
        "{}/verify/{index}?h={sha256}",
        public_url.trim_end_matches('/')
    )
}

/// The QR code of `text` as an SVG element.
pub fn qr_svg(text: &str) -> String {
    match QrCode::new(text.as_bytes()) {
        Ok(code) => code
            .render::<svg::Color<'_>>()
            .min_dimensions(180, 180)
            .quiet_zone(true)
            .build(),
        Err(e) => format!("<p>QR: {}</p>", esc(&e.to_string())),
    }
}

const CSS: &str = r#"
body{font-family:"Noto Serif CJK SC","Source Han Serif SC","Songti SC",serif;margin:0;background:#eee;color:#222}
.page{background:#fff;max-width:190mm;margin:10mm auto;padding:14mm 16mm;border:3px double #8a6d3b}
h1{text-align:center;font-size:26pt;margin:0 0 2mm;letter-spacing:.3em;color:#8a1c1c}
.sub{text-align:center;font-size:12pt;margin:0 0 8mm;color:#555}
table{width:100%;border-collapse:collapse;font-size:10pt}
th{width:34%;text-align:left;vertical-align:top;padding:2mm 3mm 2mm 0;color:#555;font-weight:normal}
th span{display:block;font-size:8pt;color:#888}
td{padding:2mm 0;word-break:break-all}
tr{border-bottom:1px solid #ddd}
code{font-family:"DejaVu Sans Mono",monospace;font-size:9pt}
.status{font-weight:bold}.final{color:#1d6b2a}.pending{color:#9a5b00}
.qr{display:flex;gap:6mm;align-items:center;margin-top:8mm;font-size:9pt}
.qr svg{width:42mm;height:42mm;flex:none}
.note{font-size:8.5pt;color:#555;margin-top:6mm}
@media print{body{background:#fff}.page{margin:0;border:3px double #8a6d3b;max-width:none}@page{size:A4;margin:10mm}}
"#;

fn row(out: &mut String, zh: &str, en: &str, value_html: &str) {
    out.push_str(&format!(
        "<tr><th>{zh}<span>{en}</span></th><td>{value_html}</td></tr>\n"
    ));
}

/// Renders the certificate of `receipt`. `parents` is the chain of parent
/// entries (nearest first), `public_url` the hub's public base URL.
pub fn certificate_html(
    receipt: &Receipt,
    public_url: &str,
    parents: &[(u64, DepositEntry)],
) -> String {
    let e = &receipt.entry;
    let index = receipt.proof.index;
    let url = verification_url(public_url, index, &e.sha256);
    let mut rows = String::new();
    row(&mut rows, "作品名称", "Title", &esc(&e.title));
    row(
        &mut rows,
        "权利人（机构）",
        "Owner (organization)",
        &esc(&e.org),
    );
    row(&mut rows, "类型", "Kind", &esc(e.kind.as_str()));
    row(
        &mut rows,
        "文件 SHA-256",
        "File SHA-256",
        &format!("<code>{}</code>", esc(&e.sha256)),
    );
    row(
        &mut rows,
        "文件大小",
        "Size",
        &format!("{} 字节 / bytes", e.size),
    );
    row(&mut rows, "媒体类型", "Media type", &esc(&e.media_type));
    row(&mut rows, "存证序号", "Deposit index", &index.to_string());
    row(
        &mut rows,
        "叶子哈希",
        "Leaf hash (RFC 6962)",
        &format!("<code>{}</code>", hex::encode(receipt.leaf_hash)),
    );
    row(
        &mut rows,
        "日志",
        "Log origin",
        &format!("<code>{}</code>", esc(&receipt.checkpoint.origin)),
    );
    row(
        &mut rows,
        "日志公钥",
        "Log key",
        &format!("<code>{}</code>", esc(&receipt.log_key.to_string())),
    );
    row(
        &mut rows,
        "检查点",
        "Checkpoint",
        &format!(
            "size {} · root <code>{}</code>",
            receipt.checkpoint.size,
            hex::encode(receipt.checkpoint.root)
        ),
    );
    let witnesses = if receipt.cosignatures.is_empty() {
        "无 / none".to_owned()
    } else {
        receipt
            .cosignatures
            .iter()
            .map(|c| format!("{} · {}", esc(&c.name), utc_rfc3339(c.timestamp)))
            .collect::<Vec<_>>()
            .join("<br>")
    };
    row(&mut rows, "见证人副署", "Witness cosignatures", &witnesses);
    let status = if receipt.is_final {
        "<span class=\"status final\">已确认 Final</span> — 见证策略已满足 / witness policy met"
    } else {
        "<span class=\"status pending\">待确认 Pending</span> — 见证副署不足 / not enough witness cosignatures yet"
    };
    row(&mut rows, "状态", "Status", status);
    let tsa = match receipt.timestamp_info() {
        Some(i) => format!("{} (RFC 3161)", esc(&i.gen_time_utc)),
        None => "无 / none".to_owned(),
    };
    row(&mut rows, "可信时间戳", "Trusted timestamp (TSA)", &tsa);
    let chain = if parents.is_empty() {
        "无（原创）/ none (original)".to_owned()
    } else {
        parents
            .iter()
            .map(|(i, p)| {
                format!(
                    "#{i} {} ({}, {})",
                    esc(&p.title),
                    esc(p.kind.as_str()),
                    esc(&p.org)
                )
            })
            .collect::<Vec<_>>()
            .join(" ← ")
    };
    row(&mut rows, "来源链", "Derived from (parent chain)", &chain);
    format!(
        r#"<!DOCTYPE html>
<html lang="zh-Hans"><head><meta charset="utf-8"><title>版权存证证书 Copyright Deposit Certificate #{index}</title>
<style>{CSS}</style></head>
<body><div class="page">
<h1>版权存证证书</h1>
<p class="sub">Copyright Deposit Certificate · 钱塘 Qiantang</p>
<table>
{rows}</table>
<div class="qr">{qr}<div>扫码或访问以下地址核验 / Scan or open to verify:<br><code>{url_esc}</code></div></div>
<p class="note">本证书记录的是文件的 SHA-256 哈希与元数据，而非文件内容。存证记录于仅可追加的透明日志（RFC 6962 Merkle 树，C2SP 检查点），由独立见证人副署。离线核验：<code>qiantang verify RECEIPT.tlog-proof FILE --log-key KEY --witness-key KEY…</code>。<br>
This certificate records the file's SHA-256 hash and metadata, not its content, in an append-only transparency log (RFC 6962 Merkle tree, C2SP checkpoints) cosigned by independent witnesses. Verify offline with <code>qiantang verify RECEIPT.tlog-proof FILE --log-key KEY --witness-key KEY…</code>.</p>
</div></body></html>
"#,
        qr = qr_svg(&url),
        url_esc = esc(&url),
    )
}
