//! Packet bytes, read one way: the numbers protocols and the kernel put on
//! the wire, named once; bounds-checked byte readers; and views of the
//! headers podcap parses.
//!
//! Every module that reads or writes packet bytes (`decode`, `trace`,
//! `capture`, `filter`, the test corpus) takes EtherTypes, IP protocol
//! numbers, packet types and well-known ports from here instead of
//! spelling them as literals. Each enum keeps the values podcap does not
//! name as `Unknown(n)`, so a conversion never fails and never loses the
//! number (smoltcp's `enum_with_unknown!` pattern).
//!
//! The header views follow smoltcp's `wire`: per protocol a
//! `Packet<T: AsRef<[u8]>>` over the bytes, a `field` module of named
//! offsets, `new_checked` that refuses bytes too short for the fixed
//! header (after which the accessors cannot fail), and a `Repr` where
//! podcap also writes the header. Judging the rest (lengths that lie, the
//! version, options) is left to the caller: the tcpdump printer and the
//! path follower react to bad headers differently, and both must keep
//! doing so. What lies beyond the fixed header is read with [`bytes`].

pub mod arp;
pub mod bytes;
pub mod checksum;
pub mod cooked;
pub mod ethernet;
pub mod geneve;
pub mod ipv4;
pub mod ipv6;
pub mod kinds;
pub mod ports;
pub mod tcp;
pub mod udp;
pub mod vxlan;

pub use bytes::Truncated;
pub use kinds::{EtherType, IpProto, PacketType};

/// A field of a header whose length the view's `new_checked` verified, so
/// the read cannot fail; zeros would stand in if it somehow did, rather
/// than a panic on packet bytes.
#[inline]
fn fixed<const N: usize>(b: &[u8], at: impl bytes::At) -> [u8; N] {
    bytes::array(b, at).unwrap_or([0; N])
}

/// Declares a `Copy` enum over an integer type with one variant per named
/// value and `Unknown(n)` for the rest, with `From` both ways.
///
/// Over `u8` and `u16` each variant's discriminant is its value, and
/// `Unknown`'s is the type's largest value, which must stay unnamed (the
/// compiler refuses two variants with one discriminant). A `match` on the
/// enum then compiles as a match on the number would, to a few
/// comparisons (with the discriminants 0, 1, 2... it became a jump table,
/// whose indirect branch mispredicts where packets alternate between
/// protocols), and the conversion to the number is the discriminant
/// itself unless it is `Unknown`'s. Over `u8` the conversion from the
/// number is a lookup in a table built at compile time rather than a tree
/// of comparisons.
macro_rules! enum_with_unknown {
    (
        $(#[$attr:meta])*
        pub enum $name:ident(u8) {
            $( $(#[$vattr:meta])* $variant:ident = $value:expr ),+ $(,)?
        }
    ) => {
        $crate::wire::enum_with_unknown!(@common $(#[$attr])* $name(u8) repr(u8) 0xff {
            $( $(#[$vattr])* $variant = $value ),+
        });

        impl ::core::convert::From<u8> for $name {
            #[inline]
            fn from(v: u8) -> Self {
                const TABLE: [$name; 256] = {
                    let mut t = [$name::Unknown(0); 256];
                    let mut i = 0;
                    while i < t.len() {
                        t[i] = $name::Unknown(i as u8);
                        i += 1;
                    }
                    $( t[$value as usize] = $name::$variant; )+
                    t
                };
                TABLE[usize::from(v)]
            }
        }
    };
    (
        $(#[$attr:meta])*
        pub enum $name:ident(u16) {
            $( $(#[$vattr:meta])* $variant:ident = $value:expr ),+ $(,)?
        }
    ) => {
        $crate::wire::enum_with_unknown!(@common $(#[$attr])* $name(u16) repr(u16) 0xffff {
            $( $(#[$vattr])* $variant = $value ),+
        });

        impl ::core::convert::From<u16> for $name {
            #[inline]
            fn from(v: u16) -> Self {
                match v {
                    $( $value => $name::$variant, )+
                    other => $name::Unknown(other),
                }
            }
        }
    };
    (@common
        $(#[$attr:meta])*
        $name:ident($ty:ty) repr($repr:ident) $unknown:literal {
            $( $(#[$vattr:meta])* $variant:ident = $value:expr ),+
        }
    ) => {
        $(#[$attr])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[repr($repr)]
        pub enum $name {
            $( $(#[$vattr])* $variant = $value, )+
            /// A value without a name here.
            Unknown($ty) = $unknown,
        }

        impl ::core::convert::From<$name> for $ty {
            // A few instructions, cheaper than the call it would be at
            // opt-level "s".
            #[inline(always)]
            fn from(v: $name) -> Self {
                match v {
                    $( $name::$variant => $value, )+
                    $name::Unknown(other) => other,
                }
            }
        }
    };
}
pub(crate) use enum_with_unknown;
