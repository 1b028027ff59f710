//! Reading events from a request body or a NATS message: a JSON array, one JSON object,
//! or newline-delimited JSON (one object per line). The whole body is read before
//! anything is submitted, so a malformed event anywhere refuses the whole body.

use serde::de::DeserializeOwned;

use crate::error::AppError;
use crate::machine::{Channel, Machine};

/// The longest event id accepted, bytes.
pub const MAX_ID_BYTES: usize = 200;

/// Limits on one body.
#[derive(Debug, Clone, Copy)]
pub struct ParseLimits {
    /// The most events in one body.
    pub max_events: usize,
}

/// Why a body was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// Not JSON, or not events.
    #[error("event {index}: {message}")]
    Malformed {
        /// The event's position, from 0 (for a broken array: where parsing stopped).
        index: usize,
        /// The parser's message, with line and column.
        message: String,
    },
    /// An empty body.
    #[error("the body holds no events; send a JSON array, one JSON object or one object per line")]
    Empty,
    /// More events than allowed.
    #[error("more than {limit} events in one body; split it")]
    TooMany {
        /// The limit.
        limit: usize,
    },
    /// An id that is empty, too long or holds control characters.
    #[error("event {index}: the id {id:?} is not valid: {problem}")]
    BadId {
        /// The event's position.
        index: usize,
        /// The id, shortened.
        id: String,
        /// What is wrong.
        problem: &'static str,
    },
    /// An event this channel may not carry (a command without the admin token).
    #[error("event {index} (id {id:?}): {message}")]
    NotAdmitted {
        /// The event's position.
        index: usize,
        /// Its id.
        id: String,
        /// Why.
        message: String,
    },
}

impl ParseError {
    /// The HTTP answer: 413 for too many events, 403 for a command without the admin
    /// token, 400 otherwise.
    pub fn into_app_error(self) -> AppError {
        match self {
            ParseError::TooMany { .. } => AppError::too_large(self.to_string()),
            ParseError::NotAdmitted { .. } => AppError::forbidden(self.to_string()),
            _ => AppError::bad_request(self.to_string()),
        }
    }
}

/// Parses, checks ids and admits every event of a body.
///
/// # Errors
/// A [`ParseError`] naming the first bad event.
pub fn parse_events<M: Machine>(
    body: &[u8],
    limits: ParseLimits,
    channel: Channel,
) -> Result<Vec<M::Event>, ParseError> {
    let mut events: Vec<M::Event> = parse_values(body, limits)?;
    for (index, event) in events.iter_mut().enumerate() {
        check_id(M::event_id(event), index)?;
        M::admit(event, channel).map_err(|message| ParseError::NotAdmitted {
            index,
            id: M::event_id(event).to_string(),
            message,
        })?;
    }
    Ok(events)
}

fn parse_values<T: DeserializeOwned>(body: &[u8], limits: ParseLimits) -> Result<Vec<T>, ParseError> {
    let first = body.iter().position(|b| !b.is_ascii_whitespace()).ok_or(ParseError::Empty)?;
    if body[first] == b'[' {
        // An array: count its elements first, so a huge array is refused before it is
        // built, then parse it whole.
        let values: Vec<serde::de::IgnoredAny> = serde_json::from_slice(body)
            .map_err(|e| ParseError::Malformed { index: 0, message: format!("not a JSON array of events: {e}") })?;
        if values.len() > limits.max_events {
            return Err(ParseError::TooMany { limit: limits.max_events });
        }
        if values.is_empty() {
            return Err(ParseError::Empty);
        }
        return serde_json::from_slice::<Vec<T>>(body).map_err(|e| ParseError::Malformed {
            index: 0,
            message: format!("{e} (in the array; see the line and column)"),
        });
    }
    // One object, or one object per line.
    let mut out = Vec::new();
    for (index, value) in serde_json::Deserializer::from_slice(body).into_iter::<T>().enumerate() {
        if index >= limits.max_events {
            return Err(ParseError::TooMany { limit: limits.max_events });
        }
        out.push(value.map_err(|e| ParseError::Malformed { index, message: e.to_string() })?);
    }
    if out.is_empty() {
        return Err(ParseError::Empty);
    }
    Ok(out)
}

fn check_id(id: &str, index: usize) -> Result<(), ParseError> {
    let problem = if id.trim().is_empty() {
        Some("it is empty")
    } else if id.len() > MAX_ID_BYTES {
        Some("it is longer than 200 bytes")
    } else if id.chars().any(char::is_control) {
        Some("it holds control characters")
    } else {
        None
    };
    match problem {
        Some(problem) => {
            let shown: String = id.chars().take(40).collect();
            Err(ParseError::BadId { index, id: shown, problem })
        }
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize, PartialEq)]
    struct E {
        id: String,
    }

    const LIMITS: ParseLimits = ParseLimits { max_events: 3 };

    #[test]
    fn arrays_objects_and_lines_are_read() {
        let ids = |v: Vec<E>| v.into_iter().map(|e| e.id).collect::<Vec<_>>();
        assert_eq!(ids(parse_values(br#" [{"id":"a"},{"id":"b"}]"#, LIMITS).unwrap()), ["a", "b"]);
        assert_eq!(ids(parse_values(br#"{"id":"a"}"#, LIMITS).unwrap()), ["a"]);
        assert_eq!(ids(parse_values(b"{\"id\":\"a\"}\n{\"id\":\"b\"}\n", LIMITS).unwrap()), ["a", "b"]);
    }

    #[test]
    fn bad_bodies_are_refused_with_a_place() {
        assert_eq!(parse_values::<E>(b"  \n", LIMITS), Err(ParseError::Empty));
        assert_eq!(parse_values::<E>(b"[]", LIMITS), Err(ParseError::Empty));
        let err = parse_values::<E>(b"{\"id\":\"a\"}\n{\"id\":7}\n", LIMITS).unwrap_err();
        assert!(matches!(&err, ParseError::Malformed { index: 1, message } if message.contains("line 2")), "{err}");
        assert_eq!(
            parse_values::<E>(br#"[{"id":"a"},{"id":"b"},{"id":"c"},{"id":"d"}]"#, LIMITS),
            Err(ParseError::TooMany { limit: 3 })
        );
        let deep = "[".repeat(10_000);
        assert!(matches!(parse_values::<E>(deep.as_bytes(), LIMITS), Err(ParseError::Malformed { .. })));
    }

    #[test]
    fn ids_must_be_printable_and_short() {
        assert!(check_id("e-1", 0).is_ok());
        assert!(check_id(" ", 0).is_err());
        assert!(check_id("a\nb", 0).is_err());
        assert!(check_id(&"x".repeat(201), 0).is_err());
    }
}
