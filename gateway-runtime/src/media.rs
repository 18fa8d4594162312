//! Matching a request's `Content-Type` against the media ranges an operation
//! declares, so that a body is only ever checked by the validator written
//! for its media type.

use crate::contract::{BodyCheck, MediaType};

/// Why a content type is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaMismatch {
    /// There is a body but no `Content-Type` header.
    Missing,
    /// The header is not `type/subtype[; params]`.
    Malformed,
    /// No declared range matches.
    NotAccepted,
    /// JSON media with a charset other than UTF-8 (RFC 8259 requires UTF-8).
    Charset,
}

/// Picks the declared media type for `content_type`: type and subtype
/// compare case-insensitively, `type/*` and `*/*` match as ranges, the most
/// specific match wins. Parameters are ignored except `charset`, which must
/// be `utf-8` for JSON media when present.
pub fn select(
    content_type: Option<&[u8]>,
    declared: &'static [MediaType],
) -> Result<&'static MediaType, MediaMismatch> {
    let raw = content_type.ok_or(MediaMismatch::Missing)?;
    let raw = std::str::from_utf8(raw).map_err(|_| MediaMismatch::Malformed)?;
    let mut parts = raw.split(';');
    let essence = parts.next().unwrap_or("").trim();
    let (ty, sub) = essence.split_once('/').ok_or(MediaMismatch::Malformed)?;
    if ty.is_empty() || sub.is_empty() || ty == "*" || sub == "*" {
        return Err(MediaMismatch::Malformed);
    }
    let mut best: Option<(u8, &'static MediaType)> = None;
    for media in declared {
        let Some((rty, rsub)) = media.range.split_once('/') else {
            continue;
        };
        let specificity = if rty == "*" && rsub == "*" {
            0
        } else if rty.eq_ignore_ascii_case(ty) && rsub == "*" {
            1
        } else if rty.eq_ignore_ascii_case(ty) && rsub.eq_ignore_ascii_case(sub) {
            2
        } else {
            continue;
        };
        if best.is_none_or(|(s, _)| specificity > s) {
            best = Some((specificity, media));
        }
    }
    let (_, media) = best.ok_or(MediaMismatch::NotAccepted)?;
    // Bodies that are validated as text must be UTF-8 (or its ASCII subset).
    if !matches!(media.check, BodyCheck::SizeOnly) {
        for param in parts {
            let Some((name, value)) = param.split_once('=') else {
                continue;
            };
            if name.trim().eq_ignore_ascii_case("charset") {
                let value = value.trim().trim_matches('"');
                if !value.eq_ignore_ascii_case("utf-8") && !value.eq_ignore_ascii_case("us-ascii") {
                    return Err(MediaMismatch::Charset);
                }
            }
        }
    }
    Ok(media)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::Value;
    use crate::validate::Violations;

    fn json_ok(_: &Value<'_>, _: &mut Violations) -> bool {
        true
    }

    static DECLARED: &[MediaType] = &[
        MediaType {
            range: "application/json",
            check: BodyCheck::Json(json_ok),
        },
        MediaType {
            range: "text/*",
            check: BodyCheck::SizeOnly,
        },
        MediaType {
            range: "*/*",
            check: BodyCheck::SizeOnly,
        },
    ];

    static JSON_ONLY: &[MediaType] = &[MediaType {
        range: "application/json",
        check: BodyCheck::Json(json_ok),
    }];

    /// `expect`: the selected range, or the mismatch as `Err`.
    fn check(
        content_type: Option<&str>,
        declared: &'static [MediaType],
        expect: Result<&str, MediaMismatch>,
    ) {
        let got = select(content_type.map(str::as_bytes), declared).map(|m| m.range);
        assert_eq!(got, expect, "content type {content_type:?}");
    }

    #[test]
    fn selects_most_specific_range() {
        use MediaMismatch::*;
        check(Some("application/json"), DECLARED, Ok("application/json"));
        check(Some("Application/JSON"), DECLARED, Ok("application/json"));
        check(
            Some("application/json; charset=utf-8"),
            DECLARED,
            Ok("application/json"),
        );
        check(
            Some("application/json;charset=\"UTF-8\""),
            DECLARED,
            Ok("application/json"),
        );
        check(
            Some("application/json; charset=latin1"),
            DECLARED,
            Err(Charset),
        );
        check(
            Some("application/json; boundary=x"),
            DECLARED,
            Ok("application/json"),
        );
        check(Some("text/plain; charset=latin1"), DECLARED, Ok("text/*"));
        check(Some("TEXT/csv"), DECLARED, Ok("text/*"));
        check(Some("image/png"), DECLARED, Ok("*/*"));
        check(Some("image/png"), JSON_ONLY, Err(NotAccepted));
        check(Some("application/jsonx"), JSON_ONLY, Err(NotAccepted));
        check(None, JSON_ONLY, Err(Missing));
        check(Some("json"), JSON_ONLY, Err(Malformed));
        check(Some("application/"), JSON_ONLY, Err(Malformed));
        check(Some("*/*"), DECLARED, Err(Malformed));
    }
}
