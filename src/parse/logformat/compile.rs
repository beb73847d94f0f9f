//! Compiling a LogFormat string: `%` directives and httpd.conf escapes into raw items, then
//! linked into the parser's items (which directive fills which field, quoting, stop bytes).

use std::sync::Arc;

use super::{Closing, Compiled, Field, FormatError, Item, LogFormat, Preset};
use crate::parse::directive::{directive, Directive, HitField};

pub(super) fn compile(spec: &str, preset: Option<Preset>) -> Result<LogFormat, FormatError> {
    let mut raw: Vec<RawItem> = Vec::new();
    let bytes = spec.as_bytes();
    let mut literal = String::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let (directive, next) = directive(spec, i)?;
                match directive {
                    None => literal.push('%'),
                    Some(d) => {
                        if !literal.is_empty() {
                            raw.push(RawItem::Literal(std::mem::take(&mut literal)));
                        }
                        raw.push(RawItem::Field(d));
                    }
                }
                i = next;
            }
            // httpd.conf-style escapes, so a LogFormat line can be pasted as written there.
            b'\\' if i + 1 < bytes.len() && b"\"\\ntr".contains(&bytes[i + 1]) => {
                literal.push(match bytes[i + 1] {
                    b'n' => '\n',
                    b't' => '\t',
                    b'r' => '\r',
                    other => other as char,
                });
                i += 2;
            }
            _ => {
                let ch = spec[i..].chars().next().expect("in bounds");
                literal.push(ch);
                i += ch.len_utf8();
            }
        }
    }
    if !literal.is_empty() {
        raw.push(RawItem::Literal(literal));
    }
    if !raw.iter().any(|item| matches!(item, RawItem::Field(_))) {
        return Err(FormatError::whole("no % directives: nothing to parse"));
    }
    Ok(LogFormat {
        inner: Arc::new(link(spec, preset, raw)),
    })
}

enum RawItem {
    Literal(String),
    Field(Directive),
}

/// Assigns slots (first preferred directive of each kind wins), quoting and stop bytes.
fn link(spec: &str, preset: Option<Preset>, raw: Vec<RawItem>) -> Compiled {
    let mut best_rank: Vec<(HitField, u8)> = Vec::new();
    for item in &raw {
        if let RawItem::Field(d) = item {
            match best_rank.iter_mut().find(|(field, _)| *field == d.field) {
                Some((_, rank)) => *rank = (*rank).min(d.rank),
                None => best_rank.push((d.field, d.rank)),
            }
        }
    }
    let mut filled: Vec<HitField> = Vec::new();
    let literal_at = |k: usize| match raw.get(k) {
        Some(RawItem::Literal(text)) => Some(text.as_str()),
        _ => None,
    };
    let field_name_near = |k: usize| {
        let next = raw[k..].iter().find_map(|item| match item {
            RawItem::Field(d) => Some(d.name),
            RawItem::Literal(_) => None,
        });
        let previous = raw[..k].iter().rev().find_map(|item| match item {
            RawItem::Field(d) => Some(d.name),
            RawItem::Literal(_) => None,
        });
        next.or(previous).unwrap_or("literal text")
    };
    let mut items = Vec::with_capacity(raw.len());
    let mut quotes_before = 0usize;
    for (k, item) in raw.iter().enumerate() {
        match item {
            RawItem::Literal(text) => {
                quotes_before += text.matches('"').count();
                items.push(Item::Literal {
                    text: text.as_str().into(),
                    field: field_name_near(k),
                })
            }
            RawItem::Field(d) => {
                let preferred = best_rank
                    .iter()
                    .any(|(field, rank)| *field == d.field && *rank == d.rank);
                let field = if d.field != HitField::Skip && preferred && !filled.contains(&d.field)
                {
                    filled.push(d.field);
                    d.field
                } else {
                    HitField::Skip
                };
                let before = k.checked_sub(1).and_then(literal_at);
                let after = literal_at(k + 1);
                let quoted = match (before, after) {
                    (Some(b), Some(a)) if b.ends_with('"') && a.starts_with('"') => Some(Closing {
                        text: a.into(),
                        last: k + 2 == raw.len(),
                    }),
                    _ => None,
                };
                // Between two fields with no text in between (`%U%q`) the first takes all and the
                // second may be empty.
                let next_to_field = matches!(raw.get(k + 1), Some(RawItem::Field(_)))
                    || matches!(k.checked_sub(1).map(|j| &raw[j]), Some(RawItem::Field(_)));
                let stop = after.map_or(b' ', |a| a.as_bytes()[0]);
                let allow_empty = next_to_field;
                items.push(Item::Field(Field {
                    name: d.name,
                    shape: d.shape.clone(),
                    field,
                    quoted,
                    stop,
                    allow_empty,
                    lossy_ok: quotes_before % 2 == 1 && field != HitField::Client,
                }));
            }
        }
    }
    Compiled {
        spec: spec.to_owned(),
        preset,
        has_latency: filled.contains(&HitField::Latency),
        has_time: filled.contains(&HitField::Time),
        has_user_agent: filled.contains(&HitField::UserAgent),
        has_referer: filled.contains(&HitField::Referer),
        request_from_parts: !filled.contains(&HitField::Request)
            && filled.contains(&HitField::Path),
        items,
    }
}
