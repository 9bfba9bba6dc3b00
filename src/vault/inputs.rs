//! A hash of what a note is made from: a render compares it with the one stored beside
//! the note to leave an unchanged note unbuilt.

use xxhash_rust::xxh3::Xxh3Default;

/// A hash of a note's inputs, fed through [`std::hash::Hash`]: two renderings of the
/// same inputs by the same refnet hash the same. The template texts and refnet's version
/// are part of it, so a new refnet renders every note once again.
///
/// XXH3's 128 bits, not a cryptographic hash: this only tells a render whether a note's
/// inputs moved (a note whose inputs were made to collide would stay as it was, nothing
/// worse), and a paper note's inputs are kilobytes, hashed for every note of every render
/// (SHA-256 was 4 % of a 100,000-paper render's samples). What tells the user's edits
/// from refnet's text is the content hash, which stays SHA-256.
pub fn inputs_hash(inputs: &impl std::hash::Hash) -> String {
    let mut hasher = InputsHasher::default();
    std::hash::Hash::hash(&(env!("CARGO_PKG_VERSION"), inputs), &mut hasher);
    crate::hex::hex(&hasher.digest().to_be_bytes())
}

/// Bytes gathered before XXH3 takes them.
const BUFFER: usize = 4096;
/// Writes this long or longer skip the buffer.
const DIRECT_WRITE: usize = 128;

/// A [`std::hash::Hasher`] over XXH3-128, so inputs hashes do not depend on the standard
/// library's hasher, which may change between Rust releases. A note's inputs come as
/// thousands of small writes (a length, a string, a separator byte): they are gathered in
/// a buffer, the fixed-size ones without a call to `memcpy`, and XXH3 takes them a few
/// kilobytes at a time. The digest is that of the bytes written, however they came.
struct InputsHasher {
    xxh: Xxh3Default,
    buf: Vec<u8>,
}

impl Default for InputsHasher {
    fn default() -> Self {
        Self {
            xxh: Xxh3Default::new(),
            buf: Vec::with_capacity(BUFFER),
        }
    }
}

impl InputsHasher {
    /// Room for `n` more bytes in the buffer, handing what it holds to XXH3 first if
    /// they would not fit.
    fn room(&mut self, n: usize) {
        if self.buf.len() + n > BUFFER {
            self.xxh.update(&self.buf);
            self.buf.clear();
        }
    }

    /// The XXH3-128 of everything written.
    fn digest(mut self) -> u128 {
        self.xxh.update(&self.buf);
        self.xxh.digest128()
    }
}

impl std::hash::Hasher for InputsHasher {
    fn write(&mut self, bytes: &[u8]) {
        // A long write (a title, an abstract) goes to XXH3 as it is, after what the
        // buffer holds, rather than through the buffer.
        if bytes.len() >= DIRECT_WRITE {
            self.xxh.update(&self.buf);
            self.buf.clear();
            self.xxh.update(bytes);
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
        let mut xxh = self.xxh.clone();
        xxh.update(&self.buf);
        // The low half of the 128 bits: `as` keeps exactly those.
        xxh.digest128() as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::{Hash, Hasher};

    /// Every byte written, in order: XXH3 of them at once is what the buffered hasher
    /// must give.
    struct Unbuffered(Vec<u8>);

    impl Hasher for Unbuffered {
        fn write(&mut self, bytes: &[u8]) {
            self.0.extend_from_slice(bytes);
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
            "x".repeat(BUFFER - 3),
            [1_u8, 2, 3],
            "m".repeat(DIRECT_WRITE - 1),
            "n".repeat(DIRECT_WRITE),
            vec!["s".repeat(DIRECT_WRITE - 1); 100],
            -5_isize,
            7_usize,
        );
        let mut buffered = InputsHasher::default();
        inputs.hash(&mut buffered);
        let finished = buffered.finish();
        let mut plain = Unbuffered(Vec::new());
        inputs.hash(&mut plain);
        assert!(plain.0.len() > 3 * BUFFER, "the inputs fill the buffer several times");
        let want = xxhash_rust::xxh3::xxh3_128(&plain.0);
        assert_eq!(buffered.digest(), want);
        assert_eq!(finished, want as u64);
        // A different input is a different hash.
        assert_ne!(inputs_hash(&("a", "b")), inputs_hash(&("ab", "")));
    }
}
