//! The codes people type: a voucher's at a shop's counter, a household's
//! from the letter that invites its residents. 80 random bits in Crockford
//! base32, shown as four groups of four (`7KQ2-M9XD-…`): short enough to
//! type, too many to guess, and read forgivingly (lower case, separators,
//! `O` for `0`, `I` or `L` for `1`).

use crate::EngineError;

/// Random bytes in a code: 80 bits.
const CODE_BYTES: usize = 10;
/// Characters per group of a shown code.
const CODE_GROUP: usize = 4;

/// A new random code, in its shown form.
pub fn new_code() -> Result<String, EngineError> {
    let mut bytes = [0u8; CODE_BYTES];
    getrandom::fill(&mut bytes).map_err(|e| EngineError::Task(format!("no randomness for a code: {e}")))?;
    Ok(grouped(&base32::encode(base32::Alphabet::Crockford, &bytes)))
}

/// The shown form of a typed or scanned code (`None` when it cannot be one):
/// separators and case do not matter, nor `O`/`0` and `I`/`L`/`1`.
pub fn canonical_code(typed: &str) -> Option<String> {
    let compact: String = typed.chars().filter(|c| !matches!(c, '-' | ' ')).collect();
    if compact.len() != CODE_BYTES * 8 / 5 {
        return None;
    }
    let bytes = base32::decode(base32::Alphabet::Crockford, &compact).filter(|b| b.len() == CODE_BYTES)?;
    Some(grouped(&base32::encode(base32::Alphabet::Crockford, &bytes)))
}

fn grouped(compact: &str) -> String {
    compact.as_bytes().chunks(CODE_GROUP).map(|g| String::from_utf8_lossy(g)).collect::<Vec<_>>().join("-")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn a_code_reads_back_however_it_is_typed_and_nothing_else_does() {
        let code = new_code().unwrap();
        assert_eq!(code.len(), 19, "{code}");
        assert_ne!(new_code().unwrap(), code);
        let typed = code.replace('-', " ").to_lowercase().replace('0', "o").replace('1', "l");
        assert_eq!(canonical_code(&typed).as_deref(), Some(code.as_str()));
        for not_a_code in ["", "7KQ2-M9XD", "7KQ2-M9XD-ABCD-EFGU", "😀😀😀😀-M9XD-ABCD-EFGH"] {
            assert_eq!(canonical_code(not_a_code), None, "{not_a_code}");
        }
    }
}
