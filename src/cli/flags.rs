//! Option tables. Each command defines its options once, as [`Flag`]s
//! (every spelling, whether it takes a value, a doc line, what it sets),
//! and both its parser and its `--help` are made from that one table, so
//! the two cannot drift apart (ripgrep's `crates/core/flags` works the
//! same way).
//!
//! Two ways of reading a command line, because users bring two habits:
//!
//! - [`Syntax::Getopt`] is tcpdump's (GNU `getopt_long`): one-letter flags
//!   bundle (`-nnvvv`), a value is attached or the next argument (`-c10`,
//!   `-c 10`, `--count=10`, `--count 10`), options may follow the operands,
//!   `--` ends the options and `-` alone is an operand.
//! - [`Syntax::Words`] is `podcap compile`'s: every argument is a whole
//!   option (`-dd` is its own flag), a one-letter option may carry its
//!   value attached (`-yRAW`), and once the expression has begun a word
//!   that is no option belongs to it.

use crate::{Error, Result};

/// What the user gave for one option.
pub struct Given<'a> {
    /// The option as spelled on the command line (`-c`, `--count`), so
    /// messages name what the user typed.
    pub name: &'a str,
    /// Its value; empty for a switch.
    pub value: &'a str,
}

/// What giving an option does to the settings `S`.
pub enum Action<S> {
    Set(fn(&mut S, &Given<'_>) -> Result<()>),
    /// Sets, then stops reading: what follows is not looked at (`compile
    /// -h` prints the help whatever comes after it).
    SetAndStop(fn(&mut S)),
    /// Accepted for compatibility and ignored.
    Ignore,
    /// Refused with a message naming the option: podcap does not implement
    /// it. The flag's doc says what it would have done.
    Refuse,
}

/// One option.
pub struct Flag<S> {
    /// Every spelling, dashes included (`-c`, `--count`). In getopt syntax
    /// a one-letter `-x` bundles with others.
    pub names: &'static [&'static str],
    /// The value's name in the help (`count`); `None` for a switch.
    pub value: Option<&'static str>,
    /// Giving it again adds to it (`-vv`, several `-i`) instead of
    /// replacing it; the help marks it with `...`.
    pub repeats: bool,
    pub doc: &'static str,
    pub action: Action<S>,
}

impl<S> Flag<S> {
    pub fn switch(
        names: &'static [&'static str],
        doc: &'static str,
        set: fn(&mut S, &Given<'_>) -> Result<()>,
    ) -> Self {
        Flag {
            names,
            value: None,
            repeats: false,
            doc,
            action: Action::Set(set),
        }
    }

    pub fn value(
        names: &'static [&'static str],
        value: &'static str,
        doc: &'static str,
        set: fn(&mut S, &Given<'_>) -> Result<()>,
    ) -> Self {
        Flag {
            value: Some(value),
            ..Flag::switch(names, doc, set)
        }
    }

    pub fn ignored(names: &'static [&'static str], doc: &'static str) -> Self {
        Flag {
            names,
            value: None,
            repeats: false,
            doc,
            action: Action::Ignore,
        }
    }

    /// `value`: what the refused option would take, so that getopt still
    /// consumes it (`-C 10` names `-C`, not an operand `10`).
    pub fn refused(
        names: &'static [&'static str],
        value: Option<&'static str>,
        doc: &'static str,
    ) -> Self {
        Flag {
            names,
            value,
            repeats: false,
            doc,
            action: Action::Refuse,
        }
    }

    pub fn repeats(mut self) -> Self {
        self.repeats = true;
        self
    }

    fn short(&self) -> Option<char> {
        self.names.iter().find_map(|n| one_letter(n))
    }
}

/// `-x` → `x`.
fn one_letter(name: &str) -> Option<char> {
    let rest = name.strip_prefix('-')?;
    let mut cs = rest.chars();
    match (cs.next(), cs.next()) {
        (Some(c), None) if c != '-' => Some(c),
        _ => None,
    }
}

/// How the usage line shows a section.
pub enum InUsage {
    /// Every flag (`[-AdD...] [-c count] [--pcapng]`).
    Each,
    /// One placeholder for the whole section (`[tcpdump options]`).
    As(&'static str),
    No,
}

pub struct Section<S> {
    /// Heading in the help; an empty title keeps the section out of it.
    pub title: &'static str,
    pub usage: InUsage,
    pub flags: Vec<Flag<S>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    Getopt,
    Words,
}

/// A command's whole table.
pub struct Command<S> {
    /// How messages refer to the command (`podcap tcpdump`).
    pub name: &'static str,
    pub syntax: Syntax,
    /// The operands in the usage line (`[expression]`).
    pub operands: &'static str,
    /// What the command does, printed under the usage line.
    pub about: &'static str,
    /// Printed after the options.
    pub footer: &'static str,
    /// What refused options are called in messages (`tcpdump option -C`).
    pub family: &'static str,
    pub sections: Vec<Section<S>>,
}

impl<S> Command<S> {
    fn find(&self, name: &str) -> Option<&Flag<S>> {
        self.sections
            .iter()
            .flat_map(|s| &s.flags)
            .find(|f| f.names.contains(&name))
    }

    fn unknown(&self, name: &str) -> Error {
        Error::usage(format!("unknown option {name}"))
            .hint(format!("`{} -h` lists the options", self.name))
    }

    /// Applies one option; `false` when it stops the parse.
    fn apply(&self, f: &Flag<S>, g: &Given<'_>, into: &mut S) -> Result<bool> {
        match f.action {
            Action::Set(set) => set(into, g)?,
            Action::SetAndStop(set) => {
                set(into);
                return Ok(false);
            }
            Action::Ignore => {}
            Action::Refuse => {
                let what = if f.doc.is_empty() {
                    "this option"
                } else {
                    f.doc
                };
                return Err(Error::unsupported(
                    format!("{} option {}", self.family, g.name),
                    format!("podcap does not implement {what}"),
                )
                .hint(format!(
                    "drop the option; `{} -h` and `man podcap` list what podcap supports",
                    self.name
                )));
            }
        }
        Ok(true)
    }

    /// Parses `args` (after the command's name) into `into`, in order, and
    /// returns the operands.
    pub fn parse(&self, args: &[String], into: &mut S) -> Result<Vec<String>> {
        match self.syntax {
            Syntax::Getopt => self.parse_getopt(args, into),
            Syntax::Words => self.parse_words(args, into),
        }
    }

    fn parse_getopt(&self, args: &[String], into: &mut S) -> Result<Vec<String>> {
        let mut operands = Vec::new();
        let mut i = 0;
        let mut only_operands = false;
        while i < args.len() {
            let arg = args[i].as_str();
            i += 1;
            if only_operands || arg == "-" || !arg.starts_with('-') {
                operands.push(arg.to_string());
                continue;
            }
            if arg == "--" {
                only_operands = true;
                continue;
            }
            if arg.starts_with("--") {
                let (name, inline) = match arg.split_once('=') {
                    Some((n, v)) => (n, Some(v)),
                    None => (arg, None),
                };
                let f = self.find(name).ok_or_else(|| self.unknown(name))?;
                let value = match (f.value, inline) {
                    (Some(_), Some(v)) => v,
                    (Some(_), None) => {
                        let v = args.get(i).ok_or_else(|| {
                            Error::usage(format!("option {name} requires an argument"))
                        })?;
                        i += 1;
                        v.as_str()
                    }
                    (None, Some(_)) => {
                        return Err(Error::usage(format!("option {name} takes no argument")));
                    }
                    (None, None) => "",
                };
                if !self.apply(f, &Given { name, value }, into)? {
                    return Ok(operands);
                }
                continue;
            }
            for (at, c) in arg[1..].char_indices() {
                let name = format!("-{c}");
                let f = self.find(&name).ok_or_else(|| self.unknown(&name))?;
                if f.value.is_none() {
                    if !self.apply(
                        f,
                        &Given {
                            name: &name,
                            value: "",
                        },
                        into,
                    )? {
                        return Ok(operands);
                    }
                    continue;
                }
                // The rest of the word is the value, or else the next word.
                let rest = &arg[1 + at + c.len_utf8()..];
                let value = if rest.is_empty() {
                    let v = args.get(i).ok_or_else(|| {
                        Error::usage(format!("option {name} requires an argument"))
                    })?;
                    i += 1;
                    v.as_str()
                } else {
                    rest
                };
                if !self.apply(f, &Given { name: &name, value }, into)? {
                    return Ok(operands);
                }
                break;
            }
        }
        Ok(operands)
    }

    fn parse_words(&self, args: &[String], into: &mut S) -> Result<Vec<String>> {
        let mut operands: Vec<String> = Vec::new();
        let mut i = 0;
        while i < args.len() {
            let a = args[i].as_str();
            i += 1;
            if !operands.is_empty() && !a.starts_with('-') {
                operands.push(a.to_string());
                continue;
            }
            if a == "--" {
                operands.extend(args[i..].iter().cloned());
                break;
            }
            let (f, name, value) = if let Some(f) = self.find(a) {
                let value = if f.value.is_some() {
                    let v = args
                        .get(i)
                        .ok_or_else(|| Error::usage(format!("{a} needs a value")))?;
                    i += 1;
                    v.as_str()
                } else {
                    ""
                };
                (f, a, value)
            } else if let Some((f, name)) = a
                .get(..2)
                .filter(|_| a.len() > 2)
                .and_then(|n| self.find(n).map(|f| (f, n)))
                .filter(|(f, _)| f.value.is_some())
            {
                (f, name, &a[2..])
            } else if a.starts_with('-') && a.len() > 1 && !operands.is_empty() {
                operands.push(a.to_string());
                continue;
            } else if a.starts_with('-') && a.len() > 1 {
                return Err(Error::usage(format!("{}: unknown option {a}", self.name))
                    .hint(format!("`{} -h` lists the options", self.name)));
            } else {
                operands.push(a.to_string());
                continue;
            };
            if !self.apply(f, &Given { name, value }, into)? {
                break;
            }
        }
        Ok(operands)
    }

    /// The usage line, wrapped under the program name as tcpdump's is.
    fn usage(&self, prog: &str) -> String {
        let mut items: Vec<String> = Vec::new();
        let mut bundle: Vec<char> = Vec::new();
        let mut valued: Vec<(char, String)> = Vec::new();
        let mut long_only: Vec<String> = Vec::new();
        for s in &self.sections {
            match s.usage {
                InUsage::No => continue,
                InUsage::As(text) => {
                    long_only.push(text.to_string());
                    continue;
                }
                InUsage::Each => {}
            }
            for f in s
                .flags
                .iter()
                .filter(|f| !matches!(f.action, Action::Refuse))
            {
                let dots = if f.repeats { "..." } else { "" };
                let short = f.short().filter(|_| self.syntax == Syntax::Getopt);
                match (short, f.value) {
                    (Some(c), None) => bundle.push(c),
                    (Some(c), Some(v)) => valued.push((c, format!("[-{c} {v}]{dots}"))),
                    (None, v) => {
                        let name = f.names[0];
                        long_only.push(match v {
                            Some(v) => format!("[{name} {v}]{dots}"),
                            None => format!("[{name}]{dots}"),
                        });
                    }
                }
            }
        }
        // tcpdump's order: by letter, lower case first, `#` last.
        let key = |c: &char| (*c == '#', c.to_ascii_lowercase(), c.is_ascii_uppercase());
        bundle.sort_by_key(key);
        valued.sort_by_key(|(c, _)| key(c));
        if !bundle.is_empty() {
            items.push(format!("[-{}]", bundle.iter().collect::<String>()));
        }
        items.extend(valued.into_iter().map(|(_, s)| s));
        items.extend(long_only);
        if !self.operands.is_empty() {
            items.push(self.operands.to_string());
        }
        let head = format!("Usage: {prog} ");
        let indent = " ".repeat(head.chars().count().min(24));
        let mut out = head.clone();
        let mut col = head.chars().count();
        for (n, it) in items.iter().enumerate() {
            let w = it.chars().count();
            if n > 0 && col + 1 + w > 79 {
                out.push('\n');
                out.push_str(&indent);
                col = indent.len();
            } else if n > 0 {
                out.push(' ');
                col += 1;
            }
            out.push_str(it);
            col += w;
        }
        out.push('\n');
        out
    }

    /// `--help`: the usage line, what the command does, every option of
    /// every titled section with its doc line, then the footer.
    pub fn help(&self, prog: &str) -> String {
        let mut out = self.usage(prog);
        if !self.about.is_empty() {
            out.push('\n');
            out.push_str(self.about);
        }
        let label = |f: &Flag<S>| {
            let mut names = f.names.join(", ");
            if f.names.len() == 1 && f.names[0].starts_with("--") {
                names = format!("    {names}");
            }
            match f.value {
                Some(v) => format!("{names} {v}"),
                None => names,
            }
        };
        let width = self
            .sections
            .iter()
            .filter(|s| !s.title.is_empty())
            .flat_map(|s| &s.flags)
            .map(|f| label(f).chars().count())
            .filter(|&w| w <= 26)
            .max()
            .unwrap_or(0);
        for s in self.sections.iter().filter(|s| !s.title.is_empty()) {
            out.push('\n');
            out.push_str(s.title);
            out.push_str(":\n");
            for f in &s.flags {
                let l = label(f);
                let mut line = format!("  {l}");
                if l.chars().count() > width {
                    line.push('\n');
                    line.push_str(&" ".repeat(width + 4));
                } else {
                    line.push_str(&" ".repeat(width + 2 - l.chars().count()));
                }
                line.push_str(&wrap(f.doc, width + 4));
                out.push_str(line.trim_end());
                out.push('\n');
            }
        }
        if !self.footer.is_empty() {
            out.push('\n');
            out.push_str(self.footer);
        }
        out
    }
}

/// `text` wrapped at 79 columns, continuation lines indented by `indent`
/// (the first line is assumed to start there).
fn wrap(text: &str, indent: usize) -> String {
    let mut out = String::new();
    let mut col = indent;
    for (n, w) in text.split_whitespace().enumerate() {
        let len = w.chars().count();
        if n > 0 && col + 1 + len > 79 {
            out.push('\n');
            out.push_str(&" ".repeat(indent));
            col = indent;
        } else if n > 0 {
            out.push(' ');
            col += 1;
        }
        out.push_str(w);
        col += len;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default, Debug)]
    struct T {
        n: u32,
        v: Vec<String>,
        stop: bool,
    }

    fn cmd(syntax: Syntax) -> Command<T> {
        Command {
            name: "podcap test",
            syntax,
            operands: "[words]",
            about: "",
            footer: "",
            family: "test",
            sections: vec![Section {
                title: "Options",
                usage: InUsage::Each,
                flags: vec![
                    Flag::switch(&["-n"], "more", |t: &mut T, _| {
                        t.n += 1;
                        Ok(())
                    })
                    .repeats(),
                    Flag::value(&["-c", "--count"], "count", "a value", |t, g| {
                        t.v.push(g.value.to_string());
                        Ok(())
                    }),
                    Flag::ignored(&["-K"], "nothing"),
                    Flag::refused(&["-C"], Some("size"), "file rotation"),
                    Flag {
                        action: Action::SetAndStop(|t| t.stop = true),
                        ..Flag::ignored(&["-h", "--help"], "help")
                    },
                ],
            }],
        }
    }

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn getopt_bundles_values_and_permutes() {
        let c = cmd(Syntax::Getopt);
        let mut t = T::default();
        let ops = c
            .parse(
                &s(&[
                    "a",
                    "-nnc5",
                    "-K",
                    "b",
                    "--count=6",
                    "--count",
                    "7",
                    "--",
                    "-n",
                ]),
                &mut t,
            )
            .unwrap();
        assert_eq!(t.n, 2);
        assert_eq!(t.v, s(&["5", "6", "7"]));
        assert_eq!(ops, s(&["a", "b", "-n"]));
        let e = c.parse(&s(&["-C10"]), &mut T::default()).unwrap_err();
        assert_eq!(e.kind, crate::error::Kind::Unsupported);
        assert!(e.to_string().contains("test option -C"), "{e}");
        assert!(e.to_string().contains("file rotation"), "{e}");
        for (args, msg) in [
            (&["-c"][..], "option -c requires an argument"),
            (&["--count"][..], "option --count requires an argument"),
            (&["--help=x"][..], "option --help takes no argument"),
            (&["-x"][..], "unknown option -x"),
            (&["--x=1"][..], "unknown option --x"),
        ] {
            let e = c.parse(&s(args), &mut T::default()).unwrap_err();
            assert!(e.to_string().contains(msg), "{args:?}: {e}");
            assert_eq!(e.kind, crate::error::Kind::Usage);
        }
        let mut t = T::default();
        c.parse(&s(&["-h", "-x"]), &mut t).unwrap();
        assert!(t.stop);
    }

    #[test]
    fn words_take_whole_arguments() {
        let c = cmd(Syntax::Words);
        let mut t = T::default();
        let ops = c
            .parse(&s(&["-c9", "x", "-n", "-q", "y", "-c", "1"]), &mut t)
            .unwrap();
        assert_eq!(t.v, s(&["9", "1"]));
        assert_eq!(t.n, 1);
        assert_eq!(ops, s(&["x", "-q", "y"]));
        assert!(c.parse(&s(&["-nn"]), &mut T::default()).is_err());
        let e = c.parse(&s(&["-c"]), &mut T::default()).unwrap_err();
        assert!(e.to_string().contains("-c needs a value"), "{e}");
    }

    #[test]
    fn help_comes_from_the_table() {
        let h = cmd(Syntax::Getopt).help("prog");
        assert!(
            h.starts_with("Usage: prog [-hKn] [-c count] [words]\n"),
            "{h}"
        );
        assert!(h.contains("\n  -c, --count count  a value\n"), "{h}");
        assert!(h.contains("\n  -n                 more\n"), "{h}");
        let h = cmd(Syntax::Words).help("prog");
        assert!(h.starts_with("Usage: prog [-n]... [-c count] [-K]"), "{h}");
    }
}
