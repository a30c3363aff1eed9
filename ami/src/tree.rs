//! The IBIS-AMI parameter-string syntax: `(root (name value...) (branch (name value)))`.
//!
//! Our own parser rather than an S-expression crate: the AMI grammar has four tokens
//! (parentheses, double-quoted strings without escapes, and bare atoms), while the
//! crates on crates.io (`lexpr`, `sexp`) read Scheme/Lisp syntax (`#t`, `'x`, `;`
//! comments, rationals, backslash escapes) that AMI does not have, so they would accept
//! strings that a simulator's AMI parser rejects and reject none that it accepts. This
//! is about 100 lines with its tests.

use thiserror::Error;

/// A value in a parameter tree.
#[derive(Clone, Debug, PartialEq)]
pub enum Node {
    /// A bare atom: a number, a name, `True`/`False`.
    Atom(String),
    /// A double-quoted string (without the quotes).
    Str(String),
    /// `(name item...)`: a leaf with values, or a branch with sub-lists.
    List(String, Vec<Node>),
}

/// A malformed parameter string.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum TreeError {
    /// The text ended inside a list or a string.
    #[error("the parameter string ends early (an unclosed '(' or '\"')")]
    Unclosed,
    /// Something other than `(` where a list must start.
    #[error("expected '(' at byte {0}")]
    ExpectedOpen(usize),
    /// A list without a name.
    #[error("a list without a name at byte {0}")]
    NoName(usize),
    /// Text after the root list.
    #[error("text after the root list at byte {0}")]
    Trailing(usize),
    /// A `)` with nothing open.
    #[error("an unmatched ')' at byte {0}")]
    Unmatched(usize),
}

struct Lexer<'a> {
    s: &'a [u8],
    i: usize,
}

impl Lexer<'_> {
    fn skip_ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }

    fn atom(&mut self) -> String {
        let start = self.i;
        while self.i < self.s.len()
            && !self.s[self.i].is_ascii_whitespace()
            && !matches!(self.s[self.i], b'(' | b')' | b'"')
        {
            self.i += 1;
        }
        String::from_utf8_lossy(&self.s[start..self.i]).into_owned()
    }

    fn string(&mut self) -> Result<String, TreeError> {
        self.i += 1; // the opening quote
        let start = self.i;
        while self.i < self.s.len() && self.s[self.i] != b'"' {
            self.i += 1;
        }
        if self.i >= self.s.len() {
            return Err(TreeError::Unclosed);
        }
        let v = String::from_utf8_lossy(&self.s[start..self.i]).into_owned();
        self.i += 1;
        Ok(v)
    }

    /// A list; `self.i` is at its `(`.
    fn list(&mut self, depth: usize) -> Result<Node, TreeError> {
        if depth > 64 {
            return Err(TreeError::NoName(self.i));
        }
        self.i += 1;
        self.skip_ws();
        let at = self.i;
        if self.i >= self.s.len() {
            return Err(TreeError::Unclosed);
        }
        let name = match self.s[self.i] {
            b'"' => self.string()?,
            b'(' | b')' => return Err(TreeError::NoName(at)),
            _ => self.atom(),
        };
        let mut items = Vec::new();
        loop {
            self.skip_ws();
            match self.s.get(self.i) {
                None => return Err(TreeError::Unclosed),
                Some(b')') => {
                    self.i += 1;
                    return Ok(Node::List(name, items));
                }
                Some(b'(') => items.push(self.list(depth + 1)?),
                Some(b'"') => items.push(Node::Str(self.string()?)),
                Some(_) => items.push(Node::Atom(self.atom())),
            }
        }
    }
}

/// Parses one root list: `(root (name value) ...)`.
pub fn parse(text: &str) -> Result<Node, TreeError> {
    let mut lx = Lexer {
        s: text.as_bytes(),
        i: 0,
    };
    lx.skip_ws();
    match lx.s.get(lx.i) {
        Some(b'(') => {}
        Some(b')') => return Err(TreeError::Unmatched(lx.i)),
        _ => return Err(TreeError::ExpectedOpen(lx.i)),
    }
    let root = lx.list(0)?;
    lx.skip_ws();
    match lx.s.get(lx.i) {
        None => Ok(root),
        Some(b')') => Err(TreeError::Unmatched(lx.i)),
        Some(_) => Err(TreeError::Trailing(lx.i)),
    }
}

impl Node {
    /// The text of an atom or a string.
    pub fn text(&self) -> Option<&str> {
        match self {
            Node::Atom(s) | Node::Str(s) => Some(s),
            Node::List(..) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(s: &str) -> Node {
        Node::Atom(s.into())
    }

    #[test]
    fn reads_leaves_branches_and_strings() {
        let t = parse(r#" (rx (taps 16) (method "mmse") (sub (x -1.5e-3 2)) (s "a b")) "#).unwrap();
        assert_eq!(
            t,
            Node::List(
                "rx".into(),
                vec![
                    Node::List("taps".into(), vec![a("16")]),
                    Node::List("method".into(), vec![Node::Str("mmse".into())]),
                    Node::List(
                        "sub".into(),
                        vec![Node::List("x".into(), vec![a("-1.5e-3"), a("2")])]
                    ),
                    Node::List("s".into(), vec![Node::Str("a b".into())]),
                ]
            )
        );
        assert_eq!(parse("(root)").unwrap(), Node::List("root".into(), vec![]));
    }

    #[test]
    fn refuses_malformed_text() {
        assert_eq!(parse("(rx (taps 16)"), Err(TreeError::Unclosed));
        assert_eq!(parse("(rx (s \"open))"), Err(TreeError::Unclosed));
        assert_eq!(parse("rx (taps 1)"), Err(TreeError::ExpectedOpen(0)));
        assert_eq!(parse("(rx) x"), Err(TreeError::Trailing(5)));
        assert_eq!(parse("(rx))"), Err(TreeError::Unmatched(4)));
        assert_eq!(parse("(rx (() 1))"), Err(TreeError::NoName(5)));
        assert_eq!(parse(""), Err(TreeError::ExpectedOpen(0)));
        let deep = "(".repeat(100) + &")".repeat(100);
        assert!(parse(&deep).is_err());
    }
}
