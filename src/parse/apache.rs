//! nom parsers for the individual Apache fields.

use std::borrow::Cow;

/// Decodes Apache's escaping in a quoted field (`\"`, `\\`, `\xhh`, `\n`, `\t`, …). Borrows when there
/// is nothing to decode. Bytes that do not form UTF-8 after decoding are replaced (U+FFFD).
pub fn unescape(field: &str) -> Cow<'_, str> {
    let _ = field;
    todo!()
}
