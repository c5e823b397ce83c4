//! Writing pcap and pcapng records so that the file always ends on a
//! whole record: every write holds whole records only (one writev per
//! ring block, the record headers between the packet slices, no copy of
//! packet bytes), a write the disk could take only part of is cut back to
//! the last whole record (ftruncate), and files rotate (`-C`, `-G`, `-W`,
//! `-z`) between records, each starting with its own headers.

use super::batch::Frame;
use super::rotate::{Next, Rotation, Rotor};
use super::signals;
use crate::linktype::LinkType;
use crate::pcap::writer::{self, NgInterface, Precision};
use crate::sys::file::{self, FileKind};
use std::fs::File;
use std::io::{self, IoSlice};
use std::process::Child;

/// Why a write stopped that is not the file's fault.
#[derive(Debug)]
pub enum Halt {
    /// A stop signal, and the reader did not take the rest in time.
    Stopped,
    /// `-G` with `-W`: that many files are done.
    Limit(u32),
}

impl std::fmt::Display for Halt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Halt::Stopped => f.write_str("stopped while the output was blocked"),
            Halt::Limit(n) => write!(f, "Maximum file limit reached: {n}"),
        }
    }
}

impl std::error::Error for Halt {}

/// The [`Halt`] inside an error from these writers, if that is what it is.
pub fn halt(e: &io::Error) -> Option<&Halt> {
    e.get_ref()?.downcast_ref::<Halt>()
}

fn halted(h: Halt) -> io::Error {
    io::Error::other(h)
}

/// What a file starts with: pcap's file header, or pcapng's section
/// header and one interface block per interface.
#[derive(Debug, Clone)]
pub enum Layout {
    Pcap { linktype: LinkType, snaplen: u32 },
    PcapNg { interfaces: Vec<NgInterface> },
}

/// Writes `bufs` whole unless the descriptor fails: retries short writes
/// and EINTR; after a stop signal gives up once the grace period is over
/// (the timer interrupts a write still blocked then). Each writev ends on
/// a multiple of `group` slices, so that one holds whole records when a
/// record is `group` slices. Returns the bytes written and the error that
/// ended it, if any.
pub(super) fn write_all_or_halt(
    fd: &File,
    bufs: &mut [IoSlice<'_>],
    group: usize,
) -> (u64, Option<io::Error>) {
    let slices = bufs.len();
    let group = group.clamp(1, file::IOV_MAX);
    let mut bufs = bufs;
    let mut done = 0u64;
    while !bufs.is_empty() {
        if signals::give_up_writing() {
            return (done, Some(halted(Halt::Stopped)));
        }
        let at = slices - bufs.len();
        let end = ((at + file::IOV_MAX) / group * group).clamp(at + 1, slices);
        match file::writev(fd, &bufs[..end - at]) {
            Ok(0) => return (done, Some(io::Error::from(io::ErrorKind::WriteZero))),
            Ok(n) => {
                done += n as u64;
                IoSlice::advance_slices(&mut bufs, n);
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {
                if signals::stop_requested() {
                    signals::arm_stop_alarm();
                }
            }
            Err(e) => return (done, Some(e)),
        }
    }
    (done, None)
}

/// A capture file (or stream) written in whole records.
pub struct RecordFile {
    fd: File,
    kind: FileKind,
    name: String,
    layout: Layout,
    precision: Precision,
    /// Bytes of the current file, headers and whole records.
    size: u64,
    /// Whole records written, over every file.
    records: u64,
    rotor: Option<Rotor>,
    children: Vec<Child>,
    arena: Vec<u8>,
    /// Per record: where its bytes before the body end in `arena`, and
    /// where the next record's start.
    marks: Vec<(usize, usize)>,
    ends: Vec<u64>,
    /// Records of [`RecordFile::push`] not written yet, whole.
    pending: Vec<u8>,
    pending_ends: Vec<u64>,
}

impl RecordFile {
    /// `fd` is open on `name` (`standard output` for `-w -`); writes the
    /// file's headers.
    pub fn new(
        fd: File,
        name: &str,
        layout: Layout,
        precision: Precision,
        rotation: Option<(Rotation, &str)>,
    ) -> io::Result<RecordFile> {
        let kind = file::kind(&fd).unwrap_or(FileKind::Other);
        let now = now_secs();
        let mut f = RecordFile {
            fd,
            kind,
            name: name.to_string(),
            layout,
            precision,
            size: 0,
            records: 0,
            rotor: rotation.map(|(r, base)| Rotor::new(r, base, now)),
            children: Vec::new(),
            arena: Vec::new(),
            marks: Vec::new(),
            ends: Vec::new(),
            pending: Vec::new(),
            pending_ends: Vec::new(),
        };
        f.write_headers()?;
        Ok(f)
    }

    /// The first file's name under `rotation` for `-w base`.
    pub fn first_name(rotation: &Rotation, base: &str) -> String {
        Rotor::new(rotation.clone(), base, now_secs()).first()
    }

    /// The file being written.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whole records written so far, over every file.
    pub fn records(&self) -> u64 {
        self.records
    }

    fn headers(&self) -> Vec<u8> {
        match &self.layout {
            Layout::Pcap { linktype, snaplen } => {
                writer::pcap_file_header(*linktype, *snaplen, self.precision).to_vec()
            }
            Layout::PcapNg { interfaces } => {
                let mut b = writer::pcapng_section_header();
                for i in interfaces {
                    b.extend_from_slice(&writer::pcapng_interface(i, self.precision));
                }
                b
            }
        }
    }

    fn write_headers(&mut self) -> io::Result<()> {
        let h = self.headers();
        let (n, err) = write_all_or_halt(&self.fd, &mut [IoSlice::new(&h)], 1);
        if let Some(e) = err {
            if n > 0 {
                self.cut_back(0);
            }
            return Err(e);
        }
        self.size = h.len() as u64;
        Ok(())
    }

    /// Takes a regular file back to `size` bytes, the end of its last whole
    /// record, after a write the disk took only part of.
    fn cut_back(&mut self, size: u64) {
        if self.kind == FileKind::Regular {
            let _ = file::ftruncate(&self.fd, size);
            let _ = file::seek_to(&self.fd, size);
        }
    }

    /// What to do before a record when the file holds `size` bytes.
    fn next(&mut self, size: u64, now: i64) -> io::Result<Option<String>> {
        match self.rotor.as_mut().map(|r| r.next(size, now)) {
            None | Some(Next::Same) => Ok(None),
            Some(Next::Open(n)) => Ok(Some(n)),
            Some(Next::Limit(w)) => {
                self.close_current();
                Err(halted(Halt::Limit(w)))
            }
        }
    }

    /// Runs `-z` on the file just closed.
    fn close_current(&mut self) {
        let Some(cmd) = self.rotor.as_ref().and_then(|r| r.rule.post.clone()) else {
            return;
        };
        self.reap();
        match std::process::Command::new(&cmd)
            .arg(&self.name)
            .stdin(std::process::Stdio::null())
            .spawn()
        {
            Ok(c) => self.children.push(c),
            Err(e) => eprintln!("podcap: -z {cmd} {}: {e}", self.name),
        }
    }

    /// Collects `-z` commands that have finished.
    pub fn reap(&mut self) {
        self.children
            .retain_mut(|c| !matches!(c.try_wait(), Ok(Some(_))));
    }

    fn rotate(&mut self, name: String) -> io::Result<()> {
        self.close_current();
        self.fd = File::create(&name)
            .map_err(|e| io::Error::new(e.kind(), format!("create {name}: {e}")))?;
        self.kind = file::kind(&self.fd).unwrap_or(FileKind::Other);
        self.name = name;
        self.size = 0;
        self.write_headers()
    }

    /// Writes `frames` (their bodies in `data`) as records of interface
    /// `iface`, each whole, with one writev per run of records between
    /// rotations. On an error the file holds the records written before
    /// it, whole ([`RecordFile::records`] counts them).
    pub fn write_frames(&mut self, frames: &[Frame], data: &[u8], iface: u32) -> io::Result<()> {
        self.flush_pending()?;
        let now = now_secs();
        let mut start = 0;
        let mut size = self.size;
        for (i, f) in frames.iter().enumerate() {
            if let Some(name) = self.next(size, now)? {
                self.write_run(&frames[start..i], data, iface)?;
                self.rotate(name)?;
                start = i;
                size = self.size;
            }
            size += self.record_len(f.caplen());
        }
        self.write_run(&frames[start..], data, iface)
    }

    fn record_len(&self, caplen: usize) -> u64 {
        match self.layout {
            Layout::Pcap { .. } => 16 + caplen as u64,
            Layout::PcapNg { .. } => {
                let (_, _, tn) = writer::pcapng_epb(0, 0, 0, caplen, 0, None, self.precision);
                (28 + caplen + tn) as u64
            }
        }
    }

    /// The bytes before (header, synthesized head) and after (pcapng's
    /// padding, options and length) `f`'s body, into the arena.
    fn frame_bytes(&mut self, f: &Frame, iface: u32) {
        let pre_end;
        match self.layout {
            Layout::Pcap { .. } => {
                let h = writer::pcap_record_header(
                    f.ts_sec,
                    f.ts_nsec,
                    f.caplen(),
                    f.wirelen,
                    self.precision,
                );
                self.arena.extend_from_slice(&h);
                self.arena.extend_from_slice(f.head());
                pre_end = self.arena.len();
            }
            Layout::PcapNg { .. } => {
                let (h, t, tn) = writer::pcapng_epb(
                    iface,
                    f.ts_sec,
                    f.ts_nsec,
                    f.caplen(),
                    f.wirelen,
                    Some(f.pkttype),
                    self.precision,
                );
                self.arena.extend_from_slice(&h);
                self.arena.extend_from_slice(f.head());
                pre_end = self.arena.len();
                self.arena.extend_from_slice(&t[..tn]);
            }
        }
        self.marks.push((pre_end, self.arena.len()));
    }

    fn write_run(&mut self, frames: &[Frame], data: &[u8], iface: u32) -> io::Result<()> {
        if frames.is_empty() {
            return Ok(());
        }
        self.arena.clear();
        self.marks.clear();
        self.ends.clear();
        let mut total = 0u64;
        for f in frames {
            self.frame_bytes(f, iface);
            total += self.record_len(f.caplen());
            self.ends.push(total);
        }
        // Two slices per pcap record (header and head, body), three per
        // pcapng one (and its tail).
        let group = match self.layout {
            Layout::Pcap { .. } => 2,
            Layout::PcapNg { .. } => 3,
        };
        let mut iov: Vec<IoSlice<'_>> = Vec::with_capacity(frames.len() * group);
        let mut from = 0;
        for (f, &(pre, next)) in frames.iter().zip(&self.marks) {
            iov.push(IoSlice::new(&self.arena[from..pre]));
            iov.push(IoSlice::new(f.body(data)));
            if group == 3 {
                iov.push(IoSlice::new(&self.arena[pre..next]));
            }
            from = next;
        }
        let (n, err) = write_all_or_halt(&self.fd, &mut iov, group);
        drop(iov);
        self.account(n, err)
    }

    /// Counts what a write of records ending at `self.ends` took: whole
    /// records are kept, a partial one is cut back (regular files).
    fn account(&mut self, n: u64, err: Option<io::Error>) -> io::Result<()> {
        let whole = self.ends.partition_point(|&e| e <= n);
        let kept = if whole == 0 { 0 } else { self.ends[whole - 1] };
        self.records += whole as u64;
        self.size += kept;
        match err {
            None => Ok(()),
            Some(e) => {
                if kept < n {
                    self.cut_back(self.size);
                }
                Err(e)
            }
        }
    }

    /// Queues one record (for callers handing packets one at a time);
    /// written whole at [`RecordFile::flush`] or once 256 KiB are queued.
    #[allow(clippy::too_many_arguments)]
    pub fn push(
        &mut self,
        ts_sec: i64,
        ts_nsec: u32,
        wirelen: u32,
        parts: [&[u8]; 2],
        iface: u32,
        pkttype: Option<u8>,
    ) -> io::Result<()> {
        let caplen = parts[0].len() + parts[1].len();
        let planned = self.size + self.pending.len() as u64;
        if let Some(name) = self.next(planned, now_secs())? {
            self.flush_pending()?;
            self.rotate(name)?;
        }
        match self.layout {
            Layout::Pcap { .. } => {
                let h =
                    writer::pcap_record_header(ts_sec, ts_nsec, caplen, wirelen, self.precision);
                self.pending.extend_from_slice(&h);
                self.pending.extend_from_slice(parts[0]);
                self.pending.extend_from_slice(parts[1]);
            }
            Layout::PcapNg { .. } => {
                let (h, t, tn) = writer::pcapng_epb(
                    iface,
                    ts_sec,
                    ts_nsec,
                    caplen,
                    wirelen,
                    pkttype,
                    self.precision,
                );
                self.pending.extend_from_slice(&h);
                self.pending.extend_from_slice(parts[0]);
                self.pending.extend_from_slice(parts[1]);
                self.pending.extend_from_slice(&t[..tn]);
            }
        }
        self.pending_ends.push(self.pending.len() as u64);
        if self.pending.len() >= 256 << 10 {
            self.flush_pending()?;
        }
        Ok(())
    }

    fn flush_pending(&mut self) -> io::Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let pending = std::mem::take(&mut self.pending);
        self.ends = std::mem::take(&mut self.pending_ends);
        let (n, err) = write_all_or_halt(&self.fd, &mut [IoSlice::new(&pending)], 1);
        self.pending = pending;
        self.pending.clear();
        self.account(n, err)
    }

    /// Writes what [`RecordFile::push`] queued.
    pub fn flush(&mut self) -> io::Result<()> {
        self.flush_pending()
    }
}

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
