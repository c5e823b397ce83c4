//! The shared mapping of a packet socket's TPACKET_V3 receive ring, and
//! the handshake by which the kernel and user space pass its blocks to
//! each other: the kernel fills a block and sets TP_STATUS_USER in its
//! status word; user space reads it and stores TP_STATUS_KERNEL to hand
//! it back. The borrow checker enforces the user side: a block's bytes
//! are only reachable through a [`UserBlock`], which exists only while
//! the status says user space owns it, and gives it back when dropped.

use super::packet::status;
use std::io;
use std::os::fd::{AsFd, AsRawFd};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU32, Ordering};

/// The system's page size (ring blocks are multiples of it).
pub fn page_size() -> usize {
    // SAFETY: sysconf has no memory-safety preconditions.
    match unsafe { libc::sysconf(libc::_SC_PAGESIZE) } {
        n if n > 0 => n as usize,
        _ => 4096,
    }
}

// Byte offsets in `struct tpacket_block_desc` (its `tpacket_hdr_v1`).
const BLOCK_STATUS: usize = 8;
const BLOCK_NUM_PKTS: usize = 12;

/// A mapped ring of `block_nr` blocks of `block_size` bytes, unmapped on
/// drop.
#[derive(Debug)]
pub struct Mmap {
    ptr: NonNull<u8>,
    len: usize,
    block_size: usize,
    block_nr: usize,
}

// SAFETY: the mapping is plain memory owned by this value; which side may
// touch a block is decided by its status word, not by the thread.
unsafe impl Send for Mmap {}

impl Mmap {
    /// Maps the receive ring that PACKET_RX_RING set up on `fd`
    /// ([`super::packet::set_rx_ring`]) with this geometry.
    pub fn ring(fd: impl AsFd, block_size: usize, block_nr: usize) -> io::Result<Mmap> {
        let einval = || io::Error::from_raw_os_error(libc::EINVAL);
        // The status words must be in bounds and 4-aligned in every block
        // (the mapping itself is page-aligned).
        if block_size < BLOCK_NUM_PKTS + 4 || block_size % 4 != 0 || block_nr == 0 {
            return Err(einval());
        }
        let len = block_size.checked_mul(block_nr).ok_or_else(einval)?;
        let fd = fd.as_fd().as_raw_fd();
        let map = |flags| {
            // SAFETY: a fresh shared mapping of `len` bytes of the socket's
            // ring; the kernel chooses the address, nothing aliases it yet.
            let p = unsafe {
                libc::mmap(
                    std::ptr::null_mut(),
                    len,
                    libc::PROT_READ | libc::PROT_WRITE,
                    flags,
                    fd,
                    0,
                )
            };
            (p != libc::MAP_FAILED).then_some(p)
        };
        // MAP_LOCKED fails under a small RLIMIT_MEMLOCK; the ring works
        // without it, it is only a hint against page-out.
        let p = map(libc::MAP_SHARED | libc::MAP_LOCKED)
            .or_else(|| map(libc::MAP_SHARED))
            .ok_or_else(io::Error::last_os_error)?;
        let ptr = NonNull::new(p.cast::<u8>()).ok_or_else(einval)?;
        Ok(Mmap {
            ptr,
            len,
            block_size,
            block_nr,
        })
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn block_size(&self) -> usize {
        self.block_size
    }

    pub fn block_nr(&self) -> usize {
        self.block_nr
    }

    /// The u32 at byte `at` of block `block`, which the kernel may write
    /// concurrently.
    fn word(&self, block: usize, at: usize) -> &AtomicU32 {
        assert!(block < self.block_nr, "ring block {block} out of range");
        let off = block * self.block_size + at;
        // SAFETY: in bounds (block < block_nr, at + 4 <= block_size as
        // checked in `ring`) and 4-aligned (page-aligned mapping, block
        // size and `at` multiples of 4); atomic because the kernel writes
        // it from another context.
        unsafe { &*self.ptr.as_ptr().add(off).cast::<AtomicU32>() }
    }

    /// The status word of block `block`, read with acquire ordering so
    /// that the block's contents are visible once it says TP_STATUS_USER.
    pub fn block_status(&self, block: usize) -> u32 {
        self.word(block, BLOCK_STATUS).load(Ordering::Acquire)
    }

    /// `num_pkts` of a block the kernel may still be filling: a racy hint
    /// only.
    pub fn block_packets_hint(&self, block: usize) -> u32 {
        self.word(block, BLOCK_NUM_PKTS).load(Ordering::Relaxed)
    }

    /// Block `block` if the kernel has handed it to user space; it goes
    /// back to the kernel when the returned value is dropped. Taking
    /// `&mut self` makes it the only such block.
    pub fn user_block(&mut self, block: usize) -> Option<UserBlock<'_>> {
        if self.block_status(block) & status::USER == 0 {
            return None;
        }
        Some(UserBlock { map: self, block })
    }
}

impl Drop for Mmap {
    fn drop(&mut self) {
        // SAFETY: ptr/len come from a successful mmap and are unmapped
        // once; no UserBlock can outlive the borrow of `self`.
        unsafe {
            libc::munmap(self.ptr.as_ptr().cast(), self.len);
        }
    }
}

/// A ring block that user space owns until this is dropped.
#[derive(Debug)]
pub struct UserBlock<'m> {
    map: &'m Mmap,
    block: usize,
}

impl UserBlock<'_> {
    /// Which block of the ring this is.
    pub fn index(&self) -> usize {
        self.block
    }

    /// The block's bytes, descriptor first.
    pub fn bytes(&self) -> &[u8] {
        let off = self.block * self.map.block_size;
        // SAFETY: in bounds (block < block_nr was checked when the status
        // word was read); the kernel does not write a block whose status
        // is TP_STATUS_USER, and it only gets the block back in `drop`,
        // after every borrow of `self` has ended.
        unsafe { std::slice::from_raw_parts(self.map.ptr.as_ptr().add(off), self.map.block_size) }
    }
}

impl Drop for UserBlock<'_> {
    fn drop(&mut self) {
        // Release ordering: our reads of the block happen before the
        // kernel may refill it.
        self.map
            .word(self.block, BLOCK_STATUS)
            .store(status::KERNEL, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sys::{ns, packet};

    #[test]
    fn a_fresh_ring_belongs_to_the_kernel() {
        // A namespace of its own: nothing arrives on its `lo` (down).
        let r = std::thread::spawn(|| -> io::Result<()> {
            ns::unshare_net()?;
            let fd = packet::socket(libc::SOCK_RAW, 0)?;
            packet::set_tpacket_v3(&fd)?;
            let block = page_size();
            let req = packet::TpacketReq3 {
                block_size: block as u32,
                block_nr: 2,
                frame_size: block as u32,
                frame_nr: 2,
                retire_blk_tov: 1,
                ..Default::default()
            };
            packet::set_rx_ring(&fd, &req)?;
            assert!(Mmap::ring(&fd, 6, 2).is_err(), "status word out of line");
            let mut map = Mmap::ring(&fd, block, 2)?;
            assert_eq!(map.len(), 2 * block);
            for i in 0..2 {
                assert_eq!(map.block_status(i) & status::USER, 0);
                assert_eq!(map.block_packets_hint(i), 0);
                assert!(map.user_block(i).is_none());
            }
            assert_eq!(packet::statistics(&fd)?, packet::TpacketStatsV3::default());
            Ok(())
        })
        .join()
        .unwrap();
        r.unwrap();
    }
}
