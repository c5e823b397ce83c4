//! tcpdump's options: one table ([`sections`]) that both the parser and
//! `-h` are made from, and the [`Draft`] it fills while the command line
//! is read ([`super::settings`] has what it becomes).

use super::settings::{Mode, Settings};
use crate::bpf::print::Style;
use crate::capture::{self, Direction, rotate};
use crate::cli::flags::{Command, Flag, InUsage, Section, Syntax};
use crate::decode::{Dump, ForcedType, ForcedTypeError, TimeFormat};
use crate::linktype::LinkType;
use crate::{Error, Result};

/// The settings while the command line is read. The options that pick
/// the mode are only collected, and [`Draft::finish`] decides from all of
/// them, whatever their order: `-r` with `-d` dumps the program for the
/// file, `-L` counts only without `-r`.
#[derive(Debug, Default)]
pub struct Draft {
    pub settings: Settings,
    read: Option<String>,
    help: bool,
    version: bool,
    list_interfaces: bool,
    list_linktypes: bool,
    /// How many `d`s: 1 `-d`, 2 `-dd`, 3 or more `-ddd`.
    dumps: u8,
}

impl AsMut<Draft> for Draft {
    fn as_mut(&mut self) -> &mut Draft {
        self
    }
}

impl Draft {
    /// `operands` are the filter words.
    pub fn finish(self, operands: Vec<String>) -> Settings {
        let mut s = self.settings;
        s.filter = operands.join(" ");
        if s.packet_buffered {
            // ksniff's `-U -w -` must not wait for a block to fill.
            s.immediate = true;
        }
        let style = match self.dumps {
            0 => None,
            1 => Some(Style::D),
            2 => Some(Style::Dd),
            _ => Some(Style::Ddd),
        };
        s.mode = if self.help {
            Mode::Help
        } else if self.version {
            Mode::Version
        } else if self.list_interfaces {
            Mode::ListInterfaces
        } else if let Some(file) = self.read {
            match style {
                Some(style) => Mode::DumpProgram {
                    style,
                    file: Some(file),
                },
                None => Mode::Read(file),
            }
        } else if self.list_linktypes {
            Mode::ListLinkTypes
        } else if let Some(style) = style {
            Mode::DumpProgram { style, file: None }
        } else {
            Mode::Live
        };
        s
    }
}

fn num<T: std::str::FromStr>(name: &str, v: &str) -> Result<T> {
    v.trim()
        .parse()
        .map_err(|_| Error::usage(format!("{name} {v}: not a valid number")))
}

fn o<S: AsMut<Draft>>(d: &mut S) -> &mut Settings {
    &mut d.as_mut().settings
}

/// tcpdump's options, for any command whose settings hold a [`Draft`]
/// (`podcap capture` adds its own in front).
pub fn sections<S: AsMut<Draft>>() -> Vec<Section<S>> {
    vec![
        Section {
            title: "Capture",
            usage: InUsage::Each,
            flags: vec![
                Flag::value(
                    &["-i", "--interface"],
                    "interface",
                    "capture on this interface (`any`: on all, with cooked headers); \
                     repeat to capture on several at once; default: the first one up",
                    |d: &mut S, g| {
                        o(d).interfaces.push(g.value.to_string());
                        Ok(())
                    },
                )
                .repeats(),
                Flag::value(&["-c"], "count", "exit after count packets", |d, g| {
                    let n: u64 = num(g.name, g.value)?;
                    if n == 0 {
                        return Err(Error::usage(format!("{} 0: invalid packet count", g.name)));
                    }
                    o(d).count = Some(n);
                    Ok(())
                }),
                Flag::value(
                    &["-s", "--snapshot-length"],
                    "snaplen",
                    "keep at most snaplen bytes of each packet (0: 262144, the default)",
                    |d, g| {
                        let s: u32 = num(g.name, g.value)?;
                        // tcpdump: 0 (and anything out of range) means the default.
                        o(d).snaplen = if s == 0 || s > capture::DEFAULT_SNAPLEN {
                            capture::DEFAULT_SNAPLEN
                        } else {
                            s
                        };
                        Ok(())
                    },
                ),
                Flag::switch(
                    &["-p", "--no-promiscuous-mode"],
                    "do not put the interface into promiscuous mode",
                    |d, _| {
                        o(d).promisc = false;
                        Ok(())
                    },
                ),
                Flag::value(
                    &["-Q", "--direction"],
                    "in|out|inout",
                    "capture only received, only sent, or all packets (default)",
                    |d, g| {
                        o(d).direction = Direction::parse(g.value)?;
                        Ok(())
                    },
                ),
                Flag::value(
                    &["-B", "--buffer-size"],
                    "size",
                    "ring buffer size in KiB (default 4096)",
                    |d, g| {
                        let k: usize = num(g.name, g.value)?;
                        if k == 0 {
                            return Err(Error::usage(format!(
                                "{} 0: the buffer size must be positive (KiB)",
                                g.name
                            )));
                        }
                        o(d).buffer_kib = Some(k);
                        Ok(())
                    },
                ),
                Flag::value(
                    &["-y", "--linktype"],
                    "linktype",
                    "EN10MB, RAW, LINUX_SLL or LINUX_SLL2 (the cooked ones on any interface)",
                    |d, g| {
                        o(d).linktype = Some(LinkType::from_name(g.value)?);
                        Ok(())
                    },
                ),
                Flag::switch(
                    &["--immediate-mode"],
                    "hand packets over within 1 ms instead of 50 ms",
                    |d, _| {
                        o(d).immediate = true;
                        Ok(())
                    },
                ),
                Flag::value(
                    &["--netns"],
                    "PATH|PID|NAME",
                    "enter this network namespace first (podcap)",
                    |d, g| {
                        o(d).netns = Some(g.value.to_string());
                        Ok(())
                    },
                ),
                Flag::value(
                    &["-Z", "--relinquish-privileges"],
                    "user",
                    "become user once the capture is open (default: drop every capability)",
                    |d, g| {
                        o(d).user = Some(g.value.to_string());
                        Ok(())
                    },
                ),
                Flag::value(
                    &["-F"],
                    "file",
                    "read the filter expression from file (`#` starts a comment)",
                    |d, g| {
                        o(d).filter_file = Some(g.value.to_string());
                        Ok(())
                    },
                ),
                Flag::switch(
                    &["-O", "--no-optimize"],
                    "do not optimize the filter program",
                    |d, _| {
                        o(d).optimize = false;
                        Ok(())
                    },
                ),
            ],
        },
        Section {
            title: "Files",
            usage: InUsage::Each,
            flags: vec![
                Flag::value(
                    &["-r"],
                    "file",
                    "read packets from a pcap or pcapng file (`-`: standard input)",
                    |d, g| {
                        d.as_mut().read = Some(g.value.to_string());
                        Ok(())
                    },
                ),
                Flag::value(
                    &["-w"],
                    "file",
                    "write the packets to file (`-`: standard output) instead of printing them",
                    |d, g| {
                        o(d).write = Some(g.value.to_string());
                        Ok(())
                    },
                ),
                Flag::value(
                    &["-C"],
                    "file_size",
                    "before writing a packet, start a new file (file, file1, file2...) if \
                     this one holds more than file_size million bytes",
                    |d, g| {
                        o(d).rotation.size = Some(rotate::parse_size(g.name, g.value)?);
                        Ok(())
                    },
                ),
                Flag::value(
                    &["-G"],
                    "seconds",
                    "start a new file every seconds seconds (on the next packet), named by \
                     strftime(3) of the -w name, in UTC",
                    |d, g| {
                        let n: u64 = num(g.name, g.value)?;
                        if n == 0 {
                            return Err(Error::usage(format!(
                                "{} 0: invalid rotation seconds",
                                g.name
                            )));
                        }
                        o(d).rotation.period = Some(n);
                        Ok(())
                    },
                ),
                Flag::value(
                    &["-W"],
                    "filecount",
                    "with -C: a ring of filecount files (file0...), overwritten in turn; \
                     with -G alone: stop after filecount files",
                    |d, g| {
                        let n: u32 = num(g.name, g.value)?;
                        if n == 0 {
                            return Err(Error::usage(format!(
                                "{} 0: invalid number of output files",
                                g.name
                            )));
                        }
                        o(d).rotation.files = Some(n);
                        Ok(())
                    },
                ),
                Flag::value(
                    &["-z"],
                    "command",
                    "with -C or -G: run `command file` on each file once it is closed",
                    |d, g| {
                        o(d).rotation.post = Some(g.value.to_string());
                        Ok(())
                    },
                ),
                Flag::switch(
                    &["--count"],
                    "with -r: print only the number of packets (that match the filter)",
                    |d, _| {
                        o(d).count_only = true;
                        Ok(())
                    },
                ),
                Flag::switch(
                    &["--pcapng"],
                    "write pcapng, one interface block per interface (also for a .pcapng name)",
                    |d, _| {
                        o(d).pcapng = true;
                        Ok(())
                    },
                ),
                Flag::value(
                    &["--time-stamp-precision"],
                    "micro|nano",
                    "time stamp precision of the output",
                    |d, g| {
                        o(d).nanos = match g.value {
                            "micro" => false,
                            "nano" => true,
                            a => {
                                return Err(Error::usage(format!(
                                    "{}={a}: use micro or nano",
                                    g.name
                                )));
                            }
                        };
                        Ok(())
                    },
                ),
                Flag::switch(&["--nano"], "--time-stamp-precision=nano", |d, _| {
                    o(d).nanos = true;
                    Ok(())
                }),
                Flag::switch(&["--micro"], "--time-stamp-precision=micro", |d, _| {
                    o(d).nanos = false;
                    Ok(())
                }),
                Flag::switch(
                    &["-U", "--packet-buffered"],
                    "flush the output after every batch of packets; implies --immediate-mode",
                    |d, _| {
                        o(d).packet_buffered = true;
                        Ok(())
                    },
                ),
                Flag::switch(&["-l"], "flush printed lines after every batch", |d, _| {
                    o(d).line_buffered = true;
                    Ok(())
                }),
                Flag::switch(
                    &["--print"],
                    "print the packets also while writing them with -w",
                    |d, _| {
                        o(d).print_too = true;
                        Ok(())
                    },
                ),
            ],
        },
        Section {
            title: "Printing",
            usage: InUsage::Each,
            flags: vec![
                Flag::switch(&["-e"], "print the link-level header", |d, _| {
                    o(d).print.link_header = true;
                    Ok(())
                }),
                Flag::switch(&["-q"], "print less protocol information", |d, _| {
                    o(d).print.quiet = true;
                    Ok(())
                }),
                Flag::switch(&["-v"], "print more: -v, -vv, -vvv", |d: &mut S, _| {
                    let p = &mut o(d).print;
                    p.verbose = p.verbose.saturating_add(1).min(3);
                    Ok(())
                })
                .repeats(),
                Flag::switch(
                    &["-t"],
                    "-t no time stamp, -tt seconds since 1970, -ttt delta from the \
                     previous packet, -tttt with the date, -ttttt delta from the first",
                    |d: &mut S, _| {
                        let p = &mut o(d).print;
                        p.time = match p.time {
                            TimeFormat::Default => TimeFormat::None,
                            TimeFormat::None => TimeFormat::Epoch,
                            TimeFormat::Epoch => TimeFormat::DeltaPrevious,
                            TimeFormat::DeltaPrevious => TimeFormat::Date,
                            _ => TimeFormat::DeltaFirst,
                        };
                        Ok(())
                    },
                )
                .repeats(),
                Flag::switch(
                    &["-x"],
                    "hex dump after the link header (-xx: including it)",
                    |d: &mut S, _| {
                        let p = &mut o(d).print;
                        p.dump = match p.dump {
                            Dump::Hex | Dump::HexLink => Dump::HexLink,
                            _ => Dump::Hex,
                        };
                        Ok(())
                    },
                )
                .repeats(),
                Flag::switch(
                    &["-X"],
                    "hex and ASCII dump after the link header (-XX: including it)",
                    |d: &mut S, _| {
                        let p = &mut o(d).print;
                        p.dump = match p.dump {
                            Dump::HexAscii | Dump::HexAsciiLink => Dump::HexAsciiLink,
                            _ => Dump::HexAscii,
                        };
                        Ok(())
                    },
                )
                .repeats(),
                Flag::switch(
                    &["-A"],
                    "ASCII dump after the link header (-AA: including it)",
                    |d: &mut S, _| {
                        let p = &mut o(d).print;
                        p.dump = match p.dump {
                            Dump::Ascii | Dump::AsciiLink => Dump::AsciiLink,
                            _ => Dump::Ascii,
                        };
                        Ok(())
                    },
                )
                .repeats(),
                Flag::switch(
                    &["-S"],
                    "absolute TCP sequence numbers instead of relative ones",
                    |d, _| {
                        o(d).print.absolute_seq = true;
                        Ok(())
                    },
                ),
                Flag::switch(&["-#", "--number"], "number the printed packets", |d, _| {
                    o(d).number = true;
                    Ok(())
                }),
                Flag::value(
                    &["-T"],
                    "type",
                    "print every UDP/TCP payload as this type: domain, vxlan, \
                     geneve or otv (the last two: podcap)",
                    |d, g| {
                        o(d).print.packet_type = Some(forced_type(g.value)?);
                        Ok(())
                    },
                ),
                Flag::value(
                    &["--vxlan-port"],
                    "port[,port]",
                    "also treat these UDP ports as VXLAN, in filters and printing \
                     (flannel: 8472) (podcap)",
                    |d: &mut S, g| {
                        for p in g.value.split(',') {
                            let port: u16 = num(g.name, p)?;
                            o(d).print.vxlan_ports.push(port);
                        }
                        Ok(())
                    },
                )
                .repeats(),
            ],
        },
        Section {
            title: "Instead of capturing",
            usage: InUsage::Each,
            flags: vec![
                Flag::switch(
                    &["-D", "--list-interfaces"],
                    "list the interfaces, with kind, bridge master and veth peer",
                    |d, _| {
                        d.as_mut().list_interfaces = true;
                        Ok(())
                    },
                ),
                Flag::switch(
                    &["-L", "--list-data-link-types"],
                    "list the interface's link types",
                    |d, _| {
                        d.as_mut().list_linktypes = true;
                        Ok(())
                    },
                ),
                Flag::switch(
                    &["-d"],
                    "print the compiled filter program: -d assembly, -dd C array, -ddd decimal",
                    |d: &mut S, _| {
                        let d = d.as_mut();
                        d.dumps = d.dumps.saturating_add(1);
                        Ok(())
                    },
                )
                .repeats(),
                Flag::switch(&["-h", "--help"], "print this help", |d, _| {
                    d.as_mut().help = true;
                    Ok(())
                }),
                Flag::switch(&["--version"], "print the version", |d, _| {
                    d.as_mut().version = true;
                    Ok(())
                }),
            ],
        },
        Section {
            title: "Accepted, with no effect",
            usage: InUsage::Each,
            flags: vec![
                Flag::ignored(&["-n"], "podcap never resolves addresses or ports"),
                Flag::ignored(&["-N"], "podcap never resolves host names"),
                Flag::ignored(&["-f"], "podcap never resolves host names"),
                Flag::ignored(&["-a"], "tcpdump's old -a"),
                Flag::ignored(&["-K"], "tcpdump's -K (do not verify checksums)"),
            ],
        },
        Section {
            title: "Refused (podcap does not implement them)",
            usage: InUsage::No,
            flags: vec![
                Flag::refused(&["-b"], None, "BGP AS number notation"),
                Flag::refused(&["-E"], Some("algo:secret"), "IPsec ESP decryption"),
                Flag::refused(&["-H"], None, "802.11s mesh header detection"),
                Flag::refused(&["-I", "--monitor-mode"], None, "monitor mode (wireless)"),
                Flag::refused(
                    &["-j", "--time-stamp-type"],
                    Some("tstamptype"),
                    "time stamp types",
                ),
                Flag::refused(&["-J", "--list-time-stamp-types"], None, "time stamp types"),
                Flag::refused(&["-m"], Some("module"), "SMI MIB modules"),
                Flag::refused(&["-M"], Some("secret"), "TCP-MD5 secrets"),
                Flag::refused(&["-P"], None, "--print-sampling"),
                Flag::refused(&["--print-sampling"], Some("n"), "print sampling"),
                Flag::refused(&["-u"], None, "undecoded NFS handles"),
                Flag::refused(&["-V"], Some("file"), "reading a list of files"),
                Flag::refused(&["-Y"], None, "filter debugging"),
                Flag::refused(&["--lengths"], None, ""),
                Flag::refused(&["--fp-type"], None, ""),
                Flag::refused(&["--mpls-as-ip"], None, ""),
            ],
        },
    ]
}

/// `-T`'s argument: a type podcap prints, else why not.
fn forced_type(name: &str) -> Result<ForcedType> {
    let known = ForcedType::names().collect::<Vec<_>>().join(", ");
    ForcedType::from_name(name).map_err(|e| match e {
        ForcedTypeError::NotDecoded => Error::unsupported(
            format!("-T {name}"),
            format!("podcap has no printer for {name}"),
        )
        .hint(format!(
            "podcap prints -T {known}; without -T the payload is decoded by its port"
        )),
        ForcedTypeError::Unknown => {
            Error::usage(format!("-T {name}: unknown packet type")).hint(format!("use {known}"))
        }
    })
}

/// tcpdump mode's command line.
pub fn command() -> Command<Draft> {
    Command {
        name: "podcap tcpdump",
        syntax: Syntax::Getopt,
        operands: "[expression]",
        about: "podcap's tcpdump-compatible mode: AF_PACKET capture with podcap's own filter\n\
                compiler, no libpcap. Flags bundle (-nnvvv, -c10), options may follow the\n\
                expression, and -- ends them.\n",
        footer: "`man podcap` (section tcpdump) for details.\n",
        family: "tcpdump",
        sections: sections(),
    }
}

/// Parses tcpdump's arguments (without `argv[0]`).
pub fn parse(args: &[String]) -> Result<Settings> {
    let mut d = Draft::default();
    let words = command().parse(args, &mut d)?;
    Ok(d.finish(words))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(args: &[&str]) -> Result<Settings> {
        parse(&args.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn ksniff_command_line() {
        let o = p(&["-i", "any", "-U", "-w", "-", "tcp", "port", "80"]).unwrap();
        assert_eq!(o.interfaces, vec!["any"]);
        assert!(o.packet_buffered && o.immediate);
        assert_eq!(o.write.as_deref(), Some("-"));
        assert_eq!(o.filter, "tcp port 80");
        assert_eq!(o.mode, Mode::Live);
    }

    #[test]
    fn bundled_flags() {
        let o = p(&["-nnvvv", "-c10", "-s0", "-w-", "-ieth0"]).unwrap();
        assert_eq!(o.print.verbose, 3);
        assert_eq!(o.count, Some(10));
        assert_eq!(o.snaplen, 262144);
        assert_eq!(o.write.as_deref(), Some("-"));
        assert_eq!(o.interfaces, vec!["eth0"]);
        let o = p(&[
            "-s", "96", "-XX", "-tttt", "-eq", "-Q", "in", "-B", "64", "-p",
        ])
        .unwrap();
        assert_eq!(o.snaplen, 96);
        assert_eq!(o.print.dump, Dump::HexAsciiLink);
        assert_eq!(o.print.time, TimeFormat::Date);
        assert!(o.print.link_header && o.print.quiet && !o.promisc);
        assert_eq!(o.direction, Direction::In);
        assert_eq!(o.buffer_kib, Some(64));
        let o = p(&["-xx", "-ddd", "-#", "-S", "-y", "LINUX_SLL2"]).unwrap();
        assert!(o.print.absolute_seq);
        assert_eq!(o.print.dump, Dump::HexLink);
        assert_eq!(p(&["-AA"]).unwrap().print.dump, Dump::AsciiLink);
        assert_eq!(p(&["-A"]).unwrap().print.dump, Dump::Ascii);
        assert_eq!(
            o.mode,
            Mode::DumpProgram {
                style: Style::Ddd,
                file: None
            }
        );
        assert!(o.number);
        assert_eq!(o.linktype, Some(LinkType::LinuxSll2));
    }

    #[test]
    fn options_after_filter_and_double_dash() {
        let o = p(&["icmp", "-c", "1", "--", "-x"]).unwrap();
        assert_eq!(o.count, Some(1));
        assert_eq!(o.filter, "icmp -x");
    }

    #[test]
    fn long_options() {
        let o = p(&[
            "--immediate-mode",
            "--time-stamp-precision=nano",
            "--pcapng",
            "--netns",
            "/proc/1/ns/net",
            "--vxlan-port=8472",
            "-c5",
            "-i",
            "a",
            "--interface",
            "b",
        ])
        .unwrap();
        assert!(o.immediate && o.nanos && o.pcapng);
        assert_eq!(o.netns.as_deref(), Some("/proc/1/ns/net"));
        assert_eq!(o.print.vxlan_ports, vec![crate::wire::ports::VXLAN_LINUX]);
        assert_eq!(o.count, Some(5));
        assert_eq!(o.interfaces, vec!["a", "b"]);
        assert!(p(&["--time-stamp-precision=pico"]).is_err());
    }

    #[test]
    fn unsupported_options_are_named() {
        for (args, needle) in [
            (&["-I"][..], "-I"),
            (&["-E", "spi@1.2.3.4"][..], "-E"),
            (&["--lengths"][..], "--lengths"),
        ] {
            let e = p(args).unwrap_err();
            assert!(e.to_string().contains(needle), "{e}");
            assert_eq!(e.kind, crate::error::Kind::Unsupported);
        }
        let e = p(&["-k"]).unwrap_err();
        assert!(e.to_string().contains("-k"), "{e}");
        assert!(
            p(&["-c"])
                .unwrap_err()
                .to_string()
                .contains("requires an argument")
        );
        assert!(p(&["-c", "x"]).is_err());
        assert!(p(&["-Q", "both"]).is_err());
    }

    #[test]
    fn rotation_options() {
        let o = p(&["-C", "2", "-W", "3", "-G", "60", "-z", "gzip", "-w", "f"]).unwrap();
        assert_eq!(o.rotation.size, Some(2_000_000));
        assert_eq!(o.rotation.files, Some(3));
        assert_eq!(o.rotation.period, Some(60));
        assert_eq!(o.rotation.post.as_deref(), Some("gzip"));
        for bad in [&["-C", "0"][..], &["-C", "1k"], &["-G", "0"], &["-W", "0"]] {
            assert_eq!(
                p(bad).unwrap_err().kind,
                crate::error::Kind::Usage,
                "{bad:?}"
            );
        }
    }

    /// tcpdump 4.99's --count takes no value: it counts instead of printing.
    #[test]
    fn count_is_a_switch() {
        let o = p(&["--count", "-r", "f"]).unwrap();
        assert!(o.count_only);
        assert_eq!(o.count, None);
        let e = p(&["--count=5"]).unwrap_err();
        assert!(e.to_string().contains("--count"), "{e}");
    }

    /// Which mode wins does not depend on the order of the options.
    #[test]
    fn mode_from_all_the_flags() {
        let dump = |style, file: Option<&str>| Mode::DumpProgram {
            style,
            file: file.map(String::from),
        };
        for (args, want) in [
            (&[][..], Mode::Live),
            (&["-r", "f"][..], Mode::Read("f".into())),
            (&["-dd", "-r", "f"][..], dump(Style::Dd, Some("f"))),
            (&["-r", "f", "-L", "-d"][..], dump(Style::D, Some("f"))),
            (&["-L", "-r", "f"][..], Mode::Read("f".into())),
            (&["-d", "-L"][..], Mode::ListLinkTypes),
            (&["-dddd"][..], dump(Style::Ddd, None)),
            (&["-r", "f", "-D"][..], Mode::ListInterfaces),
            (&["-D", "--version"][..], Mode::Version),
            (&["--version", "-h"][..], Mode::Help),
        ] {
            assert_eq!(p(args).unwrap().mode, want, "{args:?}");
        }
    }

    /// The help lists every option the parser takes, and refused ones
    /// apart.
    #[test]
    fn help_is_the_table() {
        let h = command().help("tcpdump");
        assert!(
            h.starts_with("Usage: tcpdump [-aAdDefhKlLnNOpqStUvxX#] [-B size]"),
            "{h}"
        );
        for needle in [
            "\n  -c count ",
            "\n      --immediate-mode ",
            "\n  -i, --interface interface ",
            "\nRefused (podcap does not implement them):\n",
            "\n  -C file_size ",
            "\n      --count ",
        ] {
            assert!(h.contains(needle), "{needle:?} in\n{h}");
        }
        assert!(h.lines().all(|l| l.chars().count() <= 79), "{h}");
    }
}
