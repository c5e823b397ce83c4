//! `podcap capture`'s command line: its own options in front of tcpdump's
//! (less those that pick the interface, which capture does itself), in
//! one table that both the parser and `--help` come from.

use crate::cli::flags::{Action, Command, Flag, Given, InUsage, Section, Syntax};
use crate::cli::tcpdump::{self, Settings, options::Draft};
use crate::{Error, Result};
use std::time::Duration;

/// Where `podcap capture` captures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    /// On this node: the pod's host-side interface, or the underlay for a
    /// pod on another node.
    Node,
    /// `--inside`: in the pod's network namespace.
    Inside,
    /// `--path`: on every hop at once.
    Path,
}

/// capture's command line: its own options, and tcpdump's in a [`Draft`].
#[derive(Debug)]
pub(super) struct Args {
    pub(super) tcpdump: Draft,
    pub(super) mode: Mode,
    /// `--path-timeout`
    pub(super) path_timeout: Duration,
    /// Not `--no-ping`.
    pub(super) ping: bool,
    /// Which of [`NOT_HERE`] were given.
    not_here: Vec<&'static str>,
}

impl Default for Args {
    fn default() -> Self {
        Args {
            tcpdump: Draft::default(),
            mode: Mode::Node,
            path_timeout: Duration::from_millis(250),
            ping: true,
            not_here: Vec::new(),
        }
    }
}

impl AsMut<Draft> for Args {
    fn as_mut(&mut self) -> &mut Draft {
        &mut self.tcpdump
    }
}

impl Args {
    fn set_mode(&mut self, m: Mode) -> Result<()> {
        if self.mode != Mode::Node && self.mode != m {
            return Err(Error::usage(
                "--inside and --path do not go together: --path already captures inside the pod",
            ));
        }
        self.mode = m;
        Ok(())
    }

    /// Refuses [`NOT_HERE`]'s options, named in that order whatever their
    /// order on the command line. Called once the pod IP and the filter
    /// are known, so that those errors come first.
    pub(super) fn refuse_not_here(&self) -> Result<()> {
        match NOT_HERE.iter().find(|n| self.not_here.contains(n)) {
            Some(opt) => Err(Error::usage(format!(
                "{opt} does not apply to podcap capture, which finds the interface itself"
            ))
            .hint(format!("use `podcap tcpdump {opt} ...` for that"))),
            None => Ok(()),
        }
    }
}

fn millis(v: &str) -> Result<Duration> {
    match v.trim().parse::<u64>() {
        Ok(ms) if ms > 0 => Ok(Duration::from_millis(ms)),
        _ => Err(Error::usage(format!(
            "--path-timeout {v}: give a positive number of milliseconds"
        ))),
    }
}

/// tcpdump's options that choose the interface or what to do instead of
/// capturing, which `podcap capture` decides itself.
const NOT_HERE: &[&str] = &["-r", "--netns", "-D", "-L"];

/// The setter that records `name` (one of [`NOT_HERE`], the first name
/// of its flag) instead of setting it.
fn not_here(name: &str) -> Option<fn(&mut Args, &Given<'_>) -> Result<()>> {
    fn record<const I: usize>(a: &mut Args, _: &Given<'_>) -> Result<()> {
        a.not_here.push(NOT_HERE[I]);
        Ok(())
    }
    Some(match NOT_HERE.iter().position(|n| *n == name)? {
        0 => record::<0>,
        1 => record::<1>,
        2 => record::<2>,
        _ => record::<3>,
    })
}

pub(super) fn command() -> Command<Args> {
    let own: Section<Args> = Section {
        title: "Where",
        usage: InUsage::Each,
        flags: vec![
            Flag::switch(
                &["--inside"],
                "capture from inside the pod's network namespace (its eth0, or -i any)",
                |a, _| a.set_mode(Mode::Inside),
            ),
            Flag::switch(
                &["--path"],
                "capture on every hop on this node at once; each packet printed once with \
                 the hops that saw it and the delay between them, losses reported per gap; \
                 -w FILE writes pcapng with one interface per hop",
                |a, _| a.set_mode(Mode::Path),
            ),
            Flag::value(
                &["--path-timeout"],
                "ms",
                "how long a packet may take to reach its next hop (default 250)",
                |a, g| {
                    a.path_timeout = millis(g.value)?;
                    Ok(())
                },
            ),
            Flag::switch(
                &["--no-ping"],
                "do not ping the pod to fill the neighbour table",
                |a, _| {
                    a.ping = false;
                    Ok(())
                },
            ),
        ],
    };
    let mut sections = vec![own];
    let mut away = Vec::new();
    for (n, mut s) in tcpdump::options::sections::<Args>().into_iter().enumerate() {
        s.usage = if n == 0 {
            InUsage::As("[tcpdump options]")
        } else {
            InUsage::No
        };
        let (here, there): (Vec<_>, Vec<_>) = s
            .flags
            .into_iter()
            .partition(|f| !f.names.iter().any(|n| NOT_HERE.contains(n)));
        s.flags = here;
        for f in &mut s.flags {
            if f.names.contains(&"-i") {
                f.doc = "only as `--inside -i any`: every interface inside the pod";
            }
        }
        away.extend(there);
        sections.push(s);
    }
    for f in &mut away {
        if let Some(set) = not_here(f.names[0]) {
            f.action = Action::Set(set);
        }
    }
    sections.push(Section {
        title: "Not here: podcap capture picks the interface itself (use podcap tcpdump)",
        usage: InUsage::No,
        flags: away,
    });
    Command {
        name: "podcap capture",
        syntax: Syntax::Getopt,
        operands: "POD_IP [FILTER]",
        about: "Locates the pod (evidence on stderr), then captures its packets: on its\n\
                host-side interface or, for a pod on another node, on the underlay with the\n\
                tunnel's outer filter and FILTER applied to the inner frame. Without FILTER,\n\
                everything of the pod. The other options are tcpdump's.\n",
        footer: "`man podcap` (section capture) for details.\n",
        family: "tcpdump",
        sections,
    }
}

/// What capture's command line says: where, tcpdump's settings, and
/// capture's own.
pub(super) fn parse(args: &[String]) -> Result<(Args, Settings)> {
    let mut cmd = command();
    // capture's own options are taken out first, wherever they stand
    // before `--`, so a tcpdump option never takes one as its value:
    // `-c --path 3` is `--path -c 3`, as when capture split them off
    // before tcpdump's parser saw the rest.
    let own = &cmd.sections[0].flags;
    let (mut mine, mut rest) = (Vec::new(), Vec::new());
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        if arg == "--" {
            rest.push(arg.clone());
            rest.extend(it.by_ref().cloned());
            break;
        }
        let name = arg.split_once('=').map_or(arg.as_str(), |(n, _)| n);
        match own.iter().find(|f| f.names.contains(&name)) {
            Some(f) if f.value.is_some() && name == arg => {
                mine.push(arg.clone());
                mine.extend(it.next().cloned());
            }
            Some(f) if f.value.is_some() || name == arg => mine.push(arg.clone()),
            _ => rest.push(arg.clone()),
        }
    }
    let mut a = Args::default();
    cmd.parse(&mine, &mut a)?;
    // What is left is tcpdump's alone (an own option after `--` is a
    // filter word, or unknown where a value took the `--`).
    cmd.sections.remove(0);
    let words = cmd.parse(&rest, &mut a)?;
    let o = std::mem::take(&mut a.tcpdump).finish(words);
    Ok((a, o))
}

#[cfg(test)]
mod tests {
    use super::super::pod_ip_and_filter;
    use super::*;
    use crate::error::Kind;
    use std::net::IpAddr;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn own_options_are_taken_out() {
        let (a, o) = parse(&s(&[
            "10.244.0.21",
            "--path",
            "-nn",
            "--path-timeout=250",
            "icmp",
        ]))
        .unwrap();
        assert!(a.mode == Mode::Path && a.mode != Mode::Inside);
        assert_eq!(a.path_timeout, Duration::from_millis(250));
        assert_eq!(o.filter, "10.244.0.21 icmp");
        let (ip, f) = pod_ip_and_filter(&o.filter).unwrap();
        assert_eq!(ip, "10.244.0.21".parse::<IpAddr>().unwrap());
        assert_eq!(f, "icmp");
        let (a, _) = parse(&s(&["1.2.3.4", "--path-timeout", "300"])).unwrap();
        assert_eq!(a.path_timeout, Duration::from_millis(300));
        assert!(parse(&s(&["1.2.3.4", "--inside", "--path"])).is_err());
        assert!(parse(&s(&["1.2.3.4", "--path-timeout", "0"])).is_err());
        // A tcpdump option's value is never one of capture's own options.
        let (a, o) = parse(&s(&["1.2.3.4", "-c", "--path", "3"])).unwrap();
        assert!(a.mode == Mode::Path && o.count == Some(3));
        assert!(parse(&s(&["1.2.3.4", "-w", "--inside"])).is_err());
        // After `--` everything is tcpdump's (filter words).
        let (a, o) = parse(&s(&["1.2.3.4", "--", "--path"])).unwrap();
        assert!(a.mode != Mode::Path);
        assert_eq!(o.filter, "1.2.3.4 --path");
    }

    /// tcpdump's options that pick the interface or replace the capture
    /// are refused by name, with where to use them instead.
    #[test]
    fn tcpdump_options_that_do_not_apply() {
        for (given, opt) in [
            (&["-r", "x"][..], "-r"),
            (&["--netns", "x"], "--netns"),
            (&["-D"], "-D"),
            (&["-L"], "-L"),
            (&["--list-interfaces"], "-D"),
            (&["-L", "-nD"], "-D"),
            (&["-L", "-r", "x"], "-r"),
        ] {
            let mut args = s(&["1.2.3.4"]);
            args.extend(s(given));
            let (a, o) = parse(&args).unwrap();
            assert_eq!(o.mode, tcpdump::Mode::Live, "{given:?}");
            let e = a.refuse_not_here().unwrap_err();
            assert_eq!(e.kind, Kind::Usage, "{given:?}");
            let m = e.to_string();
            assert!(m.contains(&format!("{opt} does not apply")), "{m}");
            assert!(m.contains(&format!("podcap tcpdump {opt}")), "{m}");
        }
        let (a, _) = parse(&s(&["1.2.3.4", "-nn"])).unwrap();
        assert!(a.refuse_not_here().is_ok());
        let h = command().help("podcap capture");
        assert!(
            h.starts_with("Usage: podcap capture [--inside] [--path] [--path-timeout ms]"),
            "{h}"
        );
        assert!(h.contains("\n  -w file "), "{h}");
        let (_, not_here) = h.split_once("\nNot here: ").unwrap();
        assert!(not_here.contains("\n  -r file "), "{h}");
        assert!(h.lines().all(|l| l.chars().count() <= 79), "{h}");
    }
}
