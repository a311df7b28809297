//! Where received payloads are kept.
//!
//! tungstenite hands each payload out as a slice of its read buffer. Keeping
//! those slices in the history keeps the buffer shared, so tungstenite
//! cannot reuse it and allocates another; and the new one inherits no
//! capacity hint (the buffer was made from the bytes left over from the
//! handshake), so it is sized for one frame: during a 2M-frame flood that
//! meant 97,000 reads of 4 KB or less where a plain loop made 2,000 of
//! 100 KB. Copying each payload into a chunk of our own (100 bytes take
//! nanoseconds) leaves tungstenite's buffer free to be reused, and packs the
//! history tightly: a chunk holds only payloads.

use bytes::{Bytes, BytesMut};

/// Size of each chunk that small payloads are packed into.
const CHUNK: usize = 256 * 1024;

/// Payloads this large get an allocation of their own rather than a share
/// of a chunk, so one large frame never pins a chunk's worth of small ones.
const OWN_ALLOCATION_FROM: usize = 16 * 1024;

/// Copies payloads into shared chunks and hands back cheap `Bytes` views.
#[derive(Default)]
pub struct Arena {
    chunk: BytesMut,
}

impl Arena {
    /// A copy of `payload` that owns no part of the caller's buffer.
    pub fn keep(&mut self, payload: &[u8]) -> Bytes {
        if payload.len() >= OWN_ALLOCATION_FROM {
            return Bytes::copy_from_slice(payload);
        }
        // `capacity` is the room left after what has been split off.
        if self.chunk.capacity() < payload.len() {
            self.chunk = BytesMut::with_capacity(CHUNK);
        }
        self.chunk.extend_from_slice(payload);
        self.chunk.split().freeze()
    }

    /// A copy of a frame's `payload` with its mask, if any, taken off.
    pub fn keep_unmasked(&mut self, payload: &[u8], mask: Option<[u8; 4]>) -> Bytes {
        let Some(mask) = mask else { return self.keep(payload) };
        let mut copy = if payload.len() >= OWN_ALLOCATION_FROM {
            BytesMut::from(payload)
        } else {
            if self.chunk.capacity() < payload.len() {
                self.chunk = BytesMut::with_capacity(CHUNK);
            }
            self.chunk.extend_from_slice(payload);
            self.chunk.split()
        };
        unmask(&mut copy, mask);
        copy.freeze()
    }
}

/// XORs a frame's mask out of (or into) its payload, eight bytes at a
/// time: the relay unmasks every client frame, and the release build (at
/// `opt-level = "s"`) does not vectorise a byte loop (it was 6 % of the
/// relay's CPU). Each word is read as an array, not by `copy_from_slice`,
/// which that build calls out of line twice a word.
pub fn unmask(payload: &mut [u8], mask: [u8; 4]) {
    let [a, b, c, d] = mask;
    let key = u64::from_ne_bytes([a, b, c, d, a, b, c, d]);
    let mut words = payload.chunks_exact_mut(8);
    for word in &mut words {
        if let Ok(word) = <&mut [u8; 8]>::try_from(word) {
            *word = (u64::from_ne_bytes(*word) ^ key).to_ne_bytes();
        }
    }
    // Eight is a whole number of masks, so the rest starts the mask over.
    for (byte, key) in words.into_remainder().iter_mut().zip(mask.iter().cycle()) {
        *byte ^= key;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unmasking_by_words_is_unmasking_byte_by_byte() {
        let mask = [0x12, 0x34, 0x56, 0x78];
        for length in 0..70 {
            let payload: Vec<u8> = (0..length).map(|i| (i * 7 + 3) as u8).collect();
            let mut fast = payload.clone();
            unmask(&mut fast, mask);
            let slow: Vec<u8> = payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]).collect();
            assert_eq!(fast, slow, "length {length}");
            unmask(&mut fast, mask);
            assert_eq!(fast, payload, "length {length}: masking twice gives the payload back");
        }
    }

    #[test]
    fn keeps_exact_copies_packed_into_chunks() {
        let mut arena = Arena::default();
        let kept: Vec<Bytes> = (0..10_000u32)
            .map(|i| arena.keep(format!("frame {i}").as_bytes()))
            .collect();
        for (i, bytes) in kept.iter().enumerate() {
            assert_eq!(bytes.as_ref(), format!("frame {i}").as_bytes());
        }
        // Neighbours sit next to each other in one chunk.
        assert_eq!(kept[1].as_ptr(), kept[0].as_ptr().wrapping_add(kept[0].len()));
        let large = vec![7u8; OWN_ALLOCATION_FROM];
        assert_eq!(arena.keep(&large).as_ref(), &large[..]);
        assert_eq!(arena.keep(b"").len(), 0);
    }

    #[test]
    fn the_source_buffer_is_free_again() {
        let mut source = BytesMut::from(&b"abcdef"[..]);
        let payload = source.split_to(3).freeze();
        let kept = Arena::default().keep(&payload);
        drop(payload);
        // The only handle left: tungstenite can reuse the buffer in place.
        assert!(source.try_reclaim(3));
        assert_eq!(kept.as_ref(), b"abc");
    }
}
