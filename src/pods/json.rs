//! Just enough JSON for the files a node's runtime and CNI leave behind
//! (OCI `config.json` bundles, libcni's result cache, CRI-O's annotation
//! values): a pull reader that walks an object key by key, skips what it
//! does not need without building it, and stops as soon as the caller has
//! what it wants. A container's `config.json` is mostly seccomp rules and
//! mounts; the annotations and the network namespace are what podcap
//! reads, so a 500-pod node is read in milliseconds.
//!
//! Everything here is untrusted input: lengths and nesting are bounded,
//! malformed text is an [`Error`] naming the offset, never a panic.

use std::fmt;

/// Nesting deeper than this is refused (a real `config.json` nests 6).
const MAX_DEPTH: u32 = 64;

/// What went wrong, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub at: usize,
    pub why: &'static str,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte {}", self.why, self.at)
    }
}

pub type Result<T> = std::result::Result<T, Error>;

/// A parsed value, for the small parts read whole.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    /// The number as written (JSON numbers podcap reads are small
    /// integers; keeping the text loses nothing).
    Num(String),
    Str(String),
    Arr(Vec<Value>),
    Obj(Vec<(String, Value)>),
}

impl Value {
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Obj(m) => m.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }
    pub fn str(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(Value::as_str)
    }
    pub fn as_arr(&self) -> &[Value] {
        match self {
            Value::Arr(a) => a,
            _ => &[],
        }
    }
    pub fn arr(&self, key: &str) -> &[Value] {
        self.get(key).map(Value::as_arr).unwrap_or(&[])
    }
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Value::Num(n) => n.parse().ok(),
            _ => None,
        }
    }
    /// The members of an object, in file order.
    pub fn members(&self) -> &[(String, Value)] {
        match self {
            Value::Obj(m) => m,
            _ => &[],
        }
    }
}

/// Parses all of `text` as one value.
pub fn parse(text: &[u8]) -> Result<Value> {
    let mut r = Reader::new(text);
    let v = r.value()?;
    r.ws();
    if r.i < r.b.len() {
        return Err(r.err("text after the value"));
    }
    Ok(v)
}

/// A cursor over JSON text.
pub struct Reader<'a> {
    b: &'a [u8],
    i: usize,
    depth: u32,
}

impl<'a> Reader<'a> {
    pub fn new(b: &'a [u8]) -> Reader<'a> {
        Reader { b, i: 0, depth: 0 }
    }

    fn err(&self, why: &'static str) -> Error {
        Error { at: self.i, why }
    }

    fn ws(&mut self) {
        while let Some(c) = self.b.get(self.i) {
            if !matches!(c, b' ' | b'\t' | b'\n' | b'\r') {
                break;
            }
            self.i += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.b.get(self.i).copied()
    }

    fn expect(&mut self, c: u8, why: &'static str) -> Result<()> {
        if self.peek() == Some(c) {
            self.i += 1;
            Ok(())
        } else {
            Err(self.err(why))
        }
    }

    fn literal(&mut self, word: &[u8]) -> Result<()> {
        if self.b.get(self.i..self.i + word.len()) == Some(word) {
            self.i += word.len();
            Ok(())
        } else {
            Err(self.err("unknown literal"))
        }
    }

    /// The next value, built whole (bounded nesting).
    pub fn value(&mut self) -> Result<Value> {
        match self.peek() {
            Some(b'{') => {
                let mut m = Vec::new();
                self.object(|r, k| {
                    m.push((k.to_string(), r.value()?));
                    Ok(true)
                })?;
                Ok(Value::Obj(m))
            }
            Some(b'[') => {
                let mut v = Vec::new();
                self.array(|r| {
                    v.push(r.value()?);
                    Ok(true)
                })?;
                Ok(Value::Arr(v))
            }
            Some(b'"') => Ok(Value::Str(self.string()?)),
            Some(b't') => self.literal(b"true").map(|_| Value::Bool(true)),
            Some(b'f') => self.literal(b"false").map(|_| Value::Bool(false)),
            Some(b'n') => self.literal(b"null").map(|_| Value::Null),
            Some(c) if c == b'-' || c.is_ascii_digit() => {
                let start = self.i;
                while let Some(c) = self.b.get(self.i) {
                    if !matches!(c, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E') {
                        break;
                    }
                    self.i += 1;
                }
                Ok(Value::Num(
                    String::from_utf8_lossy(&self.b[start..self.i]).into_owned(),
                ))
            }
            Some(_) => Err(self.err("not a JSON value")),
            None => Err(self.err("the text ends where a value should be")),
        }
    }

    /// A string value, unescaped.
    pub fn string(&mut self) -> Result<String> {
        self.expect(b'"', "expected a string")?;
        let start = self.i;
        // The common case: no escapes, valid UTF-8.
        while let Some(&c) = self.b.get(self.i) {
            match c {
                b'"' => {
                    let s = &self.b[start..self.i];
                    self.i += 1;
                    return Ok(String::from_utf8_lossy(s).into_owned());
                }
                b'\\' => break,
                _ => self.i += 1,
            }
        }
        let mut out: Vec<u8> = self.b[start..self.i.min(self.b.len())].to_vec();
        loop {
            let Some(&c) = self.b.get(self.i) else {
                return Err(self.err("unterminated string"));
            };
            self.i += 1;
            match c {
                b'"' => return Ok(String::from_utf8_lossy(&out).into_owned()),
                b'\\' => {
                    let Some(&e) = self.b.get(self.i) else {
                        return Err(self.err("unterminated escape"));
                    };
                    self.i += 1;
                    match e {
                        b'"' | b'\\' | b'/' => out.push(e),
                        b'b' => out.push(8),
                        b'f' => out.push(12),
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'u' => {
                            let hex = self
                                .b
                                .get(self.i..self.i + 4)
                                .and_then(|h| std::str::from_utf8(h).ok())
                                .and_then(|h| u32::from_str_radix(h, 16).ok())
                                .ok_or_else(|| self.err("bad \\u escape"))?;
                            self.i += 4;
                            // Surrogate halves (emoji) are not in the
                            // names podcap reads: one replacement char.
                            let ch = char::from_u32(hex).unwrap_or('\u{fffd}');
                            let mut buf = [0u8; 4];
                            out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                        }
                        _ => return Err(self.err("bad escape")),
                    }
                }
                _ => out.push(c),
            }
        }
    }

    fn enter(&mut self) -> Result<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.err("nested too deeply"));
        }
        Ok(())
    }

    /// Walks an object: `each(reader, key)` must consume the member's
    /// value (with [`Reader::value`], [`Reader::skip`], ...) and answers
    /// whether to go on. Returns false when `each` stopped the walk (the
    /// rest of the text is then left unread).
    pub fn object(
        &mut self,
        mut each: impl FnMut(&mut Self, &str) -> Result<bool>,
    ) -> Result<bool> {
        self.expect(b'{', "expected an object")?;
        self.enter()?;
        if self.peek() == Some(b'}') {
            self.i += 1;
            self.depth -= 1;
            return Ok(true);
        }
        loop {
            let key = self.string()?;
            self.expect(b':', "expected `:` after a key")?;
            if !each(self, &key)? {
                return Ok(false);
            }
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b'}') => {
                    self.i += 1;
                    self.depth -= 1;
                    return Ok(true);
                }
                _ => return Err(self.err("expected `,` or `}` in an object")),
            }
        }
    }

    /// Walks an array, as [`Reader::object`] does.
    pub fn array(&mut self, mut each: impl FnMut(&mut Self) -> Result<bool>) -> Result<bool> {
        self.expect(b'[', "expected an array")?;
        self.enter()?;
        if self.peek() == Some(b']') {
            self.i += 1;
            self.depth -= 1;
            return Ok(true);
        }
        loop {
            if !each(self)? {
                return Ok(false);
            }
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b']') => {
                    self.i += 1;
                    self.depth -= 1;
                    return Ok(true);
                }
                _ => return Err(self.err("expected `,` or `]` in an array")),
            }
        }
    }

    /// Skips the next value without building it: strings and brackets
    /// are counted, nothing is allocated, so nesting costs no stack.
    pub fn skip(&mut self) -> Result<()> {
        match self.peek() {
            Some(b'{') | Some(b'[') => {}
            Some(_) => return self.value().map(drop),
            None => return Err(self.err("the text ends where a value should be")),
        }
        let mut open = 0usize;
        while let Some(&c) = self.b.get(self.i) {
            self.i += 1;
            match c {
                b'{' | b'[' => open += 1,
                b'}' | b']' => {
                    open -= 1;
                    if open == 0 {
                        return Ok(());
                    }
                }
                b'"' => loop {
                    let Some(&s) = self.b.get(self.i) else {
                        return Err(self.err("unterminated string"));
                    };
                    self.i += 1;
                    match s {
                        b'"' => break,
                        b'\\' => self.i += 1,
                        _ => {}
                    }
                },
                _ => {}
            }
        }
        Err(self.err("unterminated object or array"))
    }
}

/// Escapes `s` as a JSON string (with the quotes).
pub fn quote(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 2);
    o.push('"');
    for c in s.chars() {
        match c {
            '"' => o += "\\\"",
            '\\' => o += "\\\\",
            '\n' => o += "\\n",
            '\r' => o += "\\r",
            '\t' => o += "\\t",
            c if (c as u32) < 0x20 => o += &format!("\\u{:04x}", c as u32),
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_values_and_escapes() {
        let v = parse(br#"{"a":[1,-2.5e3,true,null],"b":"x\"y\u00e9\n","c":{}}"#).unwrap();
        assert_eq!(v.arr("a").len(), 4);
        assert_eq!(v.arr("a")[0].as_u64(), Some(1));
        assert_eq!(v.str("b"), Some("x\"y\u{e9}\n"));
        assert_eq!(v.get("c"), Some(&Value::Obj(vec![])));
        assert_eq!(quote("x\"y\u{1}"), r#""x\"y\u0001""#);
    }

    #[test]
    fn walks_selectively_and_stops_early() {
        let text = br#"{"process":{"env":["A=1","B={]"],"args":["x"]},"annotations":{"k":"v"},"linux":{"x":1}} garbage"#;
        let mut r = Reader::new(text);
        let mut got = None;
        let done = r
            .object(|r, k| {
                if k == "annotations" {
                    got = Some(r.value()?);
                    return Ok(false);
                }
                r.skip()?;
                Ok(true)
            })
            .unwrap();
        assert!(!done);
        assert_eq!(got.unwrap().str("k"), Some("v"));
    }

    #[test]
    fn malformed_text_is_an_error() {
        for bad in [
            &b""[..],
            b"{",
            b"{\"a\"",
            b"{\"a\":}",
            b"[1,",
            b"\"abc",
            b"\"\\u12\"",
            b"{\"a\":1,}",
            b"tru",
            b"{} x",
        ] {
            assert!(parse(bad).is_err(), "{:?}", String::from_utf8_lossy(bad));
        }
        let deep = "[".repeat(1000);
        assert!(parse(deep.as_bytes()).is_err());
        let mut r = Reader::new(deep.as_bytes());
        assert!(r.skip().is_err());
    }

    #[test]
    fn property_random_bytes_never_panic() {
        let mut rng = crate::bpf::testutil::Rng::new(0x5eed_0011);
        let alphabet = br#"{}[]:,"\ntrufalsenul0123456789-.eE ab"#;
        for _ in 0..20_000 {
            let n = (rng.next_u64() % 64) as usize;
            let b: Vec<u8> = (0..n)
                .map(|_| alphabet[(rng.next_u64() as usize) % alphabet.len()])
                .collect();
            let _ = parse(&b);
            let mut r = Reader::new(&b);
            let _ = r.skip();
        }
    }
}
