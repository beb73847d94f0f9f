//! Making untrusted text (log fields, metadata, malformed samples, action output) safe to show in
//! a terminal or to write as JSON Lines:
//! no byte of a log line can move the cursor, clear the screen, set the title or change colours.

use std::borrow::Cow;

/// Escapes every control character (C0, DEL, C1) and the Unicode bidi/format controls as `\xHH` or
/// `\u{…}`, and truncates to `max_chars` characters (ending with `…`). Borrows when nothing changes.
pub fn for_display(text: &str, max_chars: usize) -> Cow<'_, str> {
    let needs_escape = text.chars().any(is_unsafe);
    let too_long = text.len() > max_chars && text.chars().count() > max_chars;
    if !needs_escape && !too_long {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len().min(max_chars * 4) + 8);
    for (shown, c) in text.chars().enumerate() {
        if shown >= max_chars {
            out.push('…');
            return Cow::Owned(out);
        }
        if is_unsafe(c) {
            let escaped = match c {
                '\t' => "\\t".to_string(),
                '\n' => "\\n".to_string(),
                '\r' => "\\r".to_string(),
                c if (c as u32) < 0x100 => format!("\\x{:02x}", c as u32),
                c => format!("\\u{{{:x}}}", c as u32),
            };
            out.push_str(&escaped);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Bytes that may not be UTF-8: invalid sequences become `\xHH`, then [`for_display`] applies.
pub fn bytes_for_display(bytes: &[u8], max_chars: usize) -> String {
    let mut text = String::with_capacity(bytes.len().min(max_chars * 4));
    for chunk in bytes.utf8_chunks() {
        text.push_str(chunk.valid());
        for b in chunk.invalid() {
            text.push_str(&format!("\\x{b:02x}"));
        }
    }
    for_display(&text, max_chars).into_owned()
}

/// Controls (C0, DEL, C1) and the invisible format/bidi characters that reorder or hide text:
/// what a terminal would act on. The JSON writer escapes the same set.
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2060}'..='\u{2069}' | '\u{feff}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_terminal_sequences() {
        let evil = "GET /\x1b[2J\x1b]0;pwned\x07 \u{9b}31m";
        let shown = for_display(evil, 100);
        assert!(!shown.chars().any(|c| c.is_control()), "{shown}");
        assert_eq!(shown, "GET /\\x1b[2J\\x1b]0;pwned\\x07 \\x9b31m");
    }

    #[test]
    fn borrows_clean_text_and_truncates_long_text() {
        assert!(matches!(for_display("/index.html", 50), Cow::Borrowed(_)));
        assert_eq!(for_display("abcdef", 3), "abc…");
        assert_eq!(for_display("\u{202e}x", 10), "\\u{202e}x");
    }

    #[test]
    fn invalid_utf8_is_shown_as_hex() {
        assert_eq!(bytes_for_display(b"a\xff\x1bb", 20), "a\\xff\\x1bb");
    }
}
