//! Uploads shared by the API and the pages: reading a multipart body within
//! the size limit, and the import it feeds.

use axum::extract::Multipart;
use axum::http::StatusCode;

use qiantang_app::{App, ErrorCode};
use qiantang_works::import::ImportOptions;

use crate::auth::RequestAuth;
use crate::{blocking, HttpError, HubState};

/// Fields of an upload (multipart or the web form).
#[derive(Debug, Default)]
pub(crate) struct Upload {
    pub file_name: String,
    pub bytes: Vec<u8>,
    pub title: Option<String>,
    pub author: Option<String>,
    pub heading_pattern: Option<String>,
    pub dry_run: bool,
    pub org: Option<String>,
    pub csrf: Option<String>,
}

/// True when a multipart error was caused by the body size limit
/// (`http_body_util::LengthLimitError` somewhere in the source chain).
pub(crate) fn is_length_limit(e: &axum::extract::multipart::MultipartError) -> bool {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if err.is::<http_body_util::LengthLimitError>()
            || err.to_string().contains("length limit exceeded")
        {
            return true;
        }
        cur = err.source();
    }
    false
}

pub(crate) async fn read_upload(mut mp: Multipart) -> Result<Upload, HttpError> {
    let mut up = Upload::default();
    let mut has_file = false;
    loop {
        let field = match mp.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => {
                return Err(
                    if e.status() == StatusCode::PAYLOAD_TOO_LARGE || is_length_limit(&e) {
                        too_large()
                    } else {
                        HttpError::invalid(format!("malformed multipart body: {}", e.body_text()))
                    },
                )
            }
        };
        let name = field.name().unwrap_or("").to_string();
        let file_name = field.file_name().map(str::to_string);
        let data = field.bytes().await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE || is_length_limit(&e) {
                too_large()
            } else {
                HttpError::invalid(format!("malformed multipart body: {}", e.body_text()))
            }
        })?;
        let text = || String::from_utf8_lossy(&data).trim().to_string();
        match name.as_str() {
            "file" => {
                up.file_name = file_name.unwrap_or_else(|| "upload.txt".into());
                up.bytes = data.to_vec();
                has_file = true;
            }
            "title" => up.title = Some(text()).filter(|t| !t.is_empty()),
            "author" => up.author = Some(text()).filter(|t| !t.is_empty()),
            "heading_pattern" => up.heading_pattern = Some(text()).filter(|t| !t.is_empty()),
            "dry_run" => {
                up.dry_run = match text().to_ascii_lowercase().as_str() {
                    "1" | "true" | "on" | "yes" => true,
                    "" | "0" | "false" | "off" | "no" => false,
                    other => {
                        return Err(HttpError::invalid(format!(
                            "dry_run must be true or false, not {other:?}"
                        )))
                    }
                }
            }
            "org" => up.org = Some(text()).filter(|t| !t.is_empty()),
            "csrf" => up.csrf = Some(text()),
            _ => {}
        }
    }
    if !has_file {
        return Err(HttpError::invalid(
            "the multipart body has no \"file\" field",
        ));
    }
    Ok(up)
}

pub(crate) fn too_large() -> HttpError {
    HttpError::new(
        ErrorCode::PayloadTooLarge,
        "the upload exceeds the server's size limit (max_upload_bytes)",
    )
}

pub(crate) async fn do_import(
    s: &HubState,
    auth: &RequestAuth,
    up: Upload,
) -> Result<qiantang_app::catalog::ImportReport, HttpError> {
    let org = auth.target_org(&s.app, up.org.as_deref())?;
    let actor = auth.actor();
    blocking(s, move |a: &App| {
        let opts = ImportOptions {
            heading_pattern: up.heading_pattern.clone(),
        };
        a.catalog()
            .import_novel(&qiantang_app::catalog::ImportRequest {
                org,
                file_name: &up.file_name,
                bytes: &up.bytes,
                title: up.title.as_deref(),
                author: up.author.as_deref(),
                options: &opts,
                dry_run: up.dry_run,
                publish: false,
                actor: &actor,
            })
    })
    .await
}
