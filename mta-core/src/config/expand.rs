//! `$name` expansion in parameter values, as postconf(5) describes it.
//!
//! Forms:
//! - `$name`, `${name}`, `$(name)`: the value of `name` (itself expanded);
//!   an undefined name expands to nothing;
//! - `${name?value}`, `${name?{value}}`: `value` when `name` is set to a
//!   non-empty value, else nothing;
//! - `${name:value}`, `${name:{value}}`: `value` when `name` is undefined
//!   or empty, else nothing;
//! - `${name?{value1}:{value2}}`: `value1` when `name` is non-empty, else
//!   `value2` (Postfix 3.0 and later);
//! - `$$`: a literal `$`.
//!
//! Postfix 3.0's relational forms (`${{$a} == {b} ? ...}`) are refused with
//! a clear error. Expansion nests at most [`MAX_DEPTH`] levels, so loops
//! such as `a = $b` / `b = $a` fail instead of recursing forever.

use std::collections::BTreeSet;

use super::error::ValueProblem;

/// How deep `$name` expansions may nest (Postfix's mac_expand limit).
pub const MAX_DEPTH: usize = 100;

/// How many `$name` references one value may expand in all, and how long
/// its expansion may grow: `a = $b$b`, `b = $c$c`, ... doubles at each
/// level, so depth alone does not bound the work.
pub const MAX_STEPS: usize = 100_000;

/// The longest expanded value, in bytes.
pub const MAX_EXPANDED_LEN: usize = 1 << 20;

/// Expands values against a lookup of raw (unexpanded) parameter values.
pub(crate) struct Expander<'a> {
    lookup: &'a dyn Fn(&str) -> Option<String>,
    /// Every name a `$` form referred to.
    pub referenced: BTreeSet<String>,
    /// Names that were referred to but have no value.
    pub undefined: BTreeSet<String>,
    steps: usize,
}

impl<'a> Expander<'a> {
    pub(crate) fn new(lookup: &'a dyn Fn(&str) -> Option<String>) -> Self {
        Expander {
            lookup,
            referenced: BTreeSet::new(),
            undefined: BTreeSet::new(),
            steps: 0,
        }
    }

    /// Expands `text` completely.
    pub(crate) fn expand(&mut self, text: &str) -> Result<String, ValueProblem> {
        self.expand_at(text, 0)
    }

    fn value_of(&mut self, name: &str, depth: usize) -> Result<String, ValueProblem> {
        self.steps += 1;
        if self.steps > MAX_STEPS {
            return Err(ValueProblem::ExpansionTooLarge);
        }
        self.referenced.insert(name.to_owned());
        match (self.lookup)(name) {
            Some(raw) => self.expand_at(&raw, depth + 1),
            None => {
                self.undefined.insert(name.to_owned());
                Ok(String::new())
            }
        }
    }

    fn expand_at(&mut self, text: &str, depth: usize) -> Result<String, ValueProblem> {
        if depth > MAX_DEPTH {
            return Err(ValueProblem::MacroNesting(MAX_DEPTH));
        }
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(at) = rest.find('$') {
            out.push_str(&rest[..at]);
            let after = &rest[at + 1..];
            match after.chars().next() {
                Some('$') => {
                    out.push('$');
                    rest = &after[1..];
                }
                Some(open @ ('{' | '(')) => {
                    let close = if open == '{' { '}' } else { ')' };
                    let (inner, remainder) = match_bracket(after, open, close)
                        .ok_or_else(|| ValueProblem::Macro(text.to_owned()))?;
                    let value = self.braced(inner, text, depth)?;
                    out.push_str(&value);
                    rest = remainder;
                }
                Some(c) if c.is_ascii_alphanumeric() || c == '_' => {
                    let end = after
                        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                        .unwrap_or(after.len());
                    let value = self.value_of(&after[..end], depth)?;
                    out.push_str(&value);
                    rest = &after[end..];
                }
                // A `$` before anything else stays a literal `$`.
                _ => {
                    out.push('$');
                    rest = after;
                }
            }
        }
        out.push_str(rest);
        if out.len() > MAX_EXPANDED_LEN {
            return Err(ValueProblem::ExpansionTooLarge);
        }
        Ok(out)
    }

    /// The inside of `${...}`: `name`, `name?text`, `name:text`.
    fn braced(&mut self, inner: &str, whole: &str, depth: usize) -> Result<String, ValueProblem> {
        let bad = || ValueProblem::Macro(whole.to_owned());
        let end = inner
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(inner.len());
        let name = &inner[..end];
        if name.is_empty() {
            // `${{...}}` relational expressions (Postfix 3.0) land here.
            return Err(ValueProblem::Unsupported(whole.to_owned()));
        }
        let op = &inner[end..];
        if op.is_empty() {
            return self.value_of(name, depth);
        }
        let set = !self.value_of(name, depth)?.is_empty();
        let mut op_chars = op.chars();
        let kind = op_chars.next();
        let text = op_chars.as_str();
        match kind {
            Some('?') => {
                if let Some((first, after)) = match_bracket(text, '{', '}') {
                    let second = match after {
                        "" => None,
                        _ => {
                            let tail = after.strip_prefix(':').ok_or_else(bad)?;
                            let (second, end) = match_bracket(tail, '{', '}').ok_or_else(bad)?;
                            if !end.is_empty() {
                                return Err(bad());
                            }
                            Some(second)
                        }
                    };
                    match (set, second) {
                        (true, _) => self.expand_at(first, depth + 1),
                        (false, Some(second)) => self.expand_at(second, depth + 1),
                        (false, None) => Ok(String::new()),
                    }
                } else if set {
                    self.expand_at(text, depth + 1)
                } else {
                    Ok(String::new())
                }
            }
            Some(':') => {
                let text = match match_bracket(text, '{', '}') {
                    Some((inside, "")) => inside,
                    _ => text,
                };
                if set {
                    Ok(String::new())
                } else {
                    self.expand_at(text, depth + 1)
                }
            }
            _ => Err(bad()),
        }
    }
}

/// For `s` starting with `open`, returns the text up to the matching
/// `close` (exclusive) and the text after it; `None` when unbalanced.
fn match_bracket(s: &str, open: char, close: char) -> Option<(&str, &str)> {
    let body = s.strip_prefix(open)?;
    let mut level = 1usize;
    for (i, c) in body.char_indices() {
        if c == open {
            level += 1;
        } else if c == close {
            level -= 1;
            if level == 0 {
                return Some((&body[..i], &body[i + c.len_utf8()..]));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str, vars: &[(&str, &str)]) -> Result<String, ValueProblem> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect();
        let lookup = move |name: &str| vars.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
        Expander::new(&lookup).expand(text)
    }

    #[test]
    fn forms() {
        let v = [("a", "A"), ("b", "$a-B"), ("e", "")];
        assert_eq!(run("x $a ${a} $(a) y", &v).unwrap(), "x A A A y");
        assert_eq!(run("$b", &v).unwrap(), "A-B");
        assert_eq!(run("${a?yes}|${e?yes}|${u?yes}", &v).unwrap(), "yes||");
        assert_eq!(run("${a:no}|${e:no}|${u:no}", &v).unwrap(), "|no|no");
        assert_eq!(run("${a?{1}:{2}} ${e?{1}:{2}}", &v).unwrap(), "1 2");
        assert_eq!(run("${a?{$b}}", &v).unwrap(), "A-B");
        assert_eq!(run("${u:{x y}}", &v).unwrap(), "x y");
        assert_eq!(run("$$a $", &v).unwrap(), "$a $");
        assert_eq!(run("$undefined.", &v).unwrap(), ".");
        // A multi-byte character after the name is an error, not a panic.
        assert!(run("${aé}", &v).is_err());
    }

    #[test]
    fn errors() {
        assert!(matches!(run("${a", &[]), Err(ValueProblem::Macro(_))));
        assert!(matches!(
            run("${{$a} == {b}?{x}}", &[]),
            Err(ValueProblem::Unsupported(_))
        ));
        assert!(matches!(
            run("$a", &[("a", "$b"), ("b", "$a")]),
            Err(ValueProblem::MacroNesting(_))
        ));
        // Doubling at each of 40 levels: 2^40 references, refused early.
        let names: Vec<String> = (0..=40).map(|i| format!("v{i}")).collect();
        let values: Vec<String> = (0..40)
            .map(|i| format!("${}${}", names[i + 1], names[i + 1]))
            .chain(std::iter::once("x".to_owned()))
            .collect();
        let vars: Vec<(&str, &str)> = names
            .iter()
            .zip(&values)
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        assert!(matches!(
            run("$v0", &vars),
            Err(ValueProblem::ExpansionTooLarge)
        ));
    }
}
