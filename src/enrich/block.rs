//! Address blocks as the prefix trie stores them.
//!
//! `ipnet`'s types recompute their network address on every trie step; these keep the network
//! bits pre-masked, so walking the trie is plain integer work (this halves IPv4 lookup time).

use std::net::{Ipv4Addr, Ipv6Addr};

use ipnet::{Ipv4Net, Ipv6Net};

macro_rules! block {
    ($name:ident, $repr:ty, $net:ty, $addr:ty) => {
        /// Network bits (host bits zero) and prefix length.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub(super) struct $name {
            bits: $repr,
            len: u8,
        }

        impl $name {
            pub(super) fn host(addr: $addr) -> Self {
                $name {
                    bits: <$repr>::from(addr),
                    len: <$repr>::BITS as u8,
                }
            }
        }

        impl From<$net> for $name {
            fn from(net: $net) -> Self {
                $name {
                    bits: <$repr>::from(net.network()),
                    len: net.prefix_len(),
                }
            }
        }

        impl prefix_trie::Prefix for $name {
            type R = $repr;

            fn repr(&self) -> $repr {
                self.bits
            }

            fn prefix_len(&self) -> u8 {
                self.len
            }

            fn from_repr_len(repr: $repr, len: u8) -> Self {
                let keep = !(<$repr>::MAX.checked_shr(u32::from(len)).unwrap_or(0));
                $name {
                    bits: repr & keep,
                    len,
                }
            }

            /// `bits` is always masked.
            fn mask(&self) -> $repr {
                self.bits
            }
        }
    };
}

block!(V4Block, u32, Ipv4Net, Ipv4Addr);
block!(V6Block, u128, Ipv6Net, Ipv6Addr);
