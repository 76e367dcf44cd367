//! The content hash of a data file, for reproducibility headers.

const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const PRIME: u64 = 0x0000_0100_0000_01b3;

/// A 64-bit hash of a file's bytes as 16 hex digits: FNV-1a over little-endian 8-byte words in
/// four interleaved lanes (word `i` of the file goes to lane `i % 4`), the bytes left over
/// after the last full 32-byte stripe going byte by byte into lane 0; the four lanes and the
/// length are then combined by FNV-1a. Word lanes make it fast (several GB/s) while keeping
/// FNV's simplicity; it detects changed data, it is not a cryptographic digest.
pub fn content_hash(bytes: &[u8]) -> String {
    let mut lanes = [OFFSET; 4];
    let whole = bytes.len() / 32 * 32;
    stripes(&mut lanes, &bytes[..whole]);
    finish(lanes, &bytes[whole..], bytes.len() as u64)
}

/// [`content_hash`] of everything `reader` gives, read a block at a time (a large Parquet
/// file is hashed without being held in memory).
#[cfg_attr(not(feature = "parquet"), allow(dead_code))]
pub(crate) fn content_hash_of(mut reader: impl std::io::Read) -> std::io::Result<String> {
    let mut lanes = [OFFSET; 4];
    let mut buf = vec![0u8; 1 << 20];
    let (mut filled, mut len) = (0usize, 0u64);
    loop {
        let n = match reader.read(&mut buf[filled..]) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if n == 0 {
            break;
        }
        filled += n;
        len += n as u64;
        let whole = filled / 32 * 32;
        stripes(&mut lanes, &buf[..whole]);
        buf.copy_within(whole..filled, 0);
        filled -= whole;
    }
    Ok(finish(lanes, &buf[..filled], len))
}

/// Whole 32-byte stripes (`bytes.len()` is a multiple of 32) into the four lanes.
fn stripes(lanes: &mut [u64; 4], bytes: &[u8]) {
    for s in bytes.chunks_exact(32) {
        for (k, lane) in lanes.iter_mut().enumerate() {
            let w = u64::from_le_bytes(s[k * 8..k * 8 + 8].try_into().unwrap_or([0; 8]));
            *lane = (*lane ^ w).wrapping_mul(PRIME);
        }
    }
}

/// The bytes after the last stripe into lane 0, then the lanes and the length combined.
fn finish(mut lanes: [u64; 4], rest: &[u8], len: u64) -> String {
    for &b in rest {
        lanes[0] = (lanes[0] ^ b as u64).wrapping_mul(PRIME);
    }
    let mut h = OFFSET;
    for w in lanes.into_iter().chain([len]) {
        for b in w.to_le_bytes() {
            h = (h ^ b as u64).wrapping_mul(PRIME);
        }
    }
    format!("{h:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stable_and_sensitive() {
        assert_eq!(content_hash(b"abc"), content_hash(b"abc"));
        assert_ne!(content_hash(b"abc"), content_hash(b"abd"));
        assert_ne!(content_hash(b""), content_hash(b"\0"));
        let long: Vec<u8> = (0..100u8).collect();
        let mut other = long.clone();
        other[70] ^= 1;
        assert_ne!(content_hash(&long), content_hash(&other));
        assert_eq!(content_hash(b"").len(), 16);
    }

    /// A reader that gives at most `step` bytes a call, so blocks end mid-stripe.
    struct Trickle<'a>(&'a [u8], usize);

    impl std::io::Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.0.len().min(self.1).min(buf.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn streamed_equals_whole() {
        let bytes: Vec<u8> = (0..3000u32).map(|i| (i * 7 + i / 13) as u8).collect();
        for len in [0, 1, 31, 32, 33, 100, 3000] {
            for step in [1, 5, 32, 1000, 1 << 21] {
                let got = content_hash_of(Trickle(&bytes[..len], step)).unwrap();
                assert_eq!(got, content_hash(&bytes[..len]), "{len} bytes by {step}");
            }
        }
    }
}
