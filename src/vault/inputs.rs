//! A hash of what a note is made from: a render compares it with the one stored beside
//! the note to leave an unchanged note unbuilt.

use sha2::{Digest, Sha256};

/// A hash of a note's inputs, fed through [`std::hash::Hash`]: two renderings of the
/// same inputs by the same refnet hash the same. The template texts and refnet's version
/// are part of it, so a new refnet renders every note once again.
pub fn inputs_hash(inputs: &impl std::hash::Hash) -> String {
    let mut hasher = ShaHasher::default();
    std::hash::Hash::hash(&(env!("CARGO_PKG_VERSION"), inputs), &mut hasher);
    crate::hex::hex(&hasher.digest()[..16])
}

/// Bytes gathered before SHA-256 takes them.
const SHA_BUFFER: usize = 4096;
/// Writes this long or longer skip the buffer.
const DIRECT_WRITE: usize = 128;

/// A [`std::hash::Hasher`] over SHA-256, so inputs hashes do not depend on the standard
/// library's hasher, which may change between Rust releases. A note's inputs come as
/// thousands of small writes (a length, a string, a separator byte): they are gathered in
/// a buffer, the fixed-size ones without a call to `memcpy`, and SHA-256 takes them a few
/// kilobytes at a time. The digest is that of the bytes written, however they came.
struct ShaHasher {
    sha: Sha256,
    buf: Vec<u8>,
}

impl Default for ShaHasher {
    fn default() -> Self {
        Self {
            sha: Sha256::new(),
            buf: Vec::with_capacity(SHA_BUFFER),
        }
    }
}

impl ShaHasher {
    /// Room for `n` more bytes in the buffer, handing what it holds to SHA-256 first if
    /// they would not fit.
    fn room(&mut self, n: usize) {
        if self.buf.len() + n > SHA_BUFFER {
            self.sha.update(&self.buf);
            self.buf.clear();
        }
    }

    /// The SHA-256 of everything written.
    fn digest(mut self) -> [u8; 32] {
        self.sha.update(&self.buf);
        self.sha.finalize().into()
    }
}

impl std::hash::Hasher for ShaHasher {
    fn write(&mut self, bytes: &[u8]) {
        // A long write (a title, an abstract) goes to SHA-256 as it is, after what the
        // buffer holds, rather than through the buffer: copying it cost as much as hashing.
        if bytes.len() >= DIRECT_WRITE {
            self.sha.update(&self.buf);
            self.buf.clear();
            self.sha.update(bytes);
        } else {
            self.room(bytes.len());
            self.buf.extend_from_slice(bytes);
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.room(1);
        self.buf.push(i);
    }

    fn write_u32(&mut self, i: u32) {
        self.room(4);
        self.buf.extend_from_slice(&i.to_ne_bytes());
    }

    fn write_u64(&mut self, i: u64) {
        self.room(8);
        self.buf.extend_from_slice(&i.to_ne_bytes());
    }

    fn write_usize(&mut self, i: usize) {
        self.room(size_of::<usize>());
        self.buf.extend_from_slice(&i.to_ne_bytes());
    }

    fn write_i64(&mut self, i: i64) {
        self.write_u64(i as u64);
    }

    fn write_isize(&mut self, i: isize) {
        self.write_usize(i as usize);
    }

    fn finish(&self) -> u64 {
        let mut sha = self.sha.clone();
        sha.update(&self.buf);
        let digest = sha.finalize();
        u64::from_le_bytes(digest[..8].try_into().unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::{Hash, Hasher};

    /// SHA-256 fed each write as it comes: what refnet hashed with before the buffer.
    struct Unbuffered(Sha256);

    impl Hasher for Unbuffered {
        fn write(&mut self, bytes: &[u8]) {
            self.0.update(bytes);
        }

        fn finish(&self) -> u64 {
            0
        }
    }

    #[test]
    fn the_buffered_hash_is_the_hash_of_the_bytes_written() {
        // Small writes of every width, strings, a text longer than the buffer, writes
        // either side of the length that skips the buffer (after buffered bytes), and
        // enough buffered ones to fill it several times.
        let long = "abstract ".repeat(1000);
        let inputs = (
            "title",
            Some(2017_i64),
            vec![("Vaswani", 3_u32, true), ("Shazeer", 4, false)],
            long.as_str(),
            "x".repeat(SHA_BUFFER - 3),
            [1_u8, 2, 3],
            "m".repeat(DIRECT_WRITE - 1),
            "n".repeat(DIRECT_WRITE),
            vec!["s".repeat(DIRECT_WRITE - 1); 100],
            -5_isize,
            7_usize,
        );
        let mut buffered = ShaHasher::default();
        inputs.hash(&mut buffered);
        let finished = buffered.finish();
        let mut plain = Unbuffered(Sha256::new());
        inputs.hash(&mut plain);
        let want: [u8; 32] = plain.0.finalize().into();
        assert_eq!(buffered.digest(), want);
        assert_eq!(finished, u64::from_le_bytes(want[..8].try_into().expect("8 bytes")));
        // A different input is a different hash.
        assert_ne!(inputs_hash(&("a", "b")), inputs_hash(&("ab", "")));
    }
}
