//! Which values are secrets, and how they are hidden.
//!
//! One rule for header names, query parameter names and URLs, so a token
//! hidden in the Headers pane is also hidden when the same token travels as
//! `?access_token=…` (the usual way browsers authenticate WebSockets, since
//! they cannot set headers) or as `user:password@` in the URL.
//!
//! May import: nothing from this crate.

use std::borrow::Cow;

/// What replaces a secret on screen (and on a terminal's standard error).
pub const SCREEN_MASK: &str = "••••••";

/// What replaces a secret in files (logs, exports, flows, reports) unless
/// secrets are kept.
pub const FILE_MASK: &str = "[masked]";

/// Where a value would be shown, which decides its mask.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    Screen,
    File,
}

impl Shown {
    /// What replaces a secret there.
    pub fn mask(self) -> &'static str {
        match self {
            Self::Screen => SCREEN_MASK,
            Self::File => FILE_MASK,
        }
    }
}

/// Whether a header's or parameter's value is a secret to hide: its name
/// is sensitive, it holds something, and it is not only a `{{reference}}`
/// (which names where the secret comes from). The one rule for rows, on
/// screen and in files.
pub fn hides(name: &str, value: &str) -> bool {
    !value.is_empty() && !is_reference(value) && is_sensitive_name(name)
}

/// A row's value as shown `where`: masked when [`hides`] says so.
pub fn shown_value<'a>(name: &str, value: &'a str, shown: Shown) -> Cow<'a, str> {
    if hides(name, value) {
        Cow::Borrowed(shown.mask())
    } else {
        Cow::Borrowed(value)
    }
}

/// Whether a header or query parameter of this name carries a secret.
pub fn is_sensitive_name(name: &str) -> bool {
    let name = name.trim().to_ascii_lowercase();
    matches!(
        name.as_str(),
        "authorization" | "proxy-authorization" | "cookie" | "set-cookie" | "api-key" | "sig" | "jwt"
    ) || [
        "token",
        "secret",
        "key",
        "password",
        "passwd",
        "pwd",
        "auth",
        "signature",
        "credential",
        "session",
    ]
    .iter()
    .any(|word| name.contains(word))
}

/// Whether a value is only a `{{variable}}` reference: it names where the
/// secret comes from and is not one itself.
pub fn is_reference(value: &str) -> bool {
    let value = value.trim();
    value.starts_with("{{") && value.ends_with("}}") && value[2..value.len() - 2].find("}}").is_none()
}

/// The URL with its userinfo and the values of sensitive query parameters
/// replaced by `mask`. Works on text, so it also takes a URL that still
/// holds `{{variables}}` or does not parse; references are left as they are.
pub fn mask_url<'a>(url: &'a str, mask: &str) -> Cow<'a, str> {
    let (before_fragment, fragment) = match url.find('#') {
        Some(at) => url.split_at(at),
        None => (url, ""),
    };
    let (base, query) = match before_fragment.find('?') {
        Some(at) => (&before_fragment[..at], Some(&before_fragment[at + 1..])),
        None => (before_fragment, None),
    };
    let mut changed = false;
    let base = match mask_userinfo(base, mask) {
        Some(masked) => {
            changed = true;
            Cow::Owned(masked)
        }
        None => Cow::Borrowed(base),
    };
    let query = query.map(|query| {
        query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((name, value))
                    if !value.is_empty() && !is_reference(value) && is_sensitive_name(&decoded(name)) =>
                {
                    changed = true;
                    format!("{name}={mask}")
                }
                _ => pair.to_string(),
            })
            .collect::<Vec<_>>()
            .join("&")
    });
    if !changed {
        return Cow::Borrowed(url);
    }
    let mut out = base.into_owned();
    if let Some(query) = query {
        out.push('?');
        out.push_str(&query);
    }
    out.push_str(fragment);
    Cow::Owned(out)
}

/// `scheme://user:pass@host` → `scheme://user:MASK@host`; a lone user part
/// (often a token) is masked whole.
fn mask_userinfo(base: &str, mask: &str) -> Option<String> {
    let authority_start = base.find("://")? + 3;
    let authority_end = base[authority_start..]
        .find('/')
        .map_or(base.len(), |i| authority_start + i);
    let authority = &base[authority_start..authority_end];
    let at = authority.rfind('@')?;
    let userinfo = &authority[..at];
    let masked = match userinfo.split_once(':') {
        Some((user, password)) if !password.is_empty() && !is_reference(password) => format!("{user}:{mask}"),
        Some(_) => return None,
        None if userinfo.is_empty() || is_reference(userinfo) => return None,
        None => mask.to_string(),
    };
    Some(format!(
        "{}{masked}{}",
        &base[..authority_start],
        &base[authority_start + at..]
    ))
}

fn decoded(name: &str) -> String {
    percent_encoding::percent_decode_str(&name.replace('+', " "))
        .decode_utf8_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    #[test]
    fn one_rule_hides_a_row_with_one_mask_for_each_place() {
        assert!(hides("X-API-KEY", "s3cret"));
        assert!(!hides("api-key", ""), "nothing to hide");
        assert!(!hides("api-key", "{{env:KEY}}"), "a reference names no secret");
        assert!(!hides("Origin", "https://a"));
        assert_eq!(shown_value("token", "abc", Shown::Screen), SCREEN_MASK);
        assert_eq!(shown_value("token", "abc", Shown::File), FILE_MASK);
        assert_eq!(shown_value("room", "blue", Shown::File), "blue");
    }

    use super::*;

    #[test]
    fn names() {
        for name in [
            "Authorization",
            "api-key",
            "X-Api-Key",
            "access_token",
            "client_secret",
            "password",
            "X-Signature",
            "sessionid",
            "sig",
        ] {
            assert!(is_sensitive_name(name), "{name}");
        }
        for name in ["room", "content-type", "user", "signal"] {
            assert!(!is_sensitive_name(name), "{name}");
        }
    }

    #[test]
    fn query_tokens_and_userinfo_are_masked() {
        assert_eq!(
            mask_url("wss://h:1/feed?room=blue&access_token=abc123&sig=zz#top", "***"),
            "wss://h:1/feed?room=blue&access_token=***&sig=***#top"
        );
        assert_eq!(mask_url("ws://bob:hunter2@h/p?x=1", "***"), "ws://bob:***@h/p?x=1");
        assert_eq!(mask_url("ws://tok3n@h/", "***"), "ws://***@h/");
        assert_eq!(mask_url("http://u:p@proxy:8080", "***"), "http://u:***@proxy:8080");
    }

    #[test]
    fn plain_urls_and_references_are_untouched() {
        assert!(matches!(mask_url("ws://h/p?room=1", "***"), Cow::Borrowed(_)));
        assert_eq!(
            mask_url("ws://h/p?token={{env:TOKEN}}&key=", "***"),
            "ws://h/p?token={{env:TOKEN}}&key="
        );
        assert_eq!(mask_url("ws://@h/p?a", "***"), "ws://@h/p?a");
        assert_eq!(mask_url("not a url ?%%=&=&token", "*"), "not a url ?%%=&=&token");
    }
}
