//! ODK's `regex()` matcher, a thin wrapper over the `regex` crate with full-string anchoring.
//!
//! ODK's `regex(s, re)` is true only when the whole string matches (Java `String.matches`), so the
//! pattern is wrapped as `^(?:...)$`. The `regex` crate guarantees linear-time matching, and a
//! compiled-size limit keeps a hostile pattern from using unbounded memory.

/// Upper bound on the compiled program size; form constraints are tiny, so 1 MiB is generous.
const SIZE_LIMIT: usize = 1 << 20;

/// A compiled, fully anchored pattern.
#[derive(Debug, Clone)]
pub struct Regex {
    inner: regex::Regex,
}

/// Why a pattern could not be compiled or matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegexError(pub String);

impl Regex {
    /// Compiles `pattern`, anchored at both ends.
    pub fn new(pattern: &str) -> Result<Regex, RegexError> {
        // Compile the bare pattern first: a pattern such as `a)|(b` would otherwise balance the
        // wrapper's parentheses and escape the anchors.
        regex::RegexBuilder::new(pattern)
            .size_limit(SIZE_LIMIT)
            .build()
            .map_err(error)?;
        let anchored = format!("^(?:{pattern})$");
        regex::RegexBuilder::new(&anchored)
            .size_limit(SIZE_LIMIT)
            .dfa_size_limit(SIZE_LIMIT)
            .build()
            .map(|inner| Regex { inner })
            .map_err(error)
    }

    /// True when the whole of `text` matches.
    pub fn full_match(&self, text: &str) -> Result<bool, RegexError> {
        Ok(self.inner.is_match(text))
    }
}

/// The crate's syntax errors print the pattern with a caret over several lines; a form author
/// needs only the final `error: ...` line, as a one-line message.
fn error(e: regex::Error) -> RegexError {
    let text = e.to_string();
    let last = text
        .rsplit_once("error: ")
        .map_or(text.as_str(), |(_, m)| m);
    RegexError(last.trim().to_string())
}

#[cfg(test)]
mod tests;
