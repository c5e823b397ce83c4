//! The numbers protocols and the kernel put on the wire, named once.
//!
//! Every module that reads or writes packet bytes (`decode`, `trace`,
//! `capture`, `filter`, the test corpus) takes EtherTypes, IP protocol
//! numbers, packet types and well-known ports from here instead of
//! spelling them as literals. Each enum keeps the values podcap does not
//! name as `Unknown(n)`, so a conversion never fails and never loses the
//! number (smoltcp's `enum_with_unknown!` pattern).

pub mod kinds;
pub mod ports;

pub use kinds::{EtherType, IpProto, PacketType};

/// Declares a `Copy` enum over an integer type with one variant per named
/// value and `Unknown(n)` for the rest, with `From` both ways.
macro_rules! enum_with_unknown {
    (
        $(#[$attr:meta])*
        pub enum $name:ident($ty:ty) {
            $( $(#[$vattr:meta])* $variant:ident = $value:expr ),+ $(,)?
        }
    ) => {
        $(#[$attr])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $( $(#[$vattr])* $variant, )+
            /// A value without a name here.
            Unknown($ty),
        }

        impl ::core::convert::From<$ty> for $name {
            fn from(v: $ty) -> Self {
                match v {
                    $( $value => $name::$variant, )+
                    other => $name::Unknown(other),
                }
            }
        }

        impl ::core::convert::From<$name> for $ty {
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
